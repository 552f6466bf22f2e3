"""What a live service really exposes, read from Prometheus: the preset its instrumentation
matches, how its metrics arrive, the signals it has beyond the preset, and its real histogram
bounds. A pure function of the series found, so the same facts always give the same spec.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from obsgen import conventions
from obsgen.conventions import Convention

Series = Mapping[str, str]  # one series' labels, __name__ included


@dataclass(frozen=True)
class Discovered:
    """The facts a starter spec is written from."""

    preset: Convention
    metrics_from: str  # conventions.SCRAPED or PUSHED
    signals: dict[str, str | None]  # differences from the preset (None: the preset's is missing)
    buckets: tuple[float, ...]  # the request histogram's real bounds


class NothingToDescribe(Exception):
    """No series of a known HTTP instrumentation exists for the selector."""


def _bounds(series: Iterable[Series], bucket: str) -> tuple[float, ...]:
    found = set()
    for labels in series:
        if labels.get("__name__") == bucket:
            try:
                bound = float(labels.get(conventions.BUCKET_BOUND_LABEL, "nan"))
            except ValueError:
                continue
            if 0 < bound < float("inf"):
                found.add(bound)
    return tuple(sorted(found))


def _preset(names: set[str], series: Sequence[Series]) -> Convention:
    """The preset whose request metrics, with their route label, the service has."""
    for preset in conventions.PRESETS.values():
        if (
            preset.requests_counter in names
            and preset.bucket() in names
            and any(
                s.get("__name__") == preset.requests_counter and preset.route_label in s
                for s in series
            )
        ):
            return preset
    known = ", ".join(f"{p.requests_counter} ({p.name})" for p in conventions.PRESETS.values())
    raise NothingToDescribe(f"none of the known request metrics ({known}) has series")


def discover(series: Sequence[Series]) -> Discovered:
    names = {s.get("__name__", "") for s in series}
    preset = _preset(names, series)
    pushed = conventions.UP_METRIC not in names and conventions.TARGET_INFO_METRIC in names
    base = conventions.pushed(preset) if pushed else preset
    signals: dict[str, str | None] = {}
    for signal in conventions.SIGNALS:
        current = (
            base.active_requests if signal == "active_requests" else getattr(base.runtime, signal)
        )
        if current is not None and current not in names:
            signals[signal] = None  # the preset's name for it does not exist here
        extra = conventions.DEMO_SERVICE_SIGNALS.get(signal)
        optional = {"active_requests": "http_requests_inprogress"}.get(signal)
        for candidate in (extra, optional):
            if current is None and candidate and candidate in names:
                signals[signal] = candidate
    buckets = _bounds(series, preset.bucket()) or preset.buckets
    return Discovered(
        preset, conventions.PUSHED if pushed else conventions.SCRAPED, signals, buckets
    )


def latency_threshold(buckets: tuple[float, ...]) -> float:
    """A starting latency SLO threshold: the bound closest to 250 ms (the guide's M2 target)."""
    return min(buckets, key=lambda b: (abs(b - 0.25), b))
