"""A log call that writes at most one record per interval and counts what it held back.

Why: some events can be caused at will from outside (a refused fault-API call) or repeat
every second while a dependency is down (a failed export). Logging each one lets a caller or an
outage flood the log (guide F7); logging none hides the problem. The first record of a window
is written; the next one after the window says how many were suppressed in between.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any


class LogThrottle:
    """``log(level, msg, *args)`` through ``logger``, at most once per ``interval`` seconds."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()  # called from the event loop and exporter threads
        self._next = float("-inf")
        self.suppressed = 0

    def log(self, level: int, msg: str, *args: Any, extra: dict[str, Any] | None = None) -> bool:
        """Write the record unless one went out less than ``interval`` ago; returns whether
        it was written. A written record carries ``suppressed``: how many were held back."""
        with self._lock:
            now = self._clock()
            if now < self._next:
                self.suppressed += 1
                return False
            self._next = now + self.interval
            suppressed, self.suppressed = self.suppressed, 0
        self.logger.log(level, msg, *args, extra={**(extra or {}), "suppressed": suppressed})
        return True
