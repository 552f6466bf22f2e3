"""promtool case builders for the symptom alerts: each fires on its failure mode and stays
silent when healthy. Values are chosen so the alert's value (and so its annotation text) is
exact. :data:`alerts.symptoms.SYMPTOMS` names each alert's builder.
"""

from __future__ import annotations

from collections.abc import Callable

from alerts.cases import AlertCheck, Case, Firing
from alerts.rule import AlertRule
from alerts.series import counter, gauge, line, selector
from alerts.slo_cases import ERROR_STATUS, METHOD, OK_STATUS, minutes, traffic_rps
from obsgen import conventions as names
from obsgen.conventions import format_bound
from obsgen.model import Project, Service

ROUTE = "/example"
INSTANCE = "app:8000"
Series = dict[str, str]
Builder = Callable[[Project, Service, AlertRule, int], "list[Case]"]


def _sel(service: Service) -> dict[str, str]:
    return {service.selector.label: service.selector.value}


def _pair(
    alert: AlertRule, end: int, bad: Series, good: Series, firing: tuple[Firing, ...], what: str
) -> list[Case]:
    return [
        Case(f"{alert.name} fires when {what}", bad, (AlertCheck(alert, end, firing),)),
        Case(f"{alert.name} stays silent when healthy", good, (AlertCheck(alert, end),)),
    ]


