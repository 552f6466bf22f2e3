"""The on-call dashboard: what is firing, which routes hurt, and is the process saturated.

Laid out in the order a responder asks: alerts, latency and errors by route (each series links
to the debug dashboard for that route), traffic shape, then saturation (guide F1–F6, M7–M10).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grafanalib.core import Panel

from dashboards import frame
from dashboards.panels import (
    PROMETHEUS,
    Slot,
    assemble,
    legend,
    optional,
    prom,
    proms,
    table,
    thresholds,
    timeseries,
)
from obsgen import conventions as names
from obsgen.model import Project, Service
from obsgen.queries import http
from obsgen.queries import runtime as rt
from obsgen.queries.base import RATE_INTERVAL, dashboard_target, firing_alerts, occurred

QUANTILES = {"latency-p50": 0.5, "latency-p95": 0.95, "latency-p99": 0.99}
ANNOTATION_STEP = "1m"


def _optional(service: Service, key: str, expr: str | None, build: Callable[[str], Panel]) -> Slot:
    return optional("on-call", service, key, expr, build)


def _route_slots(service: Service) -> list[Slot]:
    target = dashboard_target(service)
    route = service.convention.route_label
    by_route = legend(route)
    to_debug = [frame.route_to_debug(service, route)]
    slots = [
        Slot(
            key,
            timeseries(
                f"P{int(q * 100)} latency by route",
                f"{int(q * 100)}th percentile request duration per route from the histogram (guide "
                "M2/M3). Click a series to debug that route.",
                "s",
                [prom(http.latency_quantile(target, q, RATE_INTERVAL, (route,)), by_route)],
                w=8,
                h=8,
                links=to_debug,
                steps=thresholds(("green", None), ("red", service.thresholds.latency_p99_seconds)),
            ),
        )
        for key, q in QUANTILES.items()
    ]
    slots += [
        Slot(
            "error-rate-by-route",
            timeseries(
                "5xx rate by route",
                "Server errors per second per route (guide F8). Click a series "
                "to debug that route.",
                "reqps",
                [prom(http.error_rate(target, RATE_INTERVAL, (route,)), by_route)],
                links=to_debug,
            ),
        ),
        Slot(
            "error-ratio-by-route",
            timeseries(
                "5xx ratio by route",
                "Share of each route's responses that are server errors; the "
                "symptom alert fires above the dashed threshold. Click a series to debug that route.",
                "percentunit",
                [prom(http.error_ratio(target, RATE_INTERVAL, (route,)), by_route)],
                links=to_debug,
                steps=thresholds(("green", None), ("red", service.thresholds.error_ratio)),
            ),
        ),
    ]
    return slots


def _saturation_slots(service: Service) -> list[Slot]:
    target = dashboard_target(service)
    limits = service.thresholds
    return [
        _optional(
            service,
            "cpu",
            rt.cpu_utilization(target, service, RATE_INTERVAL),
            lambda e: timeseries(
                "CPU vs limit",
                f"Busiest instance's CPU as a share of its {service.limits.cpu_cores:g}"
                "-core limit (guide F5/M9; aim for 50–70%).",
                "percentunit",
                [prom(e, "worst instance")],
                w=8,
                h=7,
                max_=1,
                steps=thresholds(("green", None), ("red", limits.cpu_ratio)),
            ),
        ),
        _optional(
            service,
            "memory",
            rt.memory_utilization(target, service),
            lambda e: timeseries(
                "Memory (RSS) vs limit",
                "Largest instance's resident memory as a share of "
                "the memory limit (guide F3/M8: keep 20% headroom).",
                "percentunit",
                [prom(e, "worst instance")],
                w=8,
                h=7,
                max_=1,
                steps=thresholds(("green", None), ("red", limits.memory_ratio)),
            ),
        ),
        _optional(
            service,
            "event-loop-lag",
            rt.event_loop_lag(target, 0.99, RATE_INTERVAL),
            lambda e: timeseries(
                "Event-loop lag (P99)",
                "How late scheduled callbacks ran: blocking code "
                "in async handlers stalls every request (guide F1).",
                "s",
                [prom(e, "p99 lag")],
                w=8,
                h=7,
                steps=thresholds(("green", None), ("red", limits.event_loop_lag_seconds)),
            ),
        ),
        _optional(
            service,
            "db-pool-usage",
            rt.db_pool_usage(target),
            lambda e: timeseries(
                "DB pool in use",
                "Share of the database pool's connections checked out "
                "(guide F2/M7); near 100% means requests will queue.",
                "percentunit",
                [prom(e, "in use")],
                w=8,
                h=7,
                max_=1,
                steps=thresholds(("green", None), ("red", service.thresholds.db_pool_ratio)),
            ),
        ),
        _optional(
            service,
            "db-pool-waiters",
            rt.db_pool_pending(target),
            lambda e: timeseries(
                "DB pool waiters",
                "Requests waiting for a database connection: the pool is exhausted (guide F2).",
                "short",
                [prom(e, "waiting")],
                w=8,
                h=7,
            ),
        ),
        _optional(
            service,
            "background-backlog",
            rt.queue_depth(target),
            lambda e: timeseries(
                "Background task backlog",
                "Jobs queued in the in-process background queue (guide M10; near zero is healthy).",
                "short",
                [prom(e, "queued")],
                w=8,
                h=7,
            ),
        ),
    ]


def _annotations(service: Service) -> tuple[list[dict[str, Any]], list[str]]:
    """Deploys (a new build version) and restarts (a new process start time)."""
    target = dashboard_target(service)
    found = [
        (
            "Deploys",
            rt.deploys(target, ANNOTATION_STEP),
            f"Deploy {legend(names.BUILD_VERSION_LABEL)}",
            "blue",
        ),
        ("Restarts", rt.restarts(target, ANNOTATION_STEP), "Process restarted", "orange"),
    ]
    annotations = [
        {
            "name": name,
            "datasource": PROMETHEUS,
            "enable": True,
            "hide": False,
            "expr": occurred(expr),
            "step": ANNOTATION_STEP,
            "iconColor": color,
            "titleFormat": title,
            "textFormat": "",
            "useValueForTime": False,
        }
        for name, expr, title, color in found
        if expr
    ]
    notes = [
        f"{service.name}: on-call annotation {name!r} skipped: convention "
        f"{service.convention.name!r} has no metric for it"
        for name, expr, _, _ in found
        if not expr
    ]
    return annotations, notes


def render(project: Project, service: Service) -> dict[str, Any]:
    target = dashboard_target(service)
    route = service.convention.route_label
    slots = [
        Slot(
            "firing-alerts",
            table(
                "Firing alerts",
                "Alerts firing now for this service, from Prometheus' ALERTS "
                "series (the guide's active incidents).",
                "none",
                proms([(firing_alerts(service), "")], instant=True, format="table"),
                w=12,
                h=6,
                transformations=[
                    {"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True}}}
                ],
            ),
        ),
        Slot(
            "top-error-routes",
            table(
                "Top erroring routes",
                "Routes with the most server errors per second right now. "
                "Click a route to debug it.",
                "reqps",
                proms(
                    [(http.top_error_routes(target, RATE_INTERVAL), "")],
                    instant=True,
                    format="table",
                ),
                w=12,
                h=6,
                links=[frame.route_to_debug(service, route)],
                transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}}}],
            ),
        ),
        *_route_slots(service),
        Slot(
            "status-classes",
            timeseries(
                "Requests by status class",
                "Requests per second by 2xx/3xx/4xx/5xx. Rising 4xx "
                "after a deploy points to a schema mismatch (guide F4).",
                "reqps",
                [
                    prom(
                        http.status_class_rate(target, RATE_INTERVAL),
                        legend(names.STATUS_CLASS_LABEL),
                    )
                ],
                w=12,
                h=8,
                stack=True,
            ),
        ),
        _optional(
            service,
            "in-flight",
            http.active_requests(target),
            lambda e: timeseries(
                "In-flight requests",
                "Requests being served right now; growth without "
                "more traffic means requests are stuck (guide F1/F6).",
                "short",
                [prom(e, "in flight")],
                w=12,
                h=8,
            ),
        ),
        *_saturation_slots(service),
    ]
    annotations, notes = _annotations(service)
    panels, skipped = assemble("oncall", slots)
    data = frame.build(
        project,
        service,
        "oncall",
        "What is broken right now and where? Alerts, route latency and errors, "
        "saturation, deploys and restarts.",
        panels,
        annotations=annotations,
    )
    return {"dashboard": data, "notes": skipped + notes}
