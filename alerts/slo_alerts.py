"""Multiwindow, multi-burn-rate SLO alerts (SRE Workbook, "Alerting on SLOs").

One alert per SLO per enabled tier, on the recorded error ratios, silent below the spec's
minimum request rate. The alert's value is the long window's error ratio, so the description
can say how bad it is; the tier's numbers are spelled out so the page explains itself.
"""

from __future__ import annotations

from alerts.links import SLO_PANELS, dashboard_url, panel_sentence, runbook_url
from alerts.recording import slo_labels
from alerts.rule import AlertGroup, AlertRule, Runbook
from alerts.timing import runbook_lines, tier_figures
from obsgen import conventions as names
from obsgen.model import Project, Service, Slo, SloKind, Tier
from obsgen.queries import slo as q

RUNBOOKS = {
    SloKind.AVAILABILITY: Runbook(
        "Requests fail with 5xx faster than the SLO's error budget allows.",
        "Users see errors; at this burn the monthly budget runs out early.",
        (
            (
                "Find the failing routes on the 5xx-by-route panel; correlate with recent deploys and "
                "roll back a bad release (guide: rapid error budget burn)."
            ),
            "Check dependency errors (DB, external APIs) in traces of failing requests.",
            "Centralize error handling for unhandled exceptions (F8).",
        ),
    ),
    SloKind.LATENCY: Runbook(
        "Too many requests are slower than the SLO's latency threshold.",
        "Users wait; timeouts upstream turn slowness into errors.",
        (
            "Look for blocking sync code in async handlers; move it to a threadpool (F1).",
            "Check DB pool waiters and slow queries (F2) and CPU saturation (F5).",
            "Scale out or roll back the release that made it slower.",
        ),
    ),
}


def camel(text: str) -> str:
    """`page-fast` → `PageFast`."""
    return "".join(part[:1].upper() + part[1:] for part in text.replace("_", "-").split("-"))


def alert_name(slo: Slo, tier: Tier) -> str:
    return f"{camel(slo.kind.value)}ErrorBudgetBurn{camel(tier.name)}"


def percent(ratio: float) -> str:
    return f"{ratio * 100:.4g}%"


def _bad_events(service: Service, slo: Slo) -> str:
    if slo.kind is SloKind.AVAILABILITY:
        return "failed with a 5xx"
    return f"took longer than {slo.threshold_seconds:g}s"


def slo_alert(project: Project, service: Service, slo: Slo, tier: Tier) -> AlertRule:
    rate = q.tier_burn_rate(slo, tier)
    threshold = rate * slo.error_budget_ratio
    kind, key = SLO_PANELS[slo.kind]
    name = alert_name(slo, tier)
    summary = (
        f"{service.name}: the {{{{ $labels.slo }}}} SLO is burning its error "
        f"budget {rate:g}x faster than sustainable ({tier.long_window} window)"
    )
    description = (
        f"Over the last {tier.long_window}, {{{{ $value | humanizePercentage }}}} of "
        f"{service.name} requests {_bad_events(service, slo)} "
        f"(SLO {{{{ $labels.slo }}}}: {slo.objective_percent:g}% over {slo.period}). "
        f"This {tier.name} tier fires above {percent(threshold)}, a {rate:g}x burn that spends "
        f"{tier.budget_percent:g}% of the {slo.period} error budget in {tier.long_window}; "
        f"the {tier.short_window} window confirms it is still happening. "
        + panel_sentence(kind, key)
    )
    return AlertRule(
        name=name,
        expr=q.burn_rate_alert(service, slo, tier, project.alerting.min_request_rate),
        for_=tier.for_,
        severity=tier.severity,
        labels={**slo_labels(project, service, slo), names.TEAM_LABEL: service.team},
        summary=summary,
        description=description,
        runbook_url=runbook_url(project, name),
        dashboard_url=dashboard_url(project, service, kind, key),
        panel=(kind, key),
        runbook=RUNBOOKS[slo.kind],
        speed=tuple(
            runbook_lines(
                tier_figures(tier, slo.objective_percent, slo.period),
                slo.objective_percent,
                slo.period,
            )
        ),
    )


def slo_alerts(project: Project, service: Service, slo: Slo) -> list[AlertRule]:
    return [slo_alert(project, service, slo, tier) for tier in project.alerting.tiers]


def slo_alert_groups(project: Project, service: Service) -> list[AlertGroup]:
    """One group per SLO, next to (and named like) its recording-rule group."""
    return [
        AlertGroup(
            f"obsgen-{service.name}-{slo.name}-alerts", tuple(slo_alerts(project, service, slo))
        )
        for slo in service.slos
        if project.alerting.tiers
    ]
