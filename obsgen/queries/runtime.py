"""Saturation and failure-mode signals (guide F1–F8, M7–M10), shared by symptom alerts and panels.

Each function returns None when the service's convention does not provide the metric, so the
caller skips its alert or panel (with a note) instead of emitting a query that never has data.
"""

from __future__ import annotations

from obsgen import conventions as names
from obsgen.model import Service
from obsgen.queries.base import Target, by


def _quantile(
    target: Target, metric: str | None, quantile: float, window: str, group: tuple[str, ...] = ()
) -> str | None:
    """A quantile of a runtime histogram, or None when the convention lacks it."""
    if not metric:
        return None
    series = target.select(names.bucket_series(metric))
    labels = ", ".join((names.BUCKET_BOUND_LABEL, *group))
    return f"histogram_quantile({quantile}, sum by ({labels}) (rate({series}[{window}])))"


def up(target: Target) -> str:
    """Scrape health of the service's targets (1 up, 0 down)."""
    return target.select(names.UP_METRIC)


def liveness(target: Target) -> str:
    """The series that exists while the service is known: ``up`` per scrape target, or the
    OTel resource's ``target_info`` per pushing process."""
    return target.select(names.TARGET_INFO_METRIC if target.pushed else names.UP_METRIC)


def absent_target(target: Target) -> str:
    """True when Prometheus has no scrape target (or no pushing process) for the service."""
    return f"absent({liveness(target)})"


def restarts(target: Target, window: str) -> str | None:
    metric = target.convention.runtime.process_start_time
    return f"sum(changes({target.select(metric)}[{window}]))" if metric else None


def cpu_utilization(target: Target, service: Service, window: str) -> str | None:
    """CPU used as a share of the service's CPU limit (per instance, worst instance)."""
    metric = target.convention.runtime.process_cpu_seconds
    if not metric:
        return None
    return f"max(rate({target.select(metric)}[{window}])) / {service.limits.cpu_cores!r}"


def memory_utilization(target: Target, service: Service) -> str | None:
    """Resident memory as a share of the memory limit (worst instance)."""
    metric = target.convention.runtime.process_resident_memory
    if not metric:
        return None
    return f"max({target.select(metric)}) / {service.limits.memory_bytes}"


def memory_growth_projection(
    target: Target, service: Service, window: str, horizon_seconds: int
) -> str | None:
    """Resident memory projected ``horizon_seconds`` ahead as a share of the limit (leaks)."""
    metric = target.convention.runtime.process_resident_memory
    if not metric:
        return None
    return (
        f"max(predict_linear({target.select(metric)}[{window}], {horizon_seconds})) "
        f"/ {service.limits.memory_bytes}"
    )


def memory_resident(target: Target) -> str | None:
    metric = target.convention.runtime.process_resident_memory
    return f"max({target.select(metric)})" if metric else None


def event_loop_lag(target: Target, quantile: float, window: str) -> str | None:
    """How late scheduled callbacks ran: blocking code in async handlers (F1)."""
    return _quantile(target, target.convention.runtime.event_loop_lag, quantile, window)


def db_pool_usage(target: Target) -> str | None:
    """Share of the DB pool's connections in use (F2, M7)."""
    rt = target.convention.runtime
    if not (rt.db_connection_count and rt.db_connection_max):
        return None
    used = target.select(rt.db_connection_count, f'{names.DB_STATE_LABEL}="{names.DB_STATE_USED}"')
    return f"sum({used}) / (sum({target.select(rt.db_connection_max)}) > 0)"


def db_pool_pending(target: Target) -> str | None:
    """Requests waiting for a DB connection: the pool is exhausted."""
    metric = target.convention.runtime.db_connection_pending
    return f"sum({target.select(metric)})" if metric else None


def db_connections(target: Target) -> str | None:
    """Connections by state (used / idle)."""
    metric = target.convention.runtime.db_connection_count
    return f"sum by ({names.DB_STATE_LABEL}) ({target.select(metric)})" if metric else None


def db_pool_size(target: Target) -> str | None:
    metric = target.convention.runtime.db_connection_max
    return f"sum({target.select(metric)})" if metric else None


def db_operation_duration(target: Target, quantile: float, window: str) -> str | None:
    return _quantile(
        target,
        target.convention.runtime.db_operation_duration,
        quantile,
        window,
        (names.DB_OPERATION_LABEL,),
    )


def queue_depth(target: Target) -> str | None:
    metric = target.convention.runtime.queue_depth
    return f"sum({target.select(metric)})" if metric else None


def queue_fill(target: Target) -> str | None:
    """Share of the background queue's capacity in use (F3, M10)."""
    rt = target.convention.runtime
    if not (rt.queue_depth and rt.queue_capacity):
        return None
    return f"sum({target.select(rt.queue_depth)}) / (sum({target.select(rt.queue_capacity)}) > 0)"


def job_rate(target: Target, window: str) -> str | None:
    """Background jobs per second by outcome (success, failure, dropped)."""
    metric = target.convention.runtime.jobs
    if not metric:
        return None
    return f"sum by ({names.JOB_OUTCOME_LABEL}) (rate({target.select(metric)}[{window}]))"


def log_rate(target: Target, window: str, group: tuple[str, ...] = ()) -> str | None:
    """Log records per second (F7: logging flood)."""
    metric = target.convention.runtime.log_records
    return f"sum{by(group)} (rate({target.select(metric)}[{window}]))" if metric else None


def telemetry_dropped_rate(target: Target, window: str) -> str | None:
    """Spans / log records the exporter dropped per second, by signal."""
    metric = target.convention.runtime.telemetry_dropped
    if not metric:
        return None
    return f"sum by ({names.TELEMETRY_SIGNAL_LABEL}) (rate({target.select(metric)}[{window}]))"


def telemetry_exported_rate(target: Target, window: str) -> str | None:
    metric = target.convention.runtime.telemetry_exported
    if not metric:
        return None
    return f"sum by ({names.TELEMETRY_SIGNAL_LABEL}) (rate({target.select(metric)}[{window}]))"


def gc_collections_rate(target: Target, window: str) -> str | None:
    metric = target.convention.runtime.python_gc_collections
    return (
        f"sum by ({names.GC_GENERATION_LABEL}) (rate({target.select(metric)}[{window}]))"
        if metric
        else None
    )


def build_info(target: Target) -> str | None:
    metric = target.convention.runtime.build_info
    return target.select(metric) if metric else None


def process_start_time(target: Target) -> str | None:
    metric = target.convention.runtime.process_start_time
    return target.select(metric) if metric else None


def deploys(target: Target, window: str) -> str | None:
    """A new build version appeared within ``window`` (deploy annotations)."""
    metric = target.convention.runtime.build_info
    if not metric:
        return None
    series = target.select(metric)
    version = names.BUILD_VERSION_LABEL
    return f"count by ({version}) ({series}) unless count by ({version}) ({series} offset {window})"


def cpu_cores_used(target: Target, window: str) -> str | None:
    """CPU cores used per instance (debug detail beside the utilization panel)."""
    metric = target.convention.runtime.process_cpu_seconds
    return f"sum by (instance) (rate({target.select(metric)}[{window}]))" if metric else None


def job_duration(target: Target, quantile: float, window: str) -> str | None:
    return _quantile(target, target.convention.runtime.job_duration, quantile, window)


def startup_duration(target: Target) -> str | None:
    """Seconds from process start to ready (guide M12: cold start)."""
    metric = target.convention.runtime.startup_duration
    return f"max({target.select(metric)})" if metric else None
