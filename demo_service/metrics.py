"""Every Prometheus instrument the service exposes, created on an injected registry.

Names come from :data:`obsgen.conventions.DEMO_SERVICE` (the otel preset plus the signals the demo spec declares), so dashboards and alerts built from the same
convention select exactly what is emitted here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from obsgen.conventions import (
    DB_DURATION_BUCKETS,
    DB_OPERATION_LABEL,
    DB_STATE_LABEL,
    DEMO_SERVICE,
    EVENT_LOOP_LAG_BUCKETS,
    JOB_OUTCOME_LABEL,
    LOG_LEVEL_LABEL,
    TELEMETRY_SIGNAL_LABEL,
    Convention,
)

JOB_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STARTUP_HELP = "Seconds from process start until the service was ready to serve."


def _name(value: str | None, what: str) -> str:
    """The convention's name for ``what``; the demo needs every runtime signal it defines."""
    if value is None:
        raise ValueError(f"convention does not define {what}")
    return value


def _base(counter_name: str) -> str:
    """prometheus_client appends ``_total`` itself; the convention spells the full name."""
    return counter_name.removesuffix("_total")


class _Runtime(NamedTuple):
    """One runtime instrument: the ``ServiceMetrics`` attribute, its kind, the
    ``convention.runtime`` field that names it, its help, labels and buckets."""

    attr: str
    kind: type[Counter | Gauge | Histogram]
    field: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


_LAG_HELP = "How late a periodically scheduled asyncio callback ran."
_DROPPED_HELP = "Spans and log records dropped before export (queue full, export failed, shutdown)."
# Counters drop the ``_total`` the convention spells: prometheus_client adds it.
RUNTIME = (
    _Runtime("loop_lag", Histogram, "event_loop_lag", _LAG_HELP, buckets=EVENT_LOOP_LAG_BUCKETS),
    _Runtime(
        "db_connections",
        Gauge,
        "db_connection_count",
        "Pooled DB connections by state.",
        (DB_STATE_LABEL,),
    ),
    _Runtime("db_connection_max", Gauge, "db_connection_max", "DB pool size."),
    _Runtime(
        "db_pending", Gauge, "db_connection_pending", "Requests waiting for a pooled DB connection."
    ),
    _Runtime(
        "db_wait",
        Histogram,
        "db_connection_wait_time",
        "Seconds spent waiting for a pooled DB connection.",
        buckets=DB_DURATION_BUCKETS,
    ),
    _Runtime(
        "db_operation",
        Histogram,
        "db_operation_duration",
        "Duration of DB operations.",
        (DB_OPERATION_LABEL,),
        DB_DURATION_BUCKETS,
    ),
    _Runtime("queue_depth", Gauge, "queue_depth", "Jobs waiting in the queue."),
    _Runtime("queue_capacity", Gauge, "queue_capacity", "Queue bound."),
    _Runtime("jobs", Counter, "jobs", "Background jobs by outcome.", (JOB_OUTCOME_LABEL,)),
    _Runtime(
        "job_duration",
        Histogram,
        "job_duration",
        "Duration of background jobs.",
        buckets=JOB_DURATION_BUCKETS,
    ),
    _Runtime(
        "log_records", Counter, "log_records", "Log records emitted, by level.", (LOG_LEVEL_LABEL,)
    ),
    _Runtime(
        "telemetry_dropped", Counter, "telemetry_dropped", _DROPPED_HELP, (TELEMETRY_SIGNAL_LABEL,)
    ),
    _Runtime(
        "telemetry_exported",
        Counter,
        "telemetry_exported",
        "Spans and log records the collector accepted.",
        (TELEMETRY_SIGNAL_LABEL,),
    ),
    _Runtime(
        "build_info",
        Gauge,
        "build_info",
        "Always 1; labels identify the running build.",
        ("version", "commit"),
    ),
    _Runtime("startup_duration", Gauge, "startup_duration", STARTUP_HELP),
)
# Label values present at 0 from the start, so rate() works from the first scrape.
PRESET = {
    "jobs": ("success", "failure", "dropped"),
    "telemetry_dropped": ("traces", "logs"),
    "telemetry_exported": ("traces", "logs"),
}


class ServiceMetrics:
    """The instruments, grouped by the part of the service that records them: the two HTTP
    instruments take names and labels from the convention itself, the rest from ``RUNTIME``."""

    request_duration: Histogram
    active_requests: Gauge
    loop_lag: Histogram
    db_connections: Gauge
    db_connection_max: Gauge
    db_pending: Gauge
    db_wait: Histogram
    db_operation: Histogram
    queue_depth: Gauge
    queue_capacity: Gauge
    jobs: Counter
    job_duration: Histogram
    log_records: Counter
    telemetry_dropped: Counter
    telemetry_exported: Counter
    build_info: Gauge
    startup_duration: Gauge

    def __init__(self, registry: CollectorRegistry, convention: Convention = DEMO_SERVICE) -> None:
        c = convention
        self.registry = registry
        self.convention = convention
        ProcessCollector(registry=registry)
        GCCollector(registry=registry)
        PlatformCollector(registry=registry)
        self.request_duration = Histogram(
            c.duration_histogram,
            "Duration of HTTP server requests, by route template.",
            (c.route_label, c.method_label, c.status_label),
            buckets=c.buckets,
            registry=registry,
        )
        self.active_requests = Gauge(
            _name(c.active_requests, "active_requests"),
            "HTTP server requests in flight.",
            c.active_requests_labels,
            registry=registry,
        )
        for spec in RUNTIME:
            name = _name(getattr(c.runtime, spec.field), spec.field)
            extra: dict[str, Any] = {"buckets": spec.buckets} if spec.buckets else {}
            if spec.kind is Counter:
                name = _base(name)
            instrument = spec.kind(name, spec.help, spec.labels, registry=registry, **extra)
            setattr(self, spec.attr, instrument)
        for attr, values in PRESET.items():
            for value in values:
                getattr(self, attr).labels(value)
