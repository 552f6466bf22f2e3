"""Symptom alerts: the guide's failure modes (F1–F8) seen through the service's own metrics.

Page only for what users feel now (the service is gone, a route fails, P99 is too slow); the
causes behind them (event-loop blocking, pool exhaustion, memory, CPU, backlog, log and
telemetry floods) open tickets. An alert whose metric the convention lacks is skipped with a
note, never emitted as a rule that cannot fire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from alerts.links import PANELS, dashboard_url, panel_sentence, runbook_url
from alerts.rule import AlertGroup, AlertRule
from obsgen import conventions as names
from obsgen.model import Project, Service
from obsgen.queries import symptoms as q
from obsgen.queries.base import Target, rule_target

RESTART_WINDOW = "1h"  # thresholds.restarts_per_hour counts restarts in this window

Condition = Callable[[Project, Service, Target], "str | None"]


@dataclass(frozen=True)
class Symptom:
    name: str
    severity: str
    for_: str
    condition: Condition
    summary: str
    description: str  # may use {t} (the service's thresholds) and Prometheus templates
    needs: str  # what metric the convention must provide, for the skip note


def _svc(text: str) -> str:
    """Texts name the service as SERVICE; the rule's own labels are not in ``$labels``."""
    return text


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom("TargetDown", "page", "5m", lambda p, s, t: q.target_down(t),
            _svc("SERVICE: scrape target {{ $labels.instance }} is down"),
            _svc("Prometheus cannot scrape SERVICE's target {{ $labels.instance }}: the process "
                 "is down, crash-looping or not answering /metrics."), "up"),
    Symptom("TargetMissing", "page", "10m", lambda p, s, t: q.target_missing(t),
            _svc("SERVICE: Prometheus has no scrape target for {{ $labels.SELECTOR }}"),
            _svc("No `up` series with SELECTOR=\"{{ $labels.SELECTOR }}\" exists for SERVICE: it is not deployed, or service discovery "
                 "lost it. Every other alert of SERVICE is blind until this is fixed."), "up"),
    Symptom("ProcessRestarts", "ticket", "1m",
            lambda p, s, t: q.restarts_over(t, RESTART_WINDOW, s.thresholds.restarts_per_hour),
            _svc("SERVICE restarted {{ $value | humanize }} times in " + RESTART_WINDOW),
            _svc("SERVICE restarted {{ $value | humanize }} times in the last "
                 + RESTART_WINDOW + " (more than {restarts}): OOM kills, failing liveness "
                 "probes or crashes at startup (guide F6)."), "process_start_time"),
    Symptom("RouteErrorRatioHigh", "page", "10m",
            lambda p, s, t: q.route_error_ratio_over(t, s.thresholds.error_ratio,
                                                     p.alerting.min_request_rate),
            _svc("SERVICE: {{ $value | humanizePercentage }} of {{ $labels.ROUTE }} requests fail"),
            _svc("{{ $value | humanizePercentage }} of SERVICE's requests to a route fail with "
                 "5xx (threshold {error_ratio}), unhandled exceptions or a failing dependency "
                 "(guide F8)."), "requests_counter"),
    Symptom("LatencyP99High", "page", "10m",
            lambda p, s, t: q.latency_p99_over(t, s.thresholds.latency_p99_seconds,
                                               p.alerting.min_request_rate),
            _svc("SERVICE: P99 latency is {{ $value | humanize }}s"),
            _svc("SERVICE's P99 latency is {{ $value | humanize }}s, over {latency_p99}s "
                 "(guide M3): blocking code, slow queries or CPU starvation (F1, F5)."),
            "duration_histogram"),
    Symptom("EventLoopLagHigh", "ticket", "10m",
            lambda p, s, t: q.event_loop_lag_over(t, s.thresholds.event_loop_lag_seconds),
            _svc("SERVICE: the event loop lags {{ $value | humanize }}s (P99)"),
            _svc("P99 event-loop lag of SERVICE is {{ $value | humanize }}s, over "
                 "{event_loop_lag}s: blocking sync code runs in async handlers (guide F1)."),
            "event_loop_lag"),
    Symptom("DbPoolSaturated", "ticket", "10m",
            lambda p, s, t: q.db_pool_usage_over(t, s.thresholds.db_pool_ratio),
            _svc("SERVICE: {{ $value | humanizePercentage }} of the DB pool in use"),
            _svc("{{ $value | humanizePercentage }} of SERVICE's DB pool connections are in "
                 "use (threshold {db_pool}): leaked connections or slow queries (guide F2)."),
            "db_connection_count and db_connection_max"),
    Symptom("DbPoolWaiters", "ticket", "5m", lambda p, s, t: q.db_pool_waiting(t),
            _svc("SERVICE: {{ $value | humanize }} requests wait for a DB connection"),
            _svc("{{ $value | humanize }} requests of SERVICE are waiting for a DB connection: "
                 "the pool is exhausted (guide F2)."), "db_connection_pending"),
    Symptom("MemoryNearLimit", "ticket", "15m",
            lambda p, s, t: q.memory_over(t, s, s.thresholds.memory_ratio),
            _svc("SERVICE: memory at {{ $value | humanizePercentage }} of its limit"),
            _svc("SERVICE's resident memory is {{ $value | humanizePercentage }} of its limit "
                 "(threshold {memory}; guide M8 keeps 20% headroom): OOM kills follow (F3)."),
            "process_resident_memory"),
    Symptom("MemoryExhaustionProjected", "ticket", "30m",
            lambda p, s, t: q.memory_exhaustion_projected(
                t, s, round(s.thresholds.memory_exhaustion_hours * 3600)),
            _svc("SERVICE: memory heads for {{ $value | humanizePercentage }} of its limit in "
                 "{memory_horizon}"),
            _svc("At the last hour's growth, SERVICE's resident memory reaches "
                 "{{ $value | humanizePercentage }} of its limit within {memory_horizon}: a leak "
                 "or unbounded background tasks (guide F3)."), "process_resident_memory"),
    Symptom("CpuSaturated", "ticket", "15m",
            lambda p, s, t: q.cpu_over(t, s, s.thresholds.cpu_ratio),
            _svc("SERVICE: CPU at {{ $value | humanizePercentage }} of its limit"),
            _svc("SERVICE uses {{ $value | humanizePercentage }} of its CPU limit (threshold "
                 "{cpu}): CPU-bound work in the request path (guide F5)."),
            "process_cpu_seconds"),
    Symptom("BackgroundQueueBacklog", "ticket", "15m",
            lambda p, s, t: q.queue_fill_over(t, s.thresholds.queue_fill_ratio),
            _svc("SERVICE: background queue {{ $value | humanizePercentage }} full"),
            _svc("SERVICE's background queue is {{ $value | humanizePercentage }} full "
                 "(threshold {queue}; guide M10 wants it near zero): workers are too slow or "
                 "stuck (F3, F6)."), "queue_depth and queue_capacity"),
    Symptom("LogFlood", "ticket", "15m",
            lambda p, s, t: q.log_rate_over(t, s.thresholds.log_rate_per_second),
            _svc("SERVICE: logging flood of {{ $value | humanize }} records/s"),
            _svc("SERVICE writes {{ $value | humanize }} log records/s, over {log_rate}/s: "
                 "verbose logs in a hot path saturate the logging pipeline (guide F7)."),
            "log_records"),
    Symptom("TelemetryExportDropping", "ticket", "15m",
            lambda p, s, t: q.telemetry_dropping(t),
            _svc("SERVICE: telemetry export drops {{ $labels.signal }}"),
            _svc("SERVICE's OTLP exporter drops {{ $value | humanize }} {{ $labels.signal }} "
                 "items/s: the collector is down or too slow, and traces/logs are lost."),
            "telemetry_dropped"),
)


