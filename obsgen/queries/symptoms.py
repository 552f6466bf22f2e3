"""Symptom alert conditions (guide F1–F8): a runtime/http signal compared with a threshold.

Kept beside the signals they compare so the alert and the dashboard panel that shows it run
the same expression. Each returns None when the convention lacks the metric, so the caller
skips the alert with a note instead of emitting a rule that can never fire.
"""

from __future__ import annotations

from obsgen.model import Service
from obsgen.queries import http, runtime
from obsgen.queries.base import Target

RATE_WINDOW = "5m"
MEMORY_TREND_WINDOW = "1h"


def _over(expr: str | None, threshold: float, op: str = ">") -> str | None:
    return f"{expr} {op} {threshold!r}" if expr else None


def target_down(target: Target) -> str | None:
    """A scrape target of the service answers no scrape. Pushed metrics have no scrape target,
    and a restarted process pushes under a new instance id: no per-instance liveness then."""
    return None if target.pushed else f"{runtime.up(target)} == 0"


def target_missing(target: Target) -> str:
    """Prometheus has no target for the service at all (every other alert would be blind);
    for pushed metrics, no process of the service has pushed in the lookback window."""
    return runtime.absent_target(target)


def restarts_over(target: Target, window: str, count: int) -> str | None:
    return _over(runtime.restarts(target, window), count)


def route_error_ratio_over(target: Target, ratio: float, min_rate: float) -> str:
    """5xx ratio per route above ``ratio``, on routes with at least ``min_rate`` req/s."""
    route = (target.convention.route_label,)
    errors = http.error_ratio(target, RATE_WINDOW, route)
    traffic = http.request_rate(target, RATE_WINDOW, route)
    return f"(\n{errors}\n) > {ratio!r}\nand on ({route[0]})\n{traffic} > {min_rate!r}"


def latency_p99_over(target: Target, seconds: float, min_rate: float) -> str:
    """P99 latency of the whole service above ``seconds``, with enough traffic to mean it."""
    p99 = http.latency_quantile(target, 0.99, RATE_WINDOW)
    return (
        f"{p99} > {seconds!r}\nand on ()\n{http.request_rate(target, RATE_WINDOW)} > {min_rate!r}"
    )


def event_loop_lag_over(target: Target, seconds: float) -> str | None:
    return _over(runtime.event_loop_lag(target, 0.99, RATE_WINDOW), seconds)


def db_pool_usage_over(target: Target, ratio: float) -> str | None:
    return _over(runtime.db_pool_usage(target), ratio, ">=")


def db_pool_waiting(target: Target) -> str | None:
    return _over(runtime.db_pool_pending(target), 0)


def memory_over(target: Target, service: Service, ratio: float) -> str | None:
    return _over(runtime.memory_utilization(target, service), ratio)


def memory_exhaustion_projected(
    target: Target, service: Service, horizon_seconds: int
) -> str | None:
    """Resident memory's last-hour trend reaches the limit within ``horizon_seconds``."""
    projection = runtime.memory_growth_projection(
        target, service, MEMORY_TREND_WINDOW, horizon_seconds
    )
    return _over(projection, 1)


def cpu_over(target: Target, service: Service, ratio: float) -> str | None:
    return _over(runtime.cpu_utilization(target, service, RATE_WINDOW), ratio)


def queue_fill_over(target: Target, ratio: float) -> str | None:
    return _over(runtime.queue_fill(target), ratio)


def log_rate_over(target: Target, per_second: float) -> str | None:
    return _over(runtime.log_rate(target, RATE_WINDOW), per_second)


def telemetry_dropping(target: Target) -> str | None:
    return _over(runtime.telemetry_dropped_rate(target, RATE_WINDOW), 0)
