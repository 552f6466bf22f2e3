"""promtool input-series notation, from intent ("600 requests a minute for 60 minutes").

Every series has one sample per minute from t=0; counters start at 0 so `rate()` ratios are
exact, which lets the tests predict alert values to the digit the annotations print.
"""

from __future__ import annotations

from collections.abc import Mapping


def num(value: float) -> str:
    return f"{value:.12g}"


def selector(metric: str, labels: Mapping[str, str]) -> str:
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{metric}{{{inner}}}"


def counter(*segments: tuple[int, float]) -> str:
    """A counter from 0 growing by ``increment`` per minute for ``minutes``, per segment."""
    parts, last = ["0"], 0.0
    for minutes, increment in segments:
        if minutes <= 0:
            continue
        parts.append(f"{num(last + increment)}+{num(increment)}x{minutes - 1}")
        last += increment * minutes
    return " ".join(parts)


def gauge(*segments: tuple[int, float]) -> str:
    """A gauge holding ``value`` for ``points`` samples, per segment."""
    return " ".join(f"{num(value)}+0x{points - 1}" for points, value in segments if points > 0)


def line(start: float, per_minute: float, minutes: int) -> str:
    """A gauge growing linearly (memory leaks)."""
    return f"{num(start)}+{num(per_minute)}x{minutes}"
