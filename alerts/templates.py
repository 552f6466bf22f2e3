"""Expand the few Prometheus alert templates obsgen writes, for promtool's expected annotations.

promtool compares annotations after Go template expansion, so the generated tests must know
what Prometheus will print. Only the forms obsgen uses are supported (anything else is a bug
caught by :func:`expand`): ``{{ $labels.x }}``, ``{{ $value | humanize }}`` and
``{{ $value | humanizePercentage }}``; the humanizers mirror Prometheus' Go code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")

# The template actions alert texts may use, spelled once.
VALUE = "{{ $value | humanize }}"
PERCENT = "{{ $value | humanizePercentage }}"


def label(name: str) -> str:
    """The alert's own value of label ``name``."""
    return f"{{{{ $labels.{name} }}}}"


def humanize(value: float) -> str:
    """Prometheus' `humanize`: 4 significant digits with an SI prefix (1.5k, 250m)."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return f"{value:.4g}"
    prefix = ""
    if abs(value) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix, value = p, value / 1000
    else:
        for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(value) >= 1:
                break
            prefix, value = p, value * 1000
    return f"{value:.4g}{prefix}"


def humanize_percentage(value: float) -> str:
    return f"{value * 100:.4g}%"


def expand(template: str, labels: Mapping[str, str], value: float) -> str:
    """The annotation text Prometheus renders for an alert with ``labels`` and ``value``."""

    def one(match: re.Match[str]) -> str:
        action = match.group(1)
        if action.startswith("$labels."):
            return labels.get(action.removeprefix("$labels."), "")
        if action == "$value | humanize":
            return humanize(value)
        if action == "$value | humanizePercentage":
            return humanize_percentage(value)
        raise ValueError(f"unsupported template action {{{{ {action} }}}} in {template!r}")

    return _TEMPLATE.sub(one, template)
