"""Metric conventions: the one place that spells metric names, label names and bucket bounds.

Dashboards, alerts and the demo service never write a metric name themselves; they ask a
:class:`Convention`. A preset bundles the names one instrumentation library emits, so existing
services get dashboards and alerts without re-instrumenting. A runtime signal a preset does not
provide is ``None``, and every renderer that needs it skips its panel or alert with a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

# OpenTelemetry's default explicit bucket bounds for http.server.request.duration (seconds),
# from the HTTP semantic conventions' "advice"; the demo service records with exactly these.
OTEL_HTTP_DURATION_BUCKETS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
# prometheus-fastapi-instrumentator's default buckets for http_request_duration_seconds.
INSTRUMENTATOR_DURATION_BUCKETS: tuple[float, ...] = (0.1, 0.5, 1.0)

# Buckets the demo service uses for its runtime histograms (exported for its metrics module).
EVENT_LOOP_LAG_BUCKETS: tuple[float, ...] = (
    0.001,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
DB_DURATION_BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)


@dataclass(frozen=True)
class RuntimeMetrics:
    """Names of the runtime signals behind the symptom alerts and saturation panels.

    Each is the Prometheus-side name (what a query selects); ``None`` means the preset's
    instrumentation does not emit it.
    """

    # process (prometheus_client's default ProcessCollector / OTel process semconv)
    process_cpu_seconds: str | None = "process_cpu_seconds_total"
    process_resident_memory: str | None = "process_resident_memory_bytes"
    process_start_time: str | None = "process_start_time_seconds"
    python_gc_collections: str | None = "python_gc_collections_total"
    # asyncio event-loop lag histogram (seconds a scheduled callback ran late)
    event_loop_lag: str | None = None
    # DB connection pool, named after the OTel database semantic conventions
    db_connection_count: str | None = None  # gauge, label `state` = used|idle
    db_connection_max: str | None = None  # gauge, pool size
    db_connection_pending: str | None = None  # gauge, requests waiting for a connection
    db_connection_wait_time: str | None = None  # histogram, seconds waited for a connection
    db_operation_duration: str | None = None  # histogram, label `db_operation_name`
    # in-process background queue
    queue_depth: str | None = None  # gauge
    queue_capacity: str | None = None  # gauge
    jobs: str | None = None  # counter, label `outcome` = success|failure|dropped
    job_duration: str | None = None  # histogram
    # logging and the telemetry pipeline itself
    log_records: str | None = None  # counter, label `level`
    telemetry_dropped: str | None = None  # counter, label `signal` = traces|logs
    telemetry_exported: str | None = None  # counter, label `signal`
    # identity
    build_info: str | None = None  # gauge = 1, labels `version`, `commit`
    startup_duration: str | None = None  # gauge, seconds from process start to ready


@dataclass(frozen=True)
class Convention:
    """How one instrumentation library names the HTTP server metrics and labels."""

    name: str
    duration_histogram: str  # base name; `_bucket`, `_count`, `_sum` are appended
    buckets: tuple[float, ...]
    requests_counter: str  # counter whose rate() is request throughput
    route_label: str
    method_label: str
    status_label: str  # on requests_counter
    duration_has_status: bool  # whether the histogram also carries status_label
    unmatched_route: str  # route label value of requests that matched no route
    active_requests: str | None = None  # in-flight gauge
    active_requests_labels: tuple[str, ...] = ()
    error_status_regex: str = "5.."  # matches "503" and the instrumentator's grouped "5xx"
    runtime: RuntimeMetrics = field(default_factory=RuntimeMetrics)

    def bucket(self) -> str:
        return bucket_series(self.duration_histogram)

    def count(self) -> str:
        return f"{self.duration_histogram}_count"

    def sum(self) -> str:
        return f"{self.duration_histogram}_sum"


# opentelemetry-instrumentation-fastapi with stable HTTP semconv, as Prometheus sees it (dots
# become underscores, the unit is appended), whether scraped from the OTel Prometheus exporter
# or pushed through a Collector. A request that matched no route has no http_route at all.
# prometheus_client's process and GC collectors come with the exporter's registry.
OTEL = Convention(
    name="otel",
    duration_histogram="http_server_request_duration_seconds",
    buckets=OTEL_HTTP_DURATION_BUCKETS,
    requests_counter="http_server_request_duration_seconds_count",
    route_label="http_route",
    method_label="http_request_method",
    status_label="http_response_status_code",
    duration_has_status=True,
    unmatched_route="",
    active_requests="http_server_active_requests",
    active_requests_labels=("http_request_method",),
    runtime=RuntimeMetrics(),
)

# prometheus-fastapi-instrumentator's defaults: `http_requests_total{handler,method,status}` with
# grouped status ("5xx"), and `http_request_duration_seconds{handler,method}` without status.
# Its in-progress gauge exists only with should_instrument_requests_inprogress=True: opt-in.
INSTRUMENTATOR = Convention(
    name="prometheus-fastapi-instrumentator",
    duration_histogram="http_request_duration_seconds",
    buckets=INSTRUMENTATOR_DURATION_BUCKETS,
    requests_counter="http_requests_total",
    route_label="handler",
    method_label="method",
    status_label="status",
    duration_has_status=False,
    unmatched_route="none",
    active_requests=None,
    active_requests_labels=("handler", "method"),
    runtime=RuntimeMetrics(),
)

PRESETS: Mapping[str, Convention] = {c.name: c for c in (OTEL, INSTRUMENTATOR)}

# Signals a spec may opt in to (`signals:`), each naming the metric the service exposes.
SIGNALS: tuple[str, ...] = (*(f.name for f in fields(RuntimeMetrics)), "active_requests")

# What obsgen's demo service adds to the otel preset; its spec declares exactly these.
DEMO_SERVICE_SIGNALS: Mapping[str, str] = {
    "event_loop_lag": "asyncio_event_loop_lag_seconds",
    "db_connection_count": "db_client_connection_count",
    "db_connection_max": "db_client_connection_max",
    "db_connection_pending": "db_client_connection_pending_requests",
    "db_connection_wait_time": "db_client_connection_wait_time_seconds",
    "db_operation_duration": "db_client_operation_duration_seconds",
    "queue_depth": "background_queue_depth",
    "queue_capacity": "background_queue_capacity",
    "jobs": "background_jobs_total",
    "job_duration": "background_job_duration_seconds",
    "log_records": "log_records_total",
    "telemetry_dropped": "otel_export_dropped_total",
    "telemetry_exported": "otel_export_exported_total",
    "build_info": "app_build_info",
    "startup_duration": "app_startup_duration_seconds",
}

# How metrics reach Prometheus: scraped (`up` exists, `job` is the scrape job), or pushed over
# OTLP through a Collector (`job` is service.namespace/service.name, `target_info`, no `up`).
SCRAPED, PUSHED = "scrape", "otlp"
METRICS_SOURCES = (SCRAPED, PUSHED)
TARGET_INFO_METRIC = "target_info"  # one series per pushing process, from its OTel resource

# Routes that are not user traffic: Prometheus' scrapes and orchestrator probes.
DEFAULT_SLI_EXCLUDED_ROUTES: tuple[str, ...] = (
    "/metrics",
    "/healthz",
    "/readyz",
    "/livez",
    "/health",
    "/ready",
)


def with_signals(base: Convention, signals: Mapping[str, str | None]) -> Convention:
    """``base`` plus opt-in signals (``None`` removes one); the preset's name stays."""
    runtime = {k: v for k, v in signals.items() if k != "active_requests"}
    convention = replace(base, runtime=replace(base.runtime, **runtime))
    if "active_requests" in signals:
        convention = replace(convention, active_requests=signals["active_requests"])
    return convention


