"""TraceQL for the service's traces in Tempo: the one place dashboards get trace queries from."""

from __future__ import annotations

from obsgen.conventions import TRACE_SERVICE_ATTRIBUTE
from obsgen.model import Service, SloKind


def slow_threshold_seconds(service: Service) -> float:
    """What counts as slow: the latency SLO's threshold, else the P99 symptom threshold."""
    for slo in service.slos:
        if slo.kind is SloKind.LATENCY and slo.threshold_seconds is not None:
            return slo.threshold_seconds
    return service.thresholds.latency_p99_seconds


def _duration(seconds: float) -> str:
    millis = seconds * 1000
    return f"{millis:g}ms" if millis == int(millis) else f"{seconds:g}s"


def slow_or_failed(service: Service) -> str:
    """Traces of the service that failed or were slower than the latency threshold."""
    return (
        f'{{resource.{TRACE_SERVICE_ATTRIBUTE}="{service.name}" && '
        f"(status=error || duration>{_duration(slow_threshold_seconds(service))})}}"
    )
