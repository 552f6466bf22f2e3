"""Every Prometheus instrument the service exposes, created on an injected registry.

Names come from :data:`obsgen.conventions.DEMO_SERVICE` (the otel preset plus the signals the demo spec declares), so dashboards and alerts built from the same
convention select exactly what is emitted here.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from obsgen.conventions import (
    DB_DURATION_BUCKETS,
    DB_OPERATION_LABEL,
    DB_STATE_LABEL,
    EVENT_LOOP_LAG_BUCKETS,
    JOB_OUTCOME_LABEL,
    LOG_LEVEL_LABEL,
    DEMO_SERVICE,
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


class ServiceMetrics:
    """The instruments, grouped by the part of the service that records them."""

    def __init__(self, registry: CollectorRegistry, convention: Convention = DEMO_SERVICE) -> None:
        c, rt = convention, convention.runtime
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
        self.loop_lag = Histogram(
            _name(rt.event_loop_lag, "event_loop_lag"),
            "How late a periodically scheduled asyncio callback ran.",
            buckets=EVENT_LOOP_LAG_BUCKETS,
            registry=registry,
        )
        self.db_connections = Gauge(
            _name(rt.db_connection_count, "db_connection_count"),
            "Pooled DB connections by state.",
            (DB_STATE_LABEL,),
            registry=registry,
        )
        self.db_connection_max = Gauge(
            _name(rt.db_connection_max, "db_connection_max"), "DB pool size.", registry=registry
        )
        self.db_pending = Gauge(
            _name(rt.db_connection_pending, "db_connection_pending"),
            "Requests waiting for a pooled DB connection.",
            registry=registry,
        )
        self.db_wait = Histogram(
            _name(rt.db_connection_wait_time, "db_connection_wait_time"),
            "Seconds spent waiting for a pooled DB connection.",
            buckets=DB_DURATION_BUCKETS,
            registry=registry,
        )
        self.db_operation = Histogram(
            _name(rt.db_operation_duration, "db_operation_duration"),
            "Duration of DB operations.",
            (DB_OPERATION_LABEL,),
            buckets=DB_DURATION_BUCKETS,
            registry=registry,
        )
        self.queue_depth = Gauge(
            _name(rt.queue_depth, "queue_depth"), "Jobs waiting in the queue.", registry=registry
        )
        self.queue_capacity = Gauge(
            _name(rt.queue_capacity, "queue_capacity"), "Queue bound.", registry=registry
        )
        self.jobs = Counter(
            _base(_name(rt.jobs, "jobs")),
            "Background jobs by outcome.",
            (JOB_OUTCOME_LABEL,),
            registry=registry,
        )
        self.job_duration = Histogram(
            _name(rt.job_duration, "job_duration"),
            "Duration of background jobs.",
            buckets=JOB_DURATION_BUCKETS,
            registry=registry,
        )
        self.log_records = Counter(
            _base(_name(rt.log_records, "log_records")),
            "Log records emitted, by level.",
            (LOG_LEVEL_LABEL,),
            registry=registry,
        )
        self.telemetry_dropped = Counter(
            _base(_name(rt.telemetry_dropped, "telemetry_dropped")),
            "Spans and log records dropped before export (queue full, export failed, shutdown).",
            (TELEMETRY_SIGNAL_LABEL,),
            registry=registry,
        )
        self.telemetry_exported = Counter(
            _base(_name(rt.telemetry_exported, "telemetry_exported")),
            "Spans and log records the collector accepted.",
            (TELEMETRY_SIGNAL_LABEL,),
            registry=registry,
        )
        self.build_info = Gauge(
            _name(rt.build_info, "build_info"),
            "Always 1; labels identify the running build.",
            ("version", "commit"),
            registry=registry,
        )
        self.startup_duration = Gauge(
            _name(rt.startup_duration, "startup_duration"), STARTUP_HELP, registry=registry
        )
        for outcome in ("success", "failure", "dropped"):
            self.jobs.labels(outcome)  # present at 0 so rate() works from the first scrape
        for signal in ("traces", "logs"):
            self.telemetry_dropped.labels(signal)
            self.telemetry_exported.labels(signal)