def pushed(base: Convention) -> Convention:
    """``base`` as it arrives over OTLP: no prometheus_client process or GC collectors."""
    return replace(
        base,
        runtime=RuntimeMetrics(
            process_cpu_seconds=None,
            process_resident_memory=None,
            process_start_time=None,
            python_gc_collections=None,
        ),
    )


DEMO_SERVICE = with_signals(OTEL, DEMO_SERVICE_SIGNALS)

# Labels that symptom metrics carry; part of the contract with the demo service.
DB_STATE_LABEL = "state"
DB_STATE_USED = "used"  # the DB_STATE_LABEL value of checked-out connections
GC_GENERATION_LABEL = "generation"  # prometheus_client's python_gc_collections_total
BUILD_VERSION_LABEL = "version"  # on runtime.build_info
DB_OPERATION_LABEL = "db_operation_name"
JOB_OUTCOME_LABEL = "outcome"
LOG_LEVEL_LABEL = "level"
TELEMETRY_SIGNAL_LABEL = "signal"


def custom(base: Convention, overrides: Mapping[str, object]) -> Convention:
    """A preset with some names replaced (the spec's `convention: {preset: ..., ...}` form)."""
    return replace(base, name="custom", **overrides)  # type: ignore[arg-type]


# Prometheus' own names: the scrape-health series, its target label, the histogram bound label,
# and the label of the ALERTS series.
UP_METRIC = "up"
INSTANCE_LABEL = "instance"
BUCKET_BOUND_LABEL = "le"
ALERT_STATE_LABEL = "alertstate"
# A label obsgen's queries derive (label_replace) to group statuses as 2xx, 4xx, 5xx.
STATUS_CLASS_LABEL = "status_class"
# What a service is called outside Prometheus: the OTel resource attribute, and the stream
# label Loki's native OTLP ingestion makes of it.
TRACE_SERVICE_ATTRIBUTE = "service.name"
LOKI_SERVICE_LABEL = "service_name"