def _gauge_pair(
    metric: str | None, extra: dict[str, str], fire: float, calm: float, value: float, what: str
) -> Builder:
    def build(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
        assert metric is not None
        name = selector(getattr(s.convention.runtime, metric), {**_sel(s), **extra})
        return _pair(
            a,
            end,
            {name: gauge((end + 1, fire))},
            {name: gauge((end + 1, calm))},
            (Firing({}, value),),
            what,
        )

    return build


def target_down(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    up = selector(names.UP_METRIC, {**_sel(s), names.INSTANCE_LABEL: INSTANCE})
    return _pair(
        a,
        end,
        {up: gauge((end + 1, 0))},
        {up: gauge((end + 1, 1))},
        (Firing({**_sel(s), names.INSTANCE_LABEL: INSTANCE}, 0),),
        "its target is down",
    )


def target_missing(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    alive = names.TARGET_INFO_METRIC if s.pushed else names.UP_METRIC
    up = selector(alive, {**_sel(s), names.INSTANCE_LABEL: INSTANCE})
    return _pair(a, end, {}, {up: gauge((end + 1, 1))}, (Firing(_sel(s), 1),), "no target exists")


def restarts(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    metric = selector(s.convention.runtime.process_start_time or "", _sel(s))
    n = s.thresholds.restarts_per_hour + 1
    end = max(end, n + 3)  # room for n restarts a minute apart within the hour
    step = 2 if 2 * n + 1 <= end else 1
    steps = [(step, 1000.0 * (i + 1)) for i in range(n)] + [(end + 1 - step * n, 1000.0 * (n + 1))]
    return _pair(
        a,
        end,
        {metric: gauge(*steps)},
        {metric: gauge((end + 1, 1000))},
        (Firing({}, n),),
        f"the process restarted {n} times",
    )


def _requests(s: Service, minutes_: int, bad: float, rps: float) -> Series:
    conv = s.convention
    base = {**_sel(s), conv.route_label: ROUTE, conv.method_label: METHOD}
    return {
        selector(conv.requests_counter, {**base, conv.status_label: OK_STATUS}): counter(
            (minutes_, rps * 60 * (1 - bad))
        ),
        selector(conv.requests_counter, {**base, conv.status_label: ERROR_STATUS}): counter(
            (minutes_, rps * 60 * bad)
        ),
    }


def route_errors(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    bad = min(1.0, s.thresholds.error_ratio * 2)
    if bad <= s.thresholds.error_ratio:
        return []
    rps = traffic_rps(p)
    return _pair(
        a,
        end,
        _requests(s, end, bad, rps),
        _requests(s, end, s.thresholds.error_ratio / 2, rps),
        (Firing({s.convention.route_label: ROUTE}, bad),),
        f"{bad:.0%} of a route's requests fail",
    )


def _histogram(
    metric: str, labels: dict[str, str], bounds: list[float], counts: list[float], end: int
) -> Series:
    return {
        selector(metric, {**labels, names.BUCKET_BOUND_LABEL: format_bound(b)}): counter((end, c))
        for b, c in zip(bounds + [float("inf")], counts + [counts[-1]])
    }


def _p99_bounds(bounds: tuple[float, ...], threshold: float) -> tuple[float, float] | None:
    """(lower, upper) bounds whose bucket puts the P99 over ``threshold`` when it holds all."""
    for i, upper in enumerate(bounds):
        lower = bounds[i - 1] if i else 0.0
        if upper > threshold and lower + (upper - lower) * 0.99 > threshold:
            return lower, upper
    return None


def latency(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    conv, threshold = s.convention, s.thresholds.latency_p99_seconds
    picked = _p99_bounds(conv.buckets, threshold)
    calm = [b for b in conv.buckets if b <= threshold]
    if picked is None or not calm:
        return []
    lower, upper = picked
    labels = {**_sel(s), conv.route_label: ROUTE, conv.method_label: METHOD}
    if conv.duration_has_status:
        labels[conv.status_label] = OK_STATUS
    n = traffic_rps(p) * 60
    traffic = {
        selector(conv.requests_counter, {**labels, conv.status_label: OK_STATUS}): counter((end, n))
    }
    slow = {**traffic, **_histogram(conv.bucket(), labels, [lower, upper], [0, n], end)}
    fast = {**traffic, **_histogram(conv.bucket(), labels, [calm[-1]], [n], end)}
    return _pair(
        a,
        end,
        slow,
        fast,
        (Firing({}, lower + (upper - lower) * 0.99),),
        f"requests take {format_bound(lower)}-{format_bound(upper)}s",
    )


def loop_lag(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    metric, thr = (
        names.bucket_series(s.convention.runtime.event_loop_lag or ""),
        s.thresholds.event_loop_lag_seconds,
    )
    slow = _histogram(metric, _sel(s), [thr, thr * 4], [0, 60], end)
    fast = _histogram(metric, _sel(s), [thr / 2], [60], end)
    return _pair(
        a,
        end,
        slow,
        fast,
        (Firing({}, thr + 3 * thr * 0.99),),
        "callbacks run late by more than the threshold",
    )


def db_pool(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    rt = s.convention.runtime
    used = selector(
        rt.db_connection_count or "", {**_sel(s), names.DB_STATE_LABEL: names.DB_STATE_USED}
    )
    size = selector(rt.db_connection_max or "", _sel(s))
    calm = round(10 * s.thresholds.db_pool_ratio / 2)
    return _pair(
        a,
        end,
        {used: gauge((end + 1, 10)), size: gauge((end + 1, 10))},
        {used: gauge((end + 1, calm)), size: gauge((end + 1, 10))},
        (Firing({}, 1.0),),
        "every pool connection is in use",
    )


def memory_trend(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    limit = s.limits.memory_bytes
    rss = selector(s.convention.runtime.process_resident_memory or "", _sel(s))
    horizon = round(s.thresholds.memory_exhaustion_hours * 60)  # minutes
    # +30% of the limit an hour, or steeper when the horizon is short: the projection must be
    # over the limit from the first minute the alert's `for` counts (end - for), with margin.
    first = max(1, end - minutes(a.for_) - 1)
    start, slope = 0.1 * limit, max(0.005 * limit, 1.2 * limit / (first + horizon))
    projected = (start + slope * end + slope * horizon) / limit
    return _pair(
        a,
        end,
        {rss: line(start, slope, end)},
        {rss: gauge((end + 1, 0.5 * limit))},
        (Firing({}, projected),),
        f"memory grows {slope * 60 / limit:.0%} of the limit an hour",
    )


def memory(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    thr, limit = s.thresholds.memory_ratio, s.limits.memory_bytes
    fire = (1 + thr) / 2
    return _gauge_pair(
        "process_resident_memory",
        {},
        fire * limit,
        thr / 2 * limit,
        fire,
        f"memory is at {fire:.0%} of the limit",
    )(p, s, a, end)


def cpu(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    thr, cores = s.thresholds.cpu_ratio, s.limits.cpu_cores
    fire = (1 + thr) / 2
    metric = selector(s.convention.runtime.process_cpu_seconds or "", _sel(s))
    return _pair(
        a,
        end,
        {metric: counter((end, fire * cores * 60))},
        {metric: counter((end, thr / 2 * cores * 60))},
        (Firing({}, fire),),
        f"it uses {fire:.0%} of its CPU limit",
    )


def queue(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    rt, thr = s.convention.runtime, s.thresholds.queue_fill_ratio
    depth, cap = selector(rt.queue_depth or "", _sel(s)), selector(rt.queue_capacity or "", _sel(s))
    fire = (1 + thr) / 2
    return _pair(
        a,
        end,
        {depth: gauge((end + 1, 100 * fire)), cap: gauge((end + 1, 100))},
        {depth: gauge((end + 1, 0)), cap: gauge((end + 1, 100))},
        (Firing({}, fire),),
        f"the queue is {fire:.0%} full",
    )


def log_flood(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    thr = s.thresholds.log_rate_per_second
    metric = selector(
        s.convention.runtime.log_records or "", {**_sel(s), names.LOG_LEVEL_LABEL: "info"}
    )
    return _pair(
        a,
        end,
        {metric: counter((end, thr * 2 * 60))},
        {metric: counter((end, thr / 2 * 60))},
        (Firing({}, thr * 2),),
        "it logs twice the threshold",
    )


def telemetry(p: Project, s: Service, a: AlertRule, end: int) -> list[Case]:
    labels = {**_sel(s), names.TELEMETRY_SIGNAL_LABEL: "traces"}
    metric = selector(s.convention.runtime.telemetry_dropped or "", labels)
    return _pair(
        a,
        end,
        {metric: counter((end, 60))},
        {metric: counter((end, 0))},
        (Firing({names.TELEMETRY_SIGNAL_LABEL: "traces"}, 1),),
        "spans are dropped",
    )


db_waiters = _gauge_pair("db_connection_pending", {}, 3, 0, 3, "3 requests wait")


def merge_silent(cases: list[Case], name: str) -> list[Case]:
    """One case for every "stays silent when healthy" check whose series agree: each promtool
    case re-evaluates every rule each minute, so fewer, merged cases keep the run fast."""
    merged: dict[str, str] = {}
    checks: list[AlertCheck] = []
    rest: list[Case] = []
    for case in cases:
        silent = all(not c.firing for c in case.alerts)
        if silent and all(merged.get(k, v) == v for k, v in case.series.items()):
            merged.update(case.series)
            checks += case.alerts
        else:
            rest.append(case)
    return rest + ([Case(name, merged, tuple(checks))] if checks else [])
