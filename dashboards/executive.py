"""The executive dashboard: are we keeping our promises (SLOs), how fast is the budget going,
how much traffic, and the business KPIs from the spec. Answers "are users OK?" at a glance."""

from __future__ import annotations

from typing import Any

import attr
from grafanalib.core import Panel

from dashboards import frame, ids
from dashboards.panels import (
    REF_IDS,
    Slot,
    assemble,
    prom,
    proms,
    stat,
    table,
    thresholds,
    timeseries,
)
from obsgen import conventions as names
from obsgen.model import Kpi, Project, Service, Tier
from obsgen.queries import slo as q_slo
from obsgen.queries.base import RATE_INTERVAL, dashboard_target
from obsgen.queries.http import error_ratio, request_rate

_DASHED_OBJECTIVE = {
    "matcher": {"id": "byRegexp", "options": ".* objective"},
    "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}],
}


def _page_burn_rates(project: Project, service: Service) -> list[tuple[Tier, list[float]]]:
    """Each page tier with the burn rates it fires at for the service's SLOs (they depend on
    the SLO's period: 14.4 over 1h for 30d, 13.44 for 28d)."""
    return [
        (tier, sorted({q_slo.tier_burn_rate(slo, tier) for slo in service.slos}))
        for tier in project.alerting.tiers
        if tier.severity == "page"
    ]


def _burn_rate_panel(project: Project, service: Service, burn: list[tuple[str, str]]) -> Panel:
    pages = _page_burn_rates(project, service)
    fires = " and ".join(
        f"{'/'.join(f'{r:g}' for r in rates)} ({tier.long_window})" for tier, rates in pages
    )
    steps: list[tuple[str, float | None]] = [("green", None), ("orange", 1)]
    if pages:  # red from the fastest page tier's lowest rate
        steps.append(("red", min(max(pages, key=lambda p: max(p[1]))[1])))
    windows = ", ".join(q_slo.PANEL_BURN_WINDOWS)
    return timeseries(
        f"Error budget burn rate ({windows})",
        "How many times faster than sustainable each SLO burns its budget. 1 spends exactly "
        "the budget over the period; "
        + (f"the page tiers fire at {fires}." if pages else "no page tier is enabled."),
        "none",
        proms(burn),
        w=24,
        h=8,
        steps=thresholds(*steps),
    )


def _slo_panels(project: Project, service: Service) -> list[Slot]:
    if not service.slos:
        why = f"{service.name}: executive SLO panels skipped: the service has no SLOs"
        return [Slot(key, None, why) for key in ids.PANEL_KEYS["executive"][:4]]
    sli = [(q_slo.period_sli(service, s), f"{s.name} SLI") for s in service.slos]
    sli += [(q_slo.objective(service, s), f"{s.name} objective") for s in service.slos]
    budget = [(q_slo.budget_remaining_recorded(service, s), s.name) for s in service.slos]
    exhaustion = [(q_slo.time_to_exhaustion(service, s), s.name) for s in service.slos]
    burn = [
        (q_slo.burn_rate(service, s, w), f"{s.name} {w}")
        for s in service.slos
        for w in q_slo.PANEL_BURN_WINDOWS
    ]
    period = ", ".join(sorted({s.period for s in service.slos}))
    return [
        Slot(
            "sli",
            attr.evolve(
                timeseries(
                    "SLI over the compliance period vs objective",
                    f"Share of good events over the SLO period ({period}), one line per SLO, against its "
                    "objective (dashed when Grafana draws it). Below the objective means the SLO is missed. "
                    "Summed from hourly tiles: it moves at each full hour, up to an hour behind.",
                    "percentunit",
                    proms(sli),
                    w=12,
                    h=8,
                ),
                overrides=[_DASHED_OBJECTIVE],
            ),
        ),
        Slot(
            "budget-remaining",
            stat(
                "Error budget remaining",
                "Share of the period's error budget not yet spent, per SLO. 100% untouched, 0% spent, "
                "negative overspent: stop risky changes. Up to an hour behind (it follows the "
                "period SLI, updated each full hour); the burn-rate panel is current.",
                "percentunit",
                proms(budget, instant=True),
                w=6,
                h=8,
                decimals=1,
                steps=thresholds(("red", None), ("orange", 0.25), ("green", 0.5)),
            ),
        ),
        Slot(
            "time-to-exhaustion",
            stat(
                "Time to budget exhaustion",
                "How long the remaining budget lasts at the current (1h) burn rate. No value: the "
                "budget is not burning.",
                "s",
                proms(exhaustion, instant=True),
                w=6,
                h=8,
                steps=thresholds(("red", None), ("orange", 86400), ("green", 604800)),
            ),
        ),
        Slot("burn-rate", _burn_rate_panel(project, service, burn)),
    ]


def _status_table(project: Project) -> Panel:
    """Every service of the spec, one row per SLO: objective, SLI, budget, burn."""
    services = tuple(s.name for s in project.services)
    columns = [
        (q_slo.status_of_services(names.SLO_OBJECTIVE_RECORD, services), "Objective"),
        (q_slo.sli_of_services(services), "SLI"),
        (q_slo.status_of_services(names.SLO_BUDGET_REMAINING_RECORD, services), "Budget left"),
        (q_slo.status_of_services(names.SLO_BURN_RATE_RECORD, services), "Burn rate 1h"),
    ]
    targets = proms(columns, instant=True, format="table")
    rename = {f"Value #{REF_IDS[i]}": label for i, (_, label) in enumerate(columns)}
    panel = table(
        "SLO status of every service",
        "One row per service and SLO over its compliance period. Budget left below 0 means the "
        "SLO is missed; a burn rate above 1 spends budget faster than sustainable.",
        "percentunit",
        targets,
        w=24,
        h=7,
        transformations=[
            {"id": "merge", "options": {}},
            {
                "id": "organize",
                "options": {"excludeByName": {"Time": True}, "renameByName": rename},
            },
        ],
    )
    burn_override = {
        "matcher": {"id": "byName", "options": "Burn rate 1h"},
        "properties": [{"id": "unit", "value": "none"}, {"id": "decimals", "value": 2}],
    }
    return attr.evolve(panel, overrides=[burn_override])


def _kpi(kpi: Kpi) -> Panel:
    return timeseries(
        kpi.title,
        kpi.description or f"Business KPI from the spec: {kpi.title}.",
        kpi.unit,
        [prom(kpi.expr, kpi.title)],
        w=12,
        h=7,
    )


def render(project: Project, service: Service) -> dict[str, Any]:
    target = dashboard_target(service)
    slots = _slo_panels(project, service) + [
        Slot(
            "throughput",
            timeseries(
                "Request throughput",
                "Requests per second the service answers (guide M5); compare with the usual weekly "
                "pattern before reading the SLO panels.",
                "reqps",
                [prom(request_rate(target, RATE_INTERVAL), "requests/s")],
                w=12,
                h=7,
            ),
        ),
        Slot(
            "error-ratio",
            timeseries(
                "Server error ratio (5xx)",
                "Share of responses that are server errors (guide M4, target < 0.1%).",
                "percentunit",
                [prom(error_ratio(target, RATE_INTERVAL), "5xx ratio")],
                w=12,
                h=7,
            ),
        ),
        Slot("slo-status", _status_table(project)),
    ]
    panels, notes = assemble("executive", slots, [_kpi(k) for k in service.kpis])
    data = frame.build(
        project,
        service,
        "executive",
        "Are users getting what we promised? SLOs, error budget and business KPIs.",
        panels,
    )
    return {"dashboard": data, "notes": notes}
