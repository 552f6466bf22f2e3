"""The debug dashboard: from a bad route to the trace and the log line that explain it.

Metrics, traces and logs of one service side by side, filtered by ``$route`` (the on-call
dashboard's data links fill it in) and ``$level``; heatmap exemplars open the trace in Tempo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grafanalib.core import Panel, Template

from dashboards import frame
from dashboards.panels import (
    PROMETHEUS,
    LokiTarget,
    Slot,
    TempoTarget,
    assemble,
    heatmap,
    legend,
    logs,
    optional,
    prom,
    proms,
    stat,
    timeseries,
    traces,
)
from obsgen import conventions as names
from obsgen.conventions import DB_OPERATION_LABEL, JOB_OUTCOME_LABEL, LOG_LEVEL_LABEL
from obsgen.model import Project, Service
from obsgen.queries import http
from obsgen.queries import logs as q_logs
from obsgen.queries import runtime as rt
from obsgen.queries import traces as q_traces
from obsgen.queries.base import RATE_INTERVAL, dashboard_target, route_values

ROUTE = "$route"
LEVEL = "$level"
LOG_WINDOW = "$__auto"  # Loki's own step-aligned window (dashboard-linter target-logql-auto-rule)
LEVELS = "error,warning,info,debug"


def _optional(service: Service, key: str, expr: str | None, build: Callable[[str], Panel]) -> Slot:
    return optional("debug", service, key, expr, build)


def extra_variables(service: Service) -> list[Template]:
    """``$route`` (all by default, filled by on-call data links) and ``$level`` for logs."""
    target = dashboard_target(service)
    route = Template(
        name="route",
        label="Route",
        query=route_values(target),
        dataSource=PROMETHEUS,
        default=frame.ALL,
        includeAll=True,
        multi=True,
        allValue=".*",
        refresh=frame.REFRESH_ON_TIME_RANGE_CHANGE,
        sort=1,
        regex="",
    )
    if not service.logs:
        return [route]
    return [
        route,
        Template(
            name="level",
            label="Log level",
            query=LEVELS,
            type="custom",
            default=frame.ALL,
            includeAll=True,
            multi=True,
            allValue=".*",
        ),
    ]


def _signals(service: Service) -> list[Slot]:
    target = dashboard_target(service)
    route = service.convention.route_label
    latency = [
        (
            http.latency_quantile(target, q, RATE_INTERVAL, (route,), ROUTE),
            f"p{int(q * 100)} {legend(route)}",
        )
        for q in (0.5, 0.95, 0.99)
    ]
    traffic = [
        (http.request_rate(target, RATE_INTERVAL, (route,), ROUTE), f"requests {legend(route)}"),
        (http.error_rate(target, RATE_INTERVAL, (route,), ROUTE), f"5xx {legend(route)}"),
    ]
    return [
        Slot(
            "latency-heatmap",
            heatmap(
                "Request latency distribution ($route)",
                "Histogram buckets over time for the selected routes. Exemplar dots carry a trace_id: "
                "click one to open that request's trace in Tempo.",
                "s",
                [
                    prom(
                        http.latency_heatmap_for_routes(target, RATE_INTERVAL, ROUTE),
                        legend(names.BUCKET_BOUND_LABEL),
                        format="heatmap",
                        exemplar=True,
                    )
                ],
                w=24,
                h=9,
            ),
        ),
        Slot(
            "route-latency",
            timeseries(
                "Latency quantiles ($route)",
                "P50/P95/P99 request duration of the selected routes.",
                "s",
                proms(latency),
                w=12,
                h=8,
            ),
        ),
        Slot(
            "route-traffic",
            timeseries(
                "Requests and 5xx ($route)",
                "Requests and server errors per second of the selected routes.",
                "reqps",
                proms(traffic),
                w=12,
                h=8,
            ),
        ),
        _declared(
            service,
            "traces",
            "slow-traces",
            lambda: traces(
                "Slow and failed traces",
                f"Tempo search: this service's traces that failed or took longer than "
                f"{q_traces.slow_threshold_seconds(service):g}s. Open a trace id for its waterfall.",
                [TempoTarget(query=q_traces.slow_or_failed(service))],
                w=24,
                h=9,
            ),
        ),
        _declared(
            service,
            "logs",
            "log-volume",
            lambda: timeseries(
                "Log volume by level",
                "Log lines per interval by level from Loki: error bursts and "
                "logging floods (guide F7).",
                "short",
                [
                    LokiTarget(
                        expr=q_logs.volume_by_level(service, LOG_WINDOW),
                        legendFormat=legend(LOG_LEVEL_LABEL),
                    )
                ],
                w=24,
                h=6,
                stack=True,
            ),
        ),
        _declared(
            service,
            "logs",
            "logs",
            lambda: logs(
                "Logs ($level)",
                "The service's JSON log lines at the selected levels; the trace_id "
                "field links to the trace in Tempo.",
                [LokiTarget(expr=q_logs.lines(service, LEVEL))],
                w=24,
                h=12,
            ),
        ),
    ]


def _declared(service: Service, signal: str, key: str, build: Callable[[], Panel]) -> Slot:
    """A trace or log panel, only for a service whose spec says it sends them (``traces: true``,
    ``logs: true``): Tempo and Loki hold nothing for the others."""
    if not getattr(service, signal):
        return Slot(
            key,
            None,
            f"{service.name}: debug panel {key!r} skipped: the spec does not "
            f"declare {signal}: true for the service",
        )
    return Slot(key, build())


def _runtime(service: Service) -> list[Slot]:
    target = dashboard_target(service)
    return [
        _optional(
            service,
            "db-query-duration",
            rt.db_operation_duration(target, 0.95, RATE_INTERVAL),
            lambda e: timeseries(
                "DB query duration (P95) by operation",
                "95th percentile database operation time: slow queries behind slow routes.",
                "s",
                [prom(e, legend(DB_OPERATION_LABEL))],
                w=12,
                h=8,
            ),
        ),
        _optional(
            service,
            "db-connections",
            rt.db_connections(target),
            lambda e: timeseries(
                "DB connections by state",
                "Used and idle pool connections; used pinned at "
                "the pool size is a leak or exhaustion (guide F2).",
                "short",
                [prom(e, legend(names.DB_STATE_LABEL))],
                w=12,
                h=8,
                stack=True,
            ),
        ),
        _optional(
            service,
            "background-jobs",
            rt.job_rate(target, RATE_INTERVAL),
            lambda e: timeseries(
                "Background jobs by outcome",
                "Jobs per second that succeeded, failed or "
                "were dropped because the queue was full.",
                "ops",
                [prom(e, legend(JOB_OUTCOME_LABEL))],
                w=12,
                h=8,
                stack=True,
            ),
        ),
        _optional(
            service,
            "job-duration",
            rt.job_duration(target, 0.95, RATE_INTERVAL),
            lambda e: timeseries(
                "Background job duration (P95)",
                "How long background jobs take; growth here becomes backlog.",
                "s",
                [prom(e, "p95")],
                w=12,
                h=8,
            ),
        ),
        _optional(
            service,
            "cpu-cores",
            rt.cpu_cores_used(target, RATE_INTERVAL),
            lambda e: timeseries(
                "CPU cores by instance",
                "CPU seconds per second each instance uses.",
                "short",
                [prom(e, legend(names.INSTANCE_LABEL))],
                w=8,
                h=7,
            ),
        ),
        _optional(
            service,
            "memory-rss",
            rt.memory_resident(target),
            lambda e: timeseries(
                "Resident memory",
                "Largest instance's resident set size; steady growth is a leak (guide F3).",
                "bytes",
                [prom(e, "rss")],
                w=8,
                h=7,
            ),
        ),
        _optional(
            service,
            "gc",
            rt.gc_collections_rate(target, RATE_INTERVAL),
            lambda e: timeseries(
                "Python GC collections",
                "Garbage collections per second by generation; gen 2 bursts pause the event loop.",
                "ops",
                [prom(e, "gen {{generation}}")],
                w=8,
                h=7,
            ),
        ),
        _optional(
            service,
            "startup",
            rt.startup_duration(target),
            lambda e: stat(
                "Startup duration",
                "Seconds from process start to ready (guide M12: cold start).",
                "s",
                [prom(e, "startup")],
                w=6,
                h=7,
            ),
        ),
        _optional(
            service,
            "telemetry-dropped",
            rt.telemetry_dropped_rate(target, RATE_INTERVAL),
            lambda e: timeseries(
                "Telemetry dropped",
                "Spans and log records the OTLP exporter dropped per "
                "second: anything above 0 means missing traces or logs here.",
                "short",
                [prom(e, legend(names.TELEMETRY_SIGNAL_LABEL))],
                w=9,
                h=7,
            ),
        ),
        _optional(
            service,
            "telemetry-exported",
            rt.telemetry_exported_rate(target, RATE_INTERVAL),
            lambda e: timeseries(
                "Telemetry exported",
                "Spans and log records exported per second by signal.",
                "short",
                [prom(e, legend(names.TELEMETRY_SIGNAL_LABEL))],
                w=9,
                h=7,
            ),
        ),
    ]


def render(project: Project, service: Service) -> dict[str, Any]:
    panels, notes = assemble("debug", _signals(service) + _runtime(service))
    data = frame.build(
        project,
        service,
        "debug",
        "Why is it broken? Latency distribution with exemplars, traces, logs, "
        "database, background work, process and telemetry health.",
        panels,
        extra_vars=extra_variables(service),
    )
    return {"dashboard": data, "notes": notes}
