"""Symptom alerts: the guide's failure modes (F1–F8) seen through the service's own metrics.

Page only for what users feel now (the service is gone, a route fails, P99 is too slow); the
causes behind them (event-loop blocking, pool exhaustion, memory, CPU, backlog, log and
telemetry floods) open tickets. An alert whose metric the convention lacks is skipped with a
note, never emitted as a rule that cannot fire.

Each :class:`Symptom` is the one definition of its alert: expression, severity, texts, the
panel it links to, its runbook and its promtool cases. Every family (rules, runbooks, tests,
Alertmanager) reads it from :data:`SYMPTOMS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerts import symptom_cases as cases
from alerts.cases import Case
from alerts.links import dashboard_url, panel_sentence, runbook_url
from alerts.rule import AlertGroup, AlertRule, Runbook
from alerts.slo_cases import minutes
from alerts.templates import PERCENT, VALUE, label
from obsgen import conventions as names
from obsgen.model import Project, Service, SloKind
from obsgen.queries import symptoms as q
from obsgen.queries.base import Target, rule_target

RESTART_WINDOW = "1h"  # thresholds.restarts_per_hour counts restarts in this window

Condition = Callable[[Project, Service, Target], "str | None"]
Text = Callable[[Service], str]


def pct(ratio: float) -> str:
    return f"{ratio * 100:g}%"


@dataclass(frozen=True)
class Symptom:
    name: str
    severity: str
    for_: str
    condition: Condition
    summary: Text  # Prometheus templates allowed; the rule's own labels are not in $labels
    description: Text
    needs: str  # what metric the convention must provide, for the skip note
    panel: tuple[str, str]  # (dashboard kind, panel key) that shows the threshold
    runbook: Runbook
    cases: cases.Builder
    silences_service: bool = False  # while it fires, every other alert of the service is noise
    # The SLO kind whose burn-rate pages describe the same user pain: while one of the
    # service's SLO pages of this kind fires, this alert is inhibited (one page per incident).
    explained_by: SloKind | None = None


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(
        "TargetDown",
        "page",
        "5m",
        lambda p, s, t: q.target_down(t),
        lambda s: f"{s.name}: scrape target {label('instance')} is down",
        lambda s: (
            f"Prometheus cannot scrape {s.name}'s target {label('instance')}: the process "
            "is down, crash-looping or not answering /metrics."
        ),
        "up",
        ("oncall", "firing-alerts"),
        Runbook(
            "Prometheus cannot scrape a target of the service.",
            "The instance is likely not serving; its metrics and alerts are blind.",
            (
                (
                    "Check pod status, restarts and readiness probes; check the /metrics endpoint "
                    "answers."
                ),
            ),
        ),
        cases.target_down,
        silences_service=True,
    ),
    Symptom(
        "TargetMissing",
        "page",
        "10m",
        lambda p, s, t: q.target_missing(t),
        lambda s: (
            f"{s.name}: Prometheus has no "
            f"{'pushed metrics' if s.pushed else 'scrape target'} for {label(s.selector.label)}"
        ),
        lambda s: (
            f"No `{names.TARGET_INFO_METRIC if s.pushed else names.UP_METRIC}` series "
            f'with {s.selector.label}="{label(s.selector.label)}" exists for {s.name}: it is not '
            + (
                "pushing metrics (stopped, or its Collector is down)"
                if s.pushed
                else "deployed, or service discovery lost it"
            )
            + f". Every other alert of {s.name} is blind until this is fixed."
        ),
        "up",
        ("oncall", "firing-alerts"),
        Runbook(
            "No scrape target exists for the service.",
            "Every alert for it is blind.",
            ("Check the deployment exists and service discovery/labels select it.",),
        ),
        cases.target_missing,
        silences_service=True,
    ),
    Symptom(
        "ProcessRestarts",
        "ticket",
        "1m",
        lambda p, s, t: q.restarts_over(t, RESTART_WINDOW, s.thresholds.restarts_per_hour),
        lambda s: f"{s.name} restarted {VALUE} times in {RESTART_WINDOW}",
        lambda s: (
            f"{s.name} restarted {VALUE} times in the last {RESTART_WINDOW} (more than "
            f"{s.thresholds.restarts_per_hour}): OOM kills, failing liveness probes or crashes at "
            "startup (guide F6)."
        ),
        "process_start_time",
        ("oncall", "memory"),  # restarts show as annotations; OOM is usual
        Runbook(
            "The process restarts repeatedly (F6).",
            "Requests drop during restarts.",
            ("Check OOM kills and exit codes; tune worker counts and probes (F6).",),
        ),
        cases.restarts,
    ),
    # `for: 15m`: the availability SLO's page-fast must always be first and outlast it. A full
    # outage pages page-fast after 52 s (0.0144 x 1h); this alert needs 15 s + 15m. A uniform 5xx
    # ratio e over the 5% threshold crosses in 0.25/e min and its 5m window drains 5(1-0.05/e) min
    # after recovery, so it can only first fire after recovery for outages of F-5+0.5/e..F+0.25/e
    # min. page-fast has fired by then (1h ratio e*T > 1.44%) iff F > 5 + 0.364/e, i.e. F >= 12.3m
    # for every e >= 5%, and its 5m ratio (threshold 1.44% < 5%) drains later than this one's:
    # the alert stays inhibited until it resolves. 10m left incidents of 13-14 min at 5-7% 5xx
    # that paged after recovery. Errors on a single small route (invisible to the SLO) still page
    # on their own, and can do so up to 5 min after that route recovered.
    Symptom(
        "RouteErrorRatioHigh",
        "page",
        "15m",
        lambda p, s, t: q.route_error_ratio_over(
            t, s.thresholds.error_ratio, p.alerting.min_request_rate
        ),
        lambda s: f"{s.name}: {PERCENT} of {label(s.convention.route_label)} requests fail",
        lambda s: (
            f"{PERCENT} of {s.name}'s requests to a route fail with 5xx (threshold "
            f"{pct(s.thresholds.error_ratio)}), unhandled exceptions or a failing dependency "
            "(guide F8)."
        ),
        "requests_counter",
        ("oncall", "error-ratio-by-route"),
        Runbook(
            "A route fails with 5xx (F8).",
            "Users of that route see errors.",
            ("Centralize error handling; roll back; check dependencies (F8).",),
        ),
        cases.route_errors,
        explained_by=SloKind.AVAILABILITY,
    ),
    # `for: 30m`: the latency SLO (99% < 0.25 s) pages a full slowdown after 8.6 min
    # (0.144 x 1h), but its 5m ratio (threshold 14.4%) drains 4.3 min after recovery while this
    # P99 window (1% of requests) takes 4.95 min: page-fast cannot cover this alert's tail, only
    # page-slow can (6h ratio over 6%: 21.6 min of full slowdown, then its 30m window holds for
    # ~28 min). With F >= 21.6 + 4.95 min this alert can only fire once page-slow fires, and stays
    # inhibited until it resolves. 10m made slowdowns of 5-10 min page after recovery (issue 16).
    # Partial slowdowns with 1-6% of requests slow never page the SLO: they page here, after 30m.
    Symptom(
        "LatencyP99High",
        "page",
        "30m",
        lambda p, s, t: q.latency_p99_over(
            t, s.thresholds.latency_p99_seconds, p.alerting.min_request_rate
        ),
        lambda s: f"{s.name}: P99 latency is {VALUE}s",
        lambda s: (
            f"{s.name}'s P99 latency is {VALUE}s, over "
            f"{s.thresholds.latency_p99_seconds:g}s (guide M3): blocking code, slow queries or CPU "
            "starvation (F1, F5)."
        ),
        "duration_histogram",
        ("oncall", "latency-p99"),
        Runbook(
            "Tail latency is over the spec's limit (M3).",
            "Slow responses, timeouts.",
            ("Move blocking code off the event loop (F1); offload CPU work (F5).",),
        ),
        cases.latency,
        explained_by=SloKind.LATENCY,
    ),
    Symptom(
        "EventLoopLagHigh",
        "ticket",
        "10m",
        lambda p, s, t: q.event_loop_lag_over(t, s.thresholds.event_loop_lag_seconds),
        lambda s: f"{s.name}: the event loop lags {VALUE}s (P99)",
        lambda s: (
            f"P99 event-loop lag of {s.name} is {VALUE}s, over "
            f"{s.thresholds.event_loop_lag_seconds:g}s: blocking sync code runs in async handlers "
            "(guide F1)."
        ),
        "event_loop_lag",
        ("oncall", "event-loop-lag"),
        Runbook(
            "Blocking code stalls the asyncio event loop (F1).",
            "All requests on the worker slow down together.",
            ("Move to async or run in a threadpool (F1); find the handler in slow traces.",),
        ),
        cases.loop_lag,
    ),
    Symptom(
        "DbPoolSaturated",
        "ticket",
        "10m",
        lambda p, s, t: q.db_pool_usage_over(t, s.thresholds.db_pool_ratio),
        lambda s: f"{s.name}: {PERCENT} of the DB pool in use",
        lambda s: (
            f"{PERCENT} of {s.name}'s DB pool connections are in use (threshold "
            f"{pct(s.thresholds.db_pool_ratio)}): leaked connections or slow queries (guide F2)."
        ),
        "db_connection_count and db_connection_max",
        ("oncall", "db-pool-usage"),
        Runbook(
            "The DB connection pool is nearly exhausted (F2).",
            "Requests will queue for connections and time out.",
            (
                (
                    "Use connection pools and close on teardown (F2); look for leaked sessions and "
                    "slow queries."
                ),
            ),
        ),
        cases.db_pool,
    ),
    Symptom(
        "DbPoolWaiters",
        "ticket",
        "5m",
        lambda p, s, t: q.db_pool_waiting(t),
        lambda s: f"{s.name}: {VALUE} requests wait for a DB connection",
        lambda s: (
            f"{VALUE} requests of {s.name} are waiting for a DB connection: the pool is "
            "exhausted (guide F2)."
        ),
        "db_connection_pending",
        ("oncall", "db-pool-waiters"),
        Runbook(
            "Requests wait for a DB connection (F2).",
            "Latency rises, then timeouts.",
            ("Fix connection leaks (F2); raise the pool size only with DB headroom.",),
        ),
        cases.db_waiters,
    ),
    Symptom(
        "MemoryNearLimit",
        "ticket",
        "15m",
        lambda p, s, t: q.memory_over(t, s, s.thresholds.memory_ratio),
        lambda s: f"{s.name}: memory at {PERCENT} of its limit",
        lambda s: (
            f"{s.name}'s resident memory is {PERCENT} of its limit (threshold "
            f"{pct(s.thresholds.memory_ratio)}; guide M8 keeps 20% headroom): OOM kills follow "
            "(F3)."
        ),
        "process_resident_memory",
        ("oncall", "memory"),
        Runbook(
            "Resident memory is close to the limit (F3, M8).",
            "OOM kills follow.",
            ("Rate-limit background tasks or use an external queue (F3).",),
        ),
        cases.memory,
    ),
    Symptom(
        "MemoryExhaustionProjected",
        "ticket",
        "30m",
        lambda p, s, t: q.memory_exhaustion_projected(
            t, s, round(s.thresholds.memory_exhaustion_hours * 3600)
        ),
        lambda s: (
            f"{s.name}: memory heads for {PERCENT} of its limit in "
            f"{s.thresholds.memory_exhaustion_hours:g}h"
        ),
        lambda s: (
            f"At the last hour's growth, {s.name}'s resident memory reaches {PERCENT} of "
            f"its limit within {s.thresholds.memory_exhaustion_hours:g}h: a leak or unbounded "
            "background tasks (guide F3)."
        ),
        "process_resident_memory",
        ("oncall", "memory"),
        Runbook(
            "Memory grows steadily toward the limit (F3).",
            "An OOM kill within hours.",
            ("Find the leak; bound background tasks (F3).",),
        ),
        cases.memory_trend,
    ),
    Symptom(
        "CpuSaturated",
        "ticket",
        "15m",
        lambda p, s, t: q.cpu_over(t, s, s.thresholds.cpu_ratio),
        lambda s: f"{s.name}: CPU at {PERCENT} of its limit",
        lambda s: (
            f"{s.name} uses {PERCENT} of its CPU limit (threshold "
            f"{pct(s.thresholds.cpu_ratio)}): CPU-bound work in the request path (guide F5)."
        ),
        "process_cpu_seconds",
        ("oncall", "cpu"),
        Runbook(
            "CPU is near the limit (F5).",
            "Slow responses under load.",
            ("Offload CPU-bound work to workers or increase workers (F5).",),
        ),
        cases.cpu,
    ),
    Symptom(
        "BackgroundQueueBacklog",
        "ticket",
        "15m",
        lambda p, s, t: q.queue_fill_over(t, s.thresholds.queue_fill_ratio),
        lambda s: f"{s.name}: background queue {PERCENT} full",
        lambda s: (
            f"{s.name}'s background queue is {PERCENT} full (threshold "
            f"{pct(s.thresholds.queue_fill_ratio)}; guide M10 wants it near zero): workers are too "
            "slow or stuck (F3, F6)."
        ),
        "queue_depth and queue_capacity",
        ("oncall", "background-backlog"),
        Runbook(
            "The background queue fills up (M10).",
            "Deferred work is late or dropped.",
            ("Scale workers; find stuck jobs; shed load.",),
        ),
        cases.queue,
    ),
    Symptom(
        "LogFlood",
        "ticket",
        "15m",
        lambda p, s, t: q.log_rate_over(t, s.thresholds.log_rate_per_second),
        lambda s: f"{s.name}: logging flood of {VALUE} records/s",
        lambda s: (
            f"{s.name} writes {VALUE} log records/s, over "
            f"{s.thresholds.log_rate_per_second:g}/s: verbose logs in a hot path saturate the "
            "logging pipeline (guide F7)."
        ),
        "log_records",
        ("debug", "log-volume"),
        Runbook(
            "The service logs far more than usual (F7).",
            "Disk or the logging system saturates.",
            ("Rate-limit or sample logs; lower log levels (F7).",),
        ),
        cases.log_flood,
    ),
    Symptom(
        "TelemetryExportDropping",
        "ticket",
        "15m",
        lambda p, s, t: q.telemetry_dropping(t),
        lambda s: f"{s.name}: telemetry export drops {label(names.TELEMETRY_SIGNAL_LABEL)}",
        lambda s: (
            f"{s.name}'s OTLP exporter drops {VALUE} "
            f"{label(names.TELEMETRY_SIGNAL_LABEL)} items/s: the collector is down or too slow, "
            "and traces/logs are lost."
        ),
        "telemetry_dropped",
        ("debug", "telemetry-dropped"),
        Runbook(
            "The OTLP exporter drops spans or logs.",
            "Traces and logs of incidents are lost.",
            (("Check the collector is up and keeping up; tune batch/queue sizes and sampling."),),
        ),
        cases.telemetry,
    ),
)


def symptom_alert(project: Project, service: Service, symptom: Symptom) -> AlertRule | None:
    expr = symptom.condition(project, service, rule_target(service))
    if expr is None:
        return None
    kind, key = symptom.panel
    return AlertRule(
        name=symptom.name,
        expr=expr,
        for_=symptom.for_,
        severity=symptom.severity,
        labels={
            **project.extra_labels,
            names.SERVICE_LABEL: service.name,
            names.TEAM_LABEL: service.team,
        },
        summary=symptom.summary(service),
        description=f"{symptom.description(service)} {panel_sentence(kind, key)}",
        runbook_url=runbook_url(project, symptom.name),
        dashboard_url=dashboard_url(project, service, kind, key),
        panel=(kind, key),
        runbook=symptom.runbook,
    )


def _emitted(project: Project, service: Service) -> list[tuple[Symptom, AlertRule | None]]:
    return [(symptom, symptom_alert(project, service, symptom)) for symptom in SYMPTOMS]


def symptom_group(project: Project, service: Service) -> tuple[AlertGroup, list[str]]:
    """The service's symptom alerts, and a note per alert its convention cannot support."""
    rules: list[AlertRule] = []
    notes: list[str] = []
    for symptom, rule in _emitted(project, service):
        if rule is None:
            pushed = " (its metrics are pushed over OTLP)" if service.pushed else ""
            notes.append(
                f"{service.name}: skipped alert {symptom.name}: convention "
                f"{service.convention.name!r} has no {symptom.needs} metric{pushed}"
            )
        else:
            rules.append(rule)
    return AlertGroup(f"obsgen-{service.name}-symptoms", tuple(rules)), notes


def symptom_cases(project: Project, service: Service) -> tuple[list[Case], list[str]]:
    """Each emitted symptom alert's promtool cases (the healthy ones merged into one)."""
    built: list[Case] = []
    notes: list[str] = []
    for symptom, alert in _emitted(project, service):
        if alert is None:
            continue
        found = symptom.cases(project, service, alert, minutes(alert.for_) + 10)
        if not found:
            notes.append(
                f"{service.name}: no promtool case for {alert.name} with these "
                "thresholds and buckets"
            )
        built += found
    return cases.merge_silent(built, "every symptom alert stays silent on a healthy service"), notes
