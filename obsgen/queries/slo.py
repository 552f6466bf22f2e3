"""SLI and burn-rate expressions: what the recording rules compute and the alerts compare.

No traffic must never produce NaN: a 0/0 ratio would poison ``sum_over_time`` over the period
and could fire alerts. Every ratio divides by ``(total > 0)``, so an idle window yields no
sample at all, and the period ratio is computed from recorded *event counts* (numerator and
denominator summed separately: hourly tiles of the recorded 5m rates), which weights each hour
by its traffic and never sees a NaN.
"""

from __future__ import annotations

from obsgen import conventions as names
from obsgen.conventions import le_matcher
from obsgen.durations import parse_duration
from obsgen.model import Service, Slo, SloKind, Tier, WindowRatios
from obsgen.queries.base import Target, route_matcher, rule_target, sli_traffic_matcher
from obsgen.queries.http import error_selector

SHORT_WINDOW = "5m"  # the window of the recorded rates the hourly tiles average
TILE_WINDOW = "1h"  # the period ratio sums hourly tiles of the 5m rates, one per hour
CURRENT_BURN_WINDOW = "1h"  # the "current" burn rate of the status table and exhaustion time
PANEL_BURN_WINDOWS = ("1h", "6h", "3d")  # the executive burn-rate panel's lines


def _sli_matchers(target: Target, slo: Slo) -> tuple[str, str]:
    """The SLO's route filter, and the exclusion of routes that are not user traffic."""
    return route_matcher(target, slo.route_regex), sli_traffic_matcher(target)


def total_rate(target: Target, slo: Slo, window: str) -> str:
    """Events of the SLI per second: requests (availability) or timed requests (latency)."""
    conv = target.convention
    metric = conv.requests_counter if slo.kind is SloKind.AVAILABILITY else conv.count()
    return f"sum(rate({target.select(metric, *_sli_matchers(target, slo))}[{window}]))"


def bad_rate(target: Target, slo: Slo, window: str) -> str:
    """Bad events per second: 5xx responses, or responses slower than the threshold.

    ``or 0 * total`` turns "no 5xx series yet" into 0 while keeping "no series at all" empty.
    """
    conv = target.convention
    total = total_rate(target, slo, window)
    if slo.kind is SloKind.AVAILABILITY:
        bad = target.select(
            conv.requests_counter, error_selector(target), *_sli_matchers(target, slo)
        )
        return f"(sum(rate({bad}[{window}])) or 0 * {total})"
    assert slo.threshold_seconds is not None
    good = target.select(
        conv.bucket(), le_matcher(slo.threshold_seconds), *_sli_matchers(target, slo)
    )
    return f"({total} - sum(rate({good}[{window}])))"


def error_ratio(target: Target, slo: Slo, window: str) -> str:
    """Share of bad events over ``window``; an idle window gives no sample."""
    return f"{bad_rate(target, slo, window)}\n/\n({total_rate(target, slo, window)} > 0)"


def slo_matcher(service: Service, slo: Slo) -> str:
    """Selects the recorded series of one SLO."""
    return f'{{{names.SERVICE_LABEL}="{service.name}", {names.SLO_LABEL}="{slo.name}"}}'


def recorded(record: str, service: Service, slo: Slo) -> str:
    return f"{record}{slo_matcher(service, slo)}"


