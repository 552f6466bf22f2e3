"""The "profiles" demo service: a small FastAPI app instrumented the way obsgen expects.

It is the live subject the generated dashboards and alerts are proven against, and an example
to copy: every metric name comes from :mod:`obsgen.conventions`, never retyped here.
"""

from __future__ import annotations

import time

__version__ = "0.1.0"

# Taken at first import, the closest cheap proxy for "process start" in app_startup_duration.
IMPORTED_AT = time.perf_counter()
