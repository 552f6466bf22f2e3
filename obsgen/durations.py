"""Prometheus duration strings ("5m", "1h30m", "30d"): parse and validate."""

from __future__ import annotations

import re
from functools import lru_cache

_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
MAX_SECONDS = (2**63 - 1) // 10**9  # Prometheus and Alertmanager hold durations in int64 ns
_NOT_A_DURATION = "{!r} is not a Prometheus duration (e.g. 30s, 5m, 1h, 28d)"
_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)


def parse_duration(text: str, *, allow_zero: bool = False) -> float:
    """Seconds in a Prometheus duration; ValueError with the accepted form when malformed.

    ``allow_zero``: ``"0s"`` is valid (an alert's `for:` of zero: fire at the first evaluation).
    """
    if not isinstance(text, str):  # a spec value of another type
        raise ValueError(_NOT_A_DURATION.format(str(text)[:64]))  # noqa: TRY004 (callers report ValueErrors)
    return _seconds(text, allow_zero)


@lru_cache(maxsize=4096)  # a build asks for the same few windows tens of thousands of times
def _seconds(text: str, allow_zero: bool) -> float:
    match = _DURATION.match(text) if len(text) <= 64 else None
    if not match or not text or not any(match.groups()):
        raise ValueError(_NOT_A_DURATION.format(text[:64]))
    seconds = 0.0
    for amount, unit in zip(match.groups(), _UNITS):
        if amount:
            seconds += int(amount) * _UNITS[unit]
    if seconds <= 0 and not allow_zero:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text[:40]!r} is longer than Prometheus accepts (about 292y)")
    return seconds


def is_duration(text: object) -> bool:
    try:
        parse_duration(text)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True
