"""SLO recording rules: SLI error ratios per window, recorded rates, and SLO metadata series.

One rule group per SLO keeps groups small (mixtool's limit is 20 rules) and lets Prometheus
evaluate the hourly tiles right after the 5m rates they average, and the period ratio after the
tiles it sums, in the same group (a group's rules run in order). With
``alerting.window_ratios: recorded`` the window ratios over more than 5m read those recorded 5m
rates too (``q.recorded_error_ratio``), so they also must follow them in the group.
"""

from __future__ import annotations

from typing import Any

from obsgen import conventions as names
from obsgen.model import Project, Service, Slo
from obsgen.queries import slo as q
from obsgen.queries.base import rule_target


def slo_labels(project: Project, service: Service, slo: Slo) -> dict[str, str]:
    """Labels every series of one SLO carries (also what alerts join on)."""
    return {**project.extra_labels, names.SERVICE_LABEL: service.name, names.SLO_LABEL: slo.name}


def _rule(record: str, expr: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"record": record, "expr": expr, "labels": dict(labels)}


def slo_group(project: Project, service: Service, slo: Slo) -> dict[str, Any]:
    """The recording-rule group of one SLO."""
    target = rule_target(service)
    labels = slo_labels(project, service, slo)
    window, form = q.SHORT_WINDOW, project.alerting.window_ratios
    rules = [
        _rule(names.SLI_REQUESTS_RATE_RECORD, q.total_rate(target, slo, window), labels),
        _rule(names.SLI_ERRORS_RATE_RECORD, q.bad_rate(target, slo, window), labels),
        _rule(
            names.SLI_REQUESTS_HOURLY_RECORD,
            q.hourly_events(service, slo, names.SLI_REQUESTS_RATE_RECORD),
            labels,
        ),
        _rule(
            names.SLI_ERRORS_HOURLY_RECORD,
            q.hourly_events(service, slo, names.SLI_ERRORS_RATE_RECORD),
            labels,
        ),
    ]
    rules += [
        _rule(names.sli_error_ratio_record(w), q.window_error_ratio(service, slo, w, form), labels)
        for w in q.windows_needed(project.alerting.tiers)
    ]
    rules += [
        _rule(names.SLO_OBJECTIVE_RECORD, q.constant(slo.objective_ratio), labels),
        _rule(names.SLO_ERROR_BUDGET_RECORD, q.constant(slo.error_budget_ratio), labels),
        _rule(names.SLO_PERIOD_ERROR_RATIO_RECORD, q.period_error_ratio(service, slo), labels),
        _rule(names.SLO_BUDGET_REMAINING_RECORD, q.budget_remaining(service, slo), labels),
        _rule(names.SLO_BURN_RATE_RECORD, q.current_burn_rate(service, slo), labels),
    ]
    return {"name": f"obsgen-{service.name}-{slo.name}-sli", "rules": rules}


def recording_groups(project: Project, service: Service) -> list[dict[str, Any]]:
    return [slo_group(project, service, slo) for slo in service.slos]
