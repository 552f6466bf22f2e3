"""promtool cases for the SLO burn-rate alerts and the recording rules under them.

Per SLO and tier: fires on a steady burn 1.5x over the tier, silent just below it (0.9x),
silent with no traffic and below the minimum request rate. The fast page tier also gets the
SRE Workbook timing: a full outage after a healthy hour pages within threshold × long window
+ `for`, and the page resets about a short window after recovery. One case proves no traffic
yields no ratio sample (not NaN) and leaves the period ratio unpoisoned.
"""

from __future__ import annotations

import math
import re

from alerts.cases import AlertCheck, Case, ExprCheck, Firing
from alerts.recording import slo_labels
from alerts.rule import AlertRule
from alerts.series import counter, selector
from alerts.slo_alerts import slo_alert
from obsgen import conventions as names
from obsgen.conventions import format_bound
from obsgen.durations import parse_duration
from obsgen.model import Project, Service, Slo, SloKind, Tier
from obsgen.queries import slo as q

RPS = 10.0  # healthy traffic, raised to stay well over the spec's min_request_rate
OK_STATUS, ERROR_STATUS, METHOD = "200", "500", "GET"


def traffic_rps(project: Project) -> float:
    """Requests per second of the cases' healthy traffic: 10x the minimum request rate, so
    the alerts' `> min_request_rate` guard passes whatever the spec sets."""
    return max(RPS, 10 * project.alerting.min_request_rate)


def minutes(duration: str) -> int:
    return math.ceil(parse_duration(duration, allow_zero=True) / 60)


def sample_route(regex: str | None) -> str | None:
    """A route value the SLO's route regex matches (Prometheus regexes are fully anchored)."""
    if regex is None:
        return "/example"
    plain = regex.strip("^$")
    for candidate in (
        re.sub(r"\.[*+?]|\\", lambda m: "" if m.group() != ".+" else "x", plain),
        plain.replace(".*", "").replace(".+", "x").replace("\\", ""),
        "/",
        "/example",
    ):
        try:
            if re.fullmatch(regex, candidate):
                return candidate
        except re.error:
            return None
    return None


def sli_series(
    service: Service, slo: Slo, route: str, *segments: tuple[int, float, float]
) -> dict[str, str]:
    """Requests of the SLI for (minutes, req/s, bad ratio) segments."""
    conv = service.convention
    base = {
        service.selector.label: service.selector.value,
        conv.route_label: route,
        conv.method_label: METHOD,
    }
    per_min = [(m, rps * 60, bad) for m, rps, bad in segments]
    if slo.kind is SloKind.AVAILABILITY:
        return {
            selector(conv.requests_counter, {**base, conv.status_label: OK_STATUS}): counter(
                *[(m, n * (1 - bad)) for m, n, bad in per_min]
            ),
            selector(conv.requests_counter, {**base, conv.status_label: ERROR_STATUS}): counter(
                *[(m, n * bad) for m, n, bad in per_min]
            ),
        }
    assert slo.threshold_seconds is not None
    labels = {**base, conv.status_label: OK_STATUS} if conv.duration_has_status else base
    bound = {names.BUCKET_BOUND_LABEL: format_bound(slo.threshold_seconds)}
    return {
        selector(conv.count(), labels): counter(*[(m, n) for m, n, _ in per_min]),
        selector(conv.bucket(), {**labels, **bound}): counter(
            *[(m, n * (1 - bad)) for m, n, bad in per_min]
        ),
    }


def _tier_cases(project: Project, service: Service, slo: Slo, tier: Tier, route: str) -> list[Case]:
    alert = slo_alert(project, service, slo, tier)
    threshold = q.tier_burn_rate(slo, tier) * slo.error_budget_ratio
    end = minutes(tier.for_) + 10
    labels = slo_labels(project, service, slo)
    rps = traffic_rps(project)
    cases = []
    if threshold * 1.5 <= 1:
        cases.append(
            Case(
                f"{alert.name} fires on a steady burn 1.5x over its tier",
                sli_series(service, slo, route, (end, rps, threshold * 1.5)),
                (AlertCheck(alert, end, (Firing(labels, threshold * 1.5),)),),
            )
        )
    cases.append(
        Case(
            f"{alert.name} stays silent on a burn just below its tier (0.9x)",
            sli_series(service, slo, route, (end, rps, threshold * 0.9)),
            (AlertCheck(alert, end),),
        )
    )
    return cases