def _threshold_text(service: Service) -> dict[str, str]:
    t = service.thresholds

    def pct(ratio: float) -> str:
        return f"{ratio * 100:g}%"

    return {"error_ratio": pct(t.error_ratio), "latency_p99": f"{t.latency_p99_seconds:g}",
            "event_loop_lag": f"{t.event_loop_lag_seconds:g}", "db_pool": pct(t.db_pool_ratio),
            "memory": pct(t.memory_ratio), "cpu": pct(t.cpu_ratio),
            "queue": pct(t.queue_fill_ratio), "log_rate": f"{t.log_rate_per_second:g}",
            "restarts": str(t.restarts_per_hour),
            "memory_horizon": f"{t.memory_exhaustion_hours:g}h"}


def symptom_alert(project: Project, service: Service, symptom: Symptom) -> AlertRule | None:
    expr = symptom.condition(project, service, rule_target(service))
    if expr is None:
        return None
    kind, key = PANELS[symptom.name]
    words = {"SERVICE": service.name, "SELECTOR": service.selector.label,
             "ROUTE": service.convention.route_label}
    description, summary = symptom.description, symptom.summary
    for word, value in words.items():
        description, summary = description.replace(word, value), summary.replace(word, value)
    for placeholder, value in _threshold_text(service).items():
        description = description.replace(f"{{{placeholder}}}", value)
        summary = summary.replace(f"{{{placeholder}}}", value)
    return AlertRule(
        name=symptom.name, expr=expr, for_=symptom.for_, severity=symptom.severity,
        labels={**project.extra_labels, names.SERVICE_LABEL: service.name},
        summary=summary, description=f"{description} {panel_sentence(kind, key)}",
        runbook_url=runbook_url(project, symptom.name),
        dashboard_url=dashboard_url(project, service, kind, key), panel=(kind, key))


def symptom_alerts(project: Project, service: Service) -> tuple[list[AlertRule], list[str]]:
    """The service's symptom alerts, and a note per alert its convention cannot support."""
    rules: list[AlertRule] = []
    notes: list[str] = []
    for symptom in SYMPTOMS:
        rule = symptom_alert(project, service, symptom)
        if rule is None:
            notes.append(f"{service.name}: skipped alert {symptom.name}: convention "
                         f"{service.convention.name!r} has no {symptom.needs} metric")
        else:
            rules.append(rule)
    return rules, notes


def symptom_group(project: Project, service: Service) -> tuple[AlertGroup, list[str]]:
    rules, notes = symptom_alerts(project, service)
    return AlertGroup(f"obsgen-{service.name}-symptoms", tuple(rules)), notes