def _duration(seconds: int) -> str:
    """``3300`` → ``55m``: the largest unit that divides it, as Prometheus spells durations."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _events(rate_5m: str, window: str) -> str:
    """Events in ``window`` from a recorded 5m rate, reading one series instead of raw ones.

    The last 5m is the current 5m rate times 300 s (exact). The rest of the window is the
    average of the 5m rates recorded over it, shifted back by half their width: each 5m rate
    smears its events over 5m, so averaging rates over ``[t-w+5m-2.5m, t-2.5m]`` weighs every
    event in ``(t-w, t-5m]`` fully, with ±2.5m ramps at both edges. Against ``rate(x[w])``
    the counts differ only by how events are spread inside those two 5m bands (never more
    than half their events, nothing at a steady rate); the shift is exact when the
    evaluation interval divides 2.5m's grid, and off by at most half an interval otherwise.
    ``or 0 *`` keeps the first 2.5m of a new series from having no sample at all.
    """
    short = int(parse_duration(SHORT_WINDOW))
    rest = int(parse_duration(window)) - short
    earlier = f"avg_over_time({rate_5m}[{_duration(rest)}] offset {_duration(short // 2)})"
    return f"(({earlier} * {rest} or 0 * {rate_5m}) + {rate_5m} * {short})"


def recorded_error_ratio(service: Service, slo: Slo, window: str) -> str:
    """Share of bad events over ``window`` from the recorded 5m rates (see ``_events``): one
    series per SLO read instead of every raw series, so a 3d window costs what a 5m one does.

    Close to :func:`error_ratio` but not identical (``alerting.window_ratios: recorded`` opts
    in; bench/README.md section 6 measures the difference in alert minutes). The 5m rates must
    be evaluated before this in the same rule group (rules of a group run in order and each
    sees the samples the earlier ones wrote at the same timestamp). Windows shorter than 5m
    cannot be made from 5m rates: they read the raw series.
    """
    errors = recorded(names.SLI_ERRORS_RATE_RECORD, service, slo)
    requests = recorded(names.SLI_REQUESTS_RATE_RECORD, service, slo)
    seconds, short = parse_duration(window), parse_duration(SHORT_WINDOW)
    if seconds < short:
        return error_ratio(rule_target(service), slo, window)
    if seconds == short:
        return f"{errors}\n/\n({requests} > 0)"
    return f"{_events(errors, window)}\n/\n({_events(requests, window)} > 0)"


def window_error_ratio(service: Service, slo: Slo, window: str, form: WindowRatios) -> str:
    """The error ratio over ``window`` that a recording rule records, in the spec's form:
    ``raw`` (default) rate() over the raw series, ``recorded`` from the recorded 5m rates."""
    if form is WindowRatios.RECORDED:
        return recorded_error_ratio(service, slo, window)
    return error_ratio(rule_target(service), slo, window)


def hourly_events(service: Service, slo: Slo, rate_record: str) -> str:
    """Events of the last hour from a recorded 5m rate: the mean of its samples over the hour
    times 3600 s (the hourly tile the period ratio sums; one series read, ~60 samples at a 1m
    evaluation interval). The mean, not the sum, so the tile does not depend on the evaluation
    interval and a missed evaluation does not shrink its hour."""
    window = int(parse_duration(TILE_WINDOW))
    return f"avg_over_time({recorded(rate_record, service, slo)}[{TILE_WINDOW}]) * {window}"


def _period_events(tile: str, period: str) -> str:
    """Events over the period: the hourly tiles summed at a 1h subquery step (720 samples for
    30d instead of 43200 one-minute 5m rates). Prometheus aligns subquery steps to multiples of
    the step, so each step reads the tile recorded last at or before a full hour (within the
    5m lookback) and consecutive tiles abut. Until the first full hour of a new tile series
    the subquery is empty: the current tile (the last hour) stands in."""
    return f"(sum_over_time({tile}[{period}:{TILE_WINDOW}]) or {tile})"


def period_error_ratio(service: Service, slo: Slo) -> str:
    """Error ratio over the compliance period, from the hourly tiles (NaN-free).

    The same ratio as summing every recorded 5m rate over the period (when the evaluation
    interval divides 1h), over the period that ends at the last full hour's evaluation: up to
    an hour (plus one interval) behind. Dashboards and the budget records read it; no alert
    does.
    """
    bad = recorded(names.SLI_ERRORS_HOURLY_RECORD, service, slo)
    total = recorded(names.SLI_REQUESTS_HOURLY_RECORD, service, slo)
    return f"{_period_events(bad, slo.period)}\n/\n({_period_events(total, slo.period)} > 0)"


def budget_remaining(service: Service, slo: Slo) -> str:
    """Share of the period's error budget left (1 = untouched, 0 = spent, < 0 = overspent)."""
    ratio = recorded(names.SLO_PERIOD_ERROR_RATIO_RECORD, service, slo)
    return f"1 - {ratio} / {slo.error_budget_ratio!r}"


