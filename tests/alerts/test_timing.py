"""The Workbook figures of each burn-rate tier, and why the symptom pages' `for:` never lets a
page first reach the pager after an outage is over (checked on the bundled spec's numbers)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from alerts.symptoms import SYMPTOMS
from alerts.timing import (
    detection_seconds,
    human,
    markdown_table,
    reset_seconds,
    tier_figures,
    window_ratio,
)
from obsgen import policy
from obsgen.durations import parse_duration
from obsgen.model import SloKind, Tier
from obsgen.spec import default_spec_text, load_text

TIERS = {t.name: t for t in policy.load("sre-workbook")}


@pytest.mark.parametrize(
    "tier, period, detect, reset",
    [
        # 14.4x over 1h: 1.44% errors; a full outage fills 1.44% of an hour in 0.0144 * 3600 s
        ("page-fast", "30d", 0.0144 * 3600, 300 * (1 - 0.0144)),
        ("page-slow", "30d", 0.006 * 6 * 3600, 1800 * (1 - 0.006)),
        ("ticket-slow", "30d", 0.001 * 3 * 86400, 6 * 3600 * (1 - 0.001)),
        # 28d: 2% of 28 days in an hour is a 13.44x burn
        ("page-fast", "28d", 0.01344 * 3600, 300 * (1 - 0.01344)),
    ],
)
def test_tier_figures_are_the_workbook_arithmetic_done_by_hand(
    tier: str, period: str, detect: float, reset: float
) -> None:
    figures = tier_figures(TIERS[tier], 99.9, period)
    assert figures.detect_full == pytest.approx(detect)
    assert figures.reset_full == pytest.approx(reset)
    assert figures.detect_at_threshold == parse_duration(TIERS[tier].long_window)
    assert figures.budget_spent_percent == pytest.approx(TIERS[tier].budget_percent)


def test_page_fast_pages_a_full_outage_in_52_seconds_and_resets_in_under_5_minutes() -> None:
    figures = tier_figures(TIERS["page-fast"], 99.9, "30d")
    assert (human(figures.detect_full), human(figures.reset_full)) == ("52s", "4.9m")


def test_a_short_healthy_history_makes_the_long_window_cross_almost_at_once() -> None:
    tier = TIERS["page-fast"]
    # one minute of history: e*t/(60+t) > 0.0144 after 0.0144*60/(1-0.0144) s
    assert detection_seconds(tier, 0.0144, history=60) == pytest.approx(0.0144 * 60 / 0.9856)
    assert detection_seconds(tier, 0.0144, error_ratio=0.01) is None


def test_a_for_delays_detection_but_not_reset() -> None:
    slow = Tier("page-fast", "page", 2, "1h", "5m", "2m")
    assert detection_seconds(slow, 0.0144) == pytest.approx(51.84 + 120)
    assert reset_seconds(slow, 0.0144) == pytest.approx(300 * (1 - 0.0144))


def test_window_ratio_follows_errors_in_and_out_of_the_window() -> None:
    assert window_ratio(30, 300, 1.0, history=60) == pytest.approx(30 / 90)
    assert window_ratio(600, 300, 1.0, outage=450) == pytest.approx(0.5)
    assert window_ratio(900, 300, 1.0, outage=450) == 0.0


STEP = 5.0  # seconds between simulated evaluations


def _explained_symptom_never_pages(kind: SloKind, error_ratio: float, outage: float) -> list[str]:
    """Simulate one step incident on the bundled spec; the instants an explained symptom fires
    while no SLO page of its kind fires (it would reach the pager) — empty when all is well."""
    service = load_text(default_spec_text(), "demo.yaml").services[0]
    slo = next(s for s in service.slos if s.kind is kind)
    symptom = next(s for s in SYMPTOMS if s.explained_by is kind)
    limits = service.thresholds
    # the symptom's 5m window over its threshold: 5xx ratio of a route (uniform errors), or
    # P99 over its limit, i.e. more than 1% of requests that slow (every slow one also breaks
    # the SLO's threshold: the worst case for the SLO)
    threshold = limits.error_ratio if kind is SloKind.AVAILABILITY else 0.01
    wait = parse_duration(symptom.for_, allow_zero=True)
    pages = [t for t in TIERS.values() if t.severity == "page"]
    budget = slo.error_budget_ratio
    leaks, since = [], math.inf
    t = 0.0
    while t < outage + 40 * 60:  # every window of a page tier but 6h has drained by then
        if window_ratio(t, 300, error_ratio, outage) > threshold:
            since = min(since, t)
        else:
            since = math.inf
        if t - since >= wait:
            slo_paging = any(
                all(
                    window_ratio(t, parse_duration(w), error_ratio, outage)
                    > t_.burn_rate(slo.period_seconds, int(parse_duration(t_.long_window))) * budget
                    for w in (t_.long_window, t_.short_window)
                )
                for t_ in pages
            )
            if not slo_paging:
                leaks.append(
                    f"{symptom.name} pages at {t / 60:.1f} min "
                    f"({'after' if t > outage else 'during'} the incident)"
                )
        t += STEP
    return leaks


@pytest.mark.parametrize("minutes", [1, 3, 5, 6, 8, 10, 12, 14, 16, 20, 25, 28, 30, 35, 45, 90])
@pytest.mark.parametrize("kind", [SloKind.AVAILABILITY, SloKind.LATENCY])
def test_a_full_outage_of_any_length_pages_only_through_its_slo(
    kind: SloKind, minutes: int
) -> None:
    assert _explained_symptom_never_pages(kind, 1.0, minutes * 60) == []


@pytest.mark.parametrize("error_ratio", [0.06, 0.08, 0.15, 0.3, 0.6])
@pytest.mark.parametrize("minutes", [6, 10, 12, 13, 14, 15, 17, 20, 30])
def test_a_partial_5xx_outage_on_every_route_pages_only_through_the_availability_slo(
    error_ratio: float, minutes: int
) -> None:
    assert _explained_symptom_never_pages(SloKind.AVAILABILITY, error_ratio, minutes * 60) == []


def test_the_readme_table_is_the_one_alerts_timing_computes() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert markdown_table(policy.load("sre-workbook"), 99.9) in readme