def _timing_case(
    project: Project, service: Service, slo: Slo, tier: Tier, route: str
) -> Case | None:
    """SRE Workbook timing of the fast page tier: detection and reset of a full outage."""
    alert: AlertRule = slo_alert(project, service, slo, tier)
    threshold = q.tier_burn_rate(slo, tier) * slo.error_budget_ratio
    window, short, wait = minutes(tier.long_window), minutes(tier.short_window), minutes(tier.for_)
    if threshold >= 1:
        return None
    detect = math.ceil(threshold * window)  # outage minutes until the long window crosses
    fired = detect + wait + 1  # +1: one scrape interval of rate() granularity
    outage = max(30, fired + 5)
    labels = slo_labels(project, service, slo)
    # the test file evaluates recording groups first, so an alert sees this minute's ratio
    checks = [
        AlertCheck(alert, window + fired, (Firing(labels, fired / window),)),
        AlertCheck(alert, window + outage, (Firing(labels, min(outage, window) / window),)),
        AlertCheck(alert, window + outage + short + 2),
    ]
    if wait >= 2:
        checks.insert(0, AlertCheck(alert, window + 1))  # pending, not paging yet
    rps = traffic_rps(project)
    series = sli_series(
        service, slo, route, (window, rps, 0.0), (outage, rps, 1.0), (short + 2, rps, 0.0)
    )
    after = f"{detect}m + for {tier.for_}" if wait else f"{detect}m"
    return Case(
        f"{alert.name} pages a full outage within {after} "
        f"and resets within {short + 2}m of recovery",
        series,
        tuple(checks),
    )


def _no_traffic_case(project: Project, service: Service, slo: Slo, route: str) -> Case:
    """An hour of 1% errors then an idle hour: no 5m ratio sample, period ratio still 1%."""
    ratio_5m = q.recorded(names.sli_error_ratio_record(q.SHORT_WINDOW), service, slo)
    period = q.recorded(names.SLO_PERIOD_ERROR_RATIO_RECORD, service, slo)
    # the period ratio is checked to lie within 1% ± 1e-9, immune to float rounding
    within = f"count(({period} > 0.009999999) < 0.010000001)"
    return Case(
        f"no traffic records no {slo.name} ratio (not NaN) and keeps the period ratio",
        sli_series(service, slo, route, (60, traffic_rps(project), 0.01), (60, 0.0, 0.0)),
        exprs=(
            ExprCheck(ratio_5m, 120),
            ExprCheck(within, 120, (Firing({}, 1),)),
            ExprCheck(f"count({period})", 60, (Firing({}, 1),)),
        ),
    )


def _silent_cases(project: Project, service: Service, slo: Slo, route: str) -> list[Case]:
    """No traffic, and a full outage below the minimum request rate: no tier may fire."""
    alerts = [
        (slo_alert(project, service, slo, t), minutes(t.for_) + 10) for t in project.alerting.tiers
    ]
    if not alerts:
        return []
    end = max(m for _, m in alerts)
    checks = tuple(AlertCheck(alert, m) for alert, m in alerts)
    cases = [
        Case(
            f"no {slo.name} burn-rate alert fires with no traffic at all",
            sli_series(service, slo, route, (end, 0.0, 0.0)),
            checks,
        )
    ]
    low = project.alerting.min_request_rate / 2
    if low > 0:
        cases.append(
            Case(
                f"no {slo.name} burn-rate alert fires on a full outage below the "
                "minimum request rate",
                sli_series(service, slo, route, (end, low, 1.0)),
                checks,
            )
        )
    return cases


def fast_page_tier(tiers: tuple[Tier, ...]) -> Tier | None:
    pages = [t for t in tiers if t.severity == "page"]
    return min(pages, key=lambda t: parse_duration(t.long_window)) if pages else None


def slo_cases(project: Project, service: Service) -> tuple[list[Case], list[str]]:
    cases: list[Case] = []
    notes: list[str] = []
    for slo in service.slos:
        route = sample_route(slo.route_regex)
        if route is None:
            notes.append(
                f"{service.name}/{slo.name}: no promtool cases: cannot derive a route "
                f"that matches {slo.route_regex!r}"
            )
            continue
        cases.append(_no_traffic_case(project, service, slo, route))
        cases += _silent_cases(project, service, slo, route)
        fast = fast_page_tier(project.alerting.tiers)
        for tier in project.alerting.tiers:
            cases += _tier_cases(project, service, slo, tier, route)
            if tier is fast and (timing := _timing_case(project, service, slo, tier, route)):
                cases.append(timing)
    return cases, notes