def burn_rate(service: Service, slo: Slo, window: str) -> str:
    """How many times faster than sustainable the budget burns over ``window``."""
    ratio = recorded(names.sli_error_ratio_record(window), service, slo)
    return f"{ratio} / {slo.error_budget_ratio!r}"


def tier_burn_rate(slo: Slo, tier: Tier) -> float:
    return tier.burn_rate(slo.period_seconds, int(parse_duration(tier.long_window)))


def burn_rate_alert(service: Service, slo: Slo, tier: Tier, min_request_rate: float) -> str:
    """Multiwindow burn-rate condition: both windows over the threshold, enough traffic."""
    threshold = f"({tier_burn_rate(slo, tier)!r} * {slo.error_budget_ratio!r})"
    long_ratio = recorded(names.sli_error_ratio_record(tier.long_window), service, slo)
    short_ratio = recorded(names.sli_error_ratio_record(tier.short_window), service, slo)
    requests = recorded(names.SLI_REQUESTS_RATE_RECORD, service, slo)
    on = f"on ({names.SERVICE_LABEL}, {names.SLO_LABEL})"
    return (
        f"(\n  {long_ratio} > {threshold}\n"
        f"and {on}\n  {short_ratio} > {threshold}\n)\n"
        f"and {on}\n  {requests} > {min_request_rate!r}"
    )


def windows_needed(tiers: tuple[Tier, ...]) -> tuple[str, ...]:
    """Every window a ratio is recorded for: the policy's, the burn-rate panels', 5m."""
    windows = {SHORT_WINDOW, CURRENT_BURN_WINDOW, *PANEL_BURN_WINDOWS}
    for tier in tiers:
        windows.update((tier.long_window, tier.short_window))
    return tuple(sorted(windows, key=parse_duration))


def constant(value: float) -> str:
    """A recorded constant (objective, budget), so panels can draw it as a line."""
    return f"vector({value!r})"


def current_burn_rate(service: Service, slo: Slo) -> str:
    return burn_rate(service, slo, CURRENT_BURN_WINDOW)


def period_sli(service: Service, slo: Slo) -> str:
    """The SLI (share of good events) over the compliance period, from the recorded ratio."""
    return f"1 - {recorded(names.SLO_PERIOD_ERROR_RATIO_RECORD, service, slo)}"


def objective(service: Service, slo: Slo) -> str:
    """The SLO's objective as a ratio (a recorded constant, so panels can draw it as a line)."""
    return recorded(names.SLO_OBJECTIVE_RECORD, service, slo)


def budget_remaining_recorded(service: Service, slo: Slo) -> str:
    """Share of the period's error budget left, as recorded (1 = untouched, < 0 = overspent)."""
    return recorded(names.SLO_BUDGET_REMAINING_RECORD, service, slo)


def time_to_exhaustion(service: Service, slo: Slo) -> str:
    """Seconds until the budget is spent at the current (1h) burn rate; none while not burning.

    Remaining share R of the budget at burn rate b lasts ``R * period / b`` seconds.
    """
    remaining = recorded(names.SLO_BUDGET_REMAINING_RECORD, service, slo)
    burn = recorded(names.SLO_BURN_RATE_RECORD, service, slo)
    return f"clamp_min({remaining}, 0) * {slo.period_seconds} / ({burn} > 0)"


def sli_of_services(services: tuple[str, ...]) -> str:
    """The period SLI of several services' SLOs (the executive status table)."""
    return "1 - " + status_of_services(names.SLO_PERIOD_ERROR_RATIO_RECORD, services)


def status_of_services(record: str, services: tuple[str, ...]) -> str:
    """One recorded SLO series for several services (the executive status table)."""
    regex = "|".join(services)
    return f'sum by ({names.SERVICE_LABEL}, {names.SLO_LABEL}) ({record}{{{names.SERVICE_LABEL}=~"{regex}"}})'
