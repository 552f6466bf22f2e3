"""Detection and reset of a burn-rate tier, computed as the SRE Workbook does ("Alerting on SLOs").

A pure model of a step incident: constant traffic, a share ``error_ratio`` of it bad from t = 0
for ``outage`` seconds, and before that a healthy history of ``history`` seconds (the Workbook
assumes a window full of it). A window's error ratio is then the bad share of the traffic it
holds. The README's table, each burn-rate runbook and the real-time game day read these
figures; Prometheus adds its own pipeline delay (scrape, rule evaluation, group_wait) on top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from obsgen.durations import parse_duration
from obsgen.model import Tier

FULL_OUTAGE = 1.0


def window_ratio(
    t: float, window: float, error_ratio: float, outage: float = math.inf, history: float = math.inf
) -> float:
    """The error ratio a ``window``-second window shows at time ``t`` of a step incident."""
    start = max(t - window, -history)
    held = t - start
    if held <= 0:
        return 0.0
    bad = max(0.0, min(t, outage) - max(start, 0.0))
    return error_ratio * bad / held


def _crossing(threshold: float, error_ratio: float, window: float, history: float) -> float:
    """First t at which one window's ratio passes ``threshold`` during the incident."""
    if history < window:  # the window still grows: e*t / (history + t)
        early = threshold * history / (error_ratio - threshold)
        if history + early <= window:
            return early
    return threshold * window / error_ratio


def detection_seconds(
    tier: Tier, threshold: float, error_ratio: float = FULL_OUTAGE, history: float = math.inf
) -> float | None:
    """Seconds from the start of errors until both windows of ``tier`` pass ``threshold``
    (the tier's error-ratio threshold); None when ``error_ratio`` never gets there."""
    if error_ratio <= threshold:
        return None
    windows = (parse_duration(tier.long_window), parse_duration(tier.short_window))
    return max(_crossing(threshold, error_ratio, w, history) for w in windows) + parse_duration(
        tier.for_, allow_zero=True
    )


def reset_seconds(tier: Tier, threshold: float, error_ratio: float = FULL_OUTAGE) -> float | None:
    """Seconds after recovery until the tier stops firing, for an outage at least as long as
    its short window: the short window's ratio falls under the threshold first."""
    if error_ratio <= threshold:
        return None
    return parse_duration(tier.short_window) * (1 - threshold / error_ratio)


@dataclass(frozen=True)
class TierFigures:
    """One tier's Workbook figures for one SLO objective and period."""

    tier: Tier
    burn_rate: float
    threshold: float  # error ratio over both windows that fires the tier
    detect_full: float  # seconds: 100 % errors, a long window full of healthy history
    detect_at_threshold: float  # seconds: errors just over the threshold (the long window)
    budget_spent_percent: float  # of the period's error budget, spent before the page
    reset_full: float  # seconds after a 100 % outage ends until the tier resolves


def tier_figures(tier: Tier, objective_percent: float, period: str) -> TierFigures:
    period_seconds = parse_duration(period)
    budget = round(1 - objective_percent / 100, 12)
    long_window = parse_duration(tier.long_window)
    rate = tier.burn_rate(int(period_seconds), int(long_window))
    threshold = rate * budget
    full = detection_seconds(tier, threshold)
    reset = reset_seconds(tier, threshold)
    assert full is not None and reset is not None, f"{tier.name}: threshold {threshold} >= 100%"
    return TierFigures(
        tier=tier,
        burn_rate=rate,
        threshold=threshold,
        detect_full=full,
        detect_at_threshold=long_window + parse_duration(tier.for_, allow_zero=True),
        budget_spent_percent=full * FULL_OUTAGE / (period_seconds * budget) * 100,
        reset_full=reset,
    )


def human(seconds: float) -> str:
    """``51.84`` → ``52s``, ``295.7`` → ``4.9m``, ``1788`` → ``30m``, ``21600`` → ``6h``."""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.2g}m" if seconds < 600 else f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.3g}h"


def runbook_lines(figures: TierFigures, objective_percent: float, period: str) -> list[str]:
    """What a burn-rate runbook says about its tier's speed (one SLO objective and period)."""
    f = figures
    return [
        (
            f"- SLO {objective_percent:g}% over {period}: fires at a {f.burn_rate:g}x burn, an "
            f"error ratio over {f.threshold * 100:.4g}% in both the {f.tier.long_window} and "
            f"{f.tier.short_window} windows."
        ),
        (
            f"- A full outage pages after {human(f.detect_full)} (after {f.tier.long_window} of "
            "healthy traffic; add scrape, evaluation and group_wait delays); errors just over the "
            f"threshold take {human(f.detect_at_threshold)}. Either way "
            f"{f.budget_spent_percent:.3g}% of the error budget is spent before the page."
        ),
        (
            f"- After recovery it resolves within {human(f.reset_full)} (the "
            f"{f.tier.short_window} window draining)."
        ),
    ]


def markdown_table(
    tiers: tuple[Tier, ...], objective_percent: float, periods: tuple[str, ...] = ("30d", "28d")
) -> str:
    """The README's per-tier table: Workbook detection, budget spent and reset, per period."""
    rows = [
        (
            "| period | tier | burn rate | error ratio | detection, 100% errors "
            "| detection, at the threshold | budget spent before it fires | reset after a full outage |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for period in periods:
        for tier in tiers:
            f = tier_figures(tier, objective_percent, period)
            rows.append(
                f"| {period} | {tier.name} ({tier.long_window}/{tier.short_window}) "
                f"| {f.burn_rate:g}x | {f.threshold * 100:.4g}% | {human(f.detect_full)} "
                f"| {human(f.detect_at_threshold)} | {f.budget_spent_percent:.3g}% "
                f"| {human(f.reset_full)} |"
            )
    return "\n".join(rows)