def bucket_series(histogram: str) -> str:
    """The ``_bucket`` series of a histogram's base name."""
    return f"{histogram}_bucket"


def format_bound(bound: float) -> str:
    """Render a bucket bound the way Prometheus prints it ("0.25", "1", "+Inf")."""
    if bound == float("inf"):
        return "+Inf"
    return repr(float(bound)).removesuffix(".0") if float(bound).is_integer() else repr(bound)


def le_matcher(bound: float) -> str:
    """A label matcher for the `le` bucket of ``bound`` that survives exporter formatting.

    prometheus_client writes integral bounds as "1.0", OTel exporters as "1"; Prometheus 2.x
    stores them verbatim, so an integral bound must match both spellings.
    """
    text = format_bound(bound)
    if float(bound).is_integer():
        return f'le=~"{text}(\\\\.0)?"'
    return f'le="{text}"'


# Recording-rule names: `level:metric:operations` (Prometheus naming convention).
def sli_error_ratio_record(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window}"


SLI_REQUESTS_RATE_RECORD = "slo:sli_requests:rate5m"
SLI_ERRORS_RATE_RECORD = "slo:sli_errors:rate5m"
# Events of the last hour, from the 5m rates: the hourly tiles the period ratio sums.
SLI_REQUESTS_HOURLY_RECORD = "slo:sli_requests:increase1h"
SLI_ERRORS_HOURLY_RECORD = "slo:sli_errors:increase1h"
SLO_OBJECTIVE_RECORD = "slo:objective:ratio"
SLO_ERROR_BUDGET_RECORD = "slo:error_budget:ratio"
SLO_PERIOD_ERROR_RATIO_RECORD = "slo:period_error_ratio:ratio"
SLO_BUDGET_REMAINING_RECORD = "slo:period_error_budget_remaining:ratio"
SLO_BURN_RATE_RECORD = "slo:current_burn_rate:ratio"

# Labels every obsgen recording rule and alert carries.
SERVICE_LABEL = "service"
SLO_LABEL = "slo"
SEVERITY_LABEL = "severity"
# The owning team (the service's `team`) on every alert, so Alertmanager can route by owner.
TEAM_LABEL = "team"
