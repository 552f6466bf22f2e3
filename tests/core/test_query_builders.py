"""Exact expressions of the query builders, and the SRE Workbook numbers pinned by hand.

The expected strings are written out, not derived from the code under test: a change to any
builder must show up here as a reviewed diff.
"""

from __future__ import annotations

import pytest

from obsgen.durations import parse_duration
from obsgen.model import Service, Slo, Tier
from obsgen.policy import load as load_policy
from obsgen.queries import base, http, slo
from obsgen.spec import load_text

SPEC = """\
apiVersion: obsgen/v1
services:
  - name: shop
    exclude_routes: [/metrics, /healthz]
    slos:
      - {name: avail, type: availability, objective: 99.9, period: 30d}
      - {name: fast, type: latency, objective: 99, threshold_seconds: 0.25, period: 28d,
         routes: "/cart.*"}
"""


@pytest.fixture(scope="module")
def service() -> Service:
    return load_text(SPEC, "shop.yaml").services[0]


def _slo(service: Service, name: str) -> Slo:
    return next(s for s in service.slos if s.name == name)


def test_availability_total_and_bad_rates(service: Service) -> None:
    target, avail = base.rule_target(service), _slo(service, "avail")
    total = (
        'sum(rate(http_server_request_duration_seconds_count{job="shop", '
        'http_route!~"/metrics|/healthz"}[5m]))'
    )
    assert slo.total_rate(target, avail, "5m") == total
    assert slo.bad_rate(target, avail, "5m") == (
        '(sum(rate(http_server_request_duration_seconds_count{job="shop", '
        'http_response_status_code=~"5..", http_route!~"/metrics|/healthz"}[5m])) '
        f"or 0 * {total})"
    )


def test_latency_bad_rate_is_total_minus_the_threshold_bucket(service: Service) -> None:
    target, fast = base.rule_target(service), _slo(service, "fast")
    assert slo.bad_rate(target, fast, "1h") == (
        '(sum(rate(http_server_request_duration_seconds_count{job="shop", http_route=~"/cart.*", '
        'http_route!~"/metrics|/healthz"}[1h]))'
        ' - sum(rate(http_server_request_duration_seconds_bucket{job="shop", le="0.25", '
        'http_route=~"/cart.*", http_route!~"/metrics|/healthz"}[1h])))'
    )


def test_error_ratio_divides_by_traffic_only_when_there_is_some(service: Service) -> None:
    target, avail = base.rule_target(service), _slo(service, "avail")
    ratio = slo.error_ratio(target, avail, "5m")
    assert ratio.endswith(
        '\n/\n(sum(rate(http_server_request_duration_seconds_count{job="shop", '
        'http_route!~"/metrics|/healthz"}[5m])) > 0)'
    )


def test_hourly_tile_is_the_mean_5m_rate_over_the_hour_in_events(service: Service) -> None:
    assert slo.hourly_events(service, _slo(service, "avail"), "slo:sli_errors:rate5m") == (
        'avg_over_time(slo:sli_errors:rate5m{service="shop", slo="avail"}[1h]) * 3600'
    )


def test_period_ratio_sums_hourly_tiles_at_a_1h_subquery_step(service: Service) -> None:
    """One tile per full hour over the period (720 for 30d, 672 for 28d); the current tile
    stands in until a new tile series has one at a full hour."""
    errors = 'slo:sli_errors:increase1h{service="shop", slo="avail"}'
    requests = 'slo:sli_requests:increase1h{service="shop", slo="avail"}'
    assert slo.period_error_ratio(service, _slo(service, "avail")) == (
        f"(sum_over_time({errors}[30d:1h]) or {errors})\n/\n"
        f"((sum_over_time({requests}[30d:1h]) or {requests}) > 0)"
    )
    fast = slo.period_error_ratio(service, _slo(service, "fast"))
    assert "[28d:1h]" in fast
    assert "[30d" not in fast


def test_recorded_window_ratio_reads_only_the_recorded_5m_rates(service: Service) -> None:
    """``window_ratios: recorded``: the last 5m exact from the current 5m rate, the other 55m
    from the average of the 5m rates recorded over them, shifted back by half their width."""
    errors = 'slo:sli_errors:rate5m{service="shop", slo="avail"}'
    requests = 'slo:sli_requests:rate5m{service="shop", slo="avail"}'
    assert slo.recorded_error_ratio(service, _slo(service, "avail"), "1h") == (
        f"((avg_over_time({errors}[55m] offset 150s) * 3300 or 0 * {errors}) + {errors} * 300)"
        "\n/\n"
        f"(((avg_over_time({requests}[55m] offset 150s) * 3300 or 0 * {requests})"
        f" + {requests} * 300) > 0)"
    )
    assert slo.recorded_error_ratio(service, _slo(service, "avail"), "5m") == (
        f"{errors}\n/\n({requests} > 0)"
    )


def test_fast_page_condition_joins_both_windows_and_the_traffic_guard(service: Service) -> None:
    tier = Tier("page-fast", "page", 2.0, "1h", "5m", "2m")
    assert slo.burn_rate_alert(service, _slo(service, "avail"), tier, 0.5) == (
        '(\n  slo:sli_error:ratio_rate1h{service="shop", slo="avail"} > (14.4 * 0.001)\n'
        "and on (service, slo)\n"
        '  slo:sli_error:ratio_rate5m{service="shop", slo="avail"} > (14.4 * 0.001)\n)\n'
        'and on (service, slo)\n  slo:sli_requests:rate5m{service="shop", slo="avail"} > 0.5'
    )


def test_route_latency_quantile_leaves_out_unmatched_requests(service: Service) -> None:
    target = base.rule_target(service)
    assert http.latency_quantile(target, 0.99, "5m", ("http_route",)) == (
        "histogram_quantile(0.99, sum by (le, http_route) (rate("
        'http_server_request_duration_seconds_bucket{job="shop", http_route!=""}[5m])))'
    )


def test_objective_is_recorded_as_written(service: Service) -> None:
    assert slo.constant(_slo(service, "avail").objective_ratio) == "vector(0.999)"
    assert slo.constant(_slo(service, "avail").error_budget_ratio) == "vector(0.001)"


# The SRE Workbook, "Alerting on SLOs", table 5-8 (30-day SLO): burn rate, long and short window,
# share of budget spent in the long window. Written out here, not read from the policy file.
WORKBOOK_30D = [
    ("page-fast", "page", 14.4, "1h", "5m", 2),
    ("page-slow", "page", 6, "6h", "30m", 5),
    ("ticket-fast", "ticket", 3, "1d", "2h", 10),
    ("ticket-slow", "ticket", 1, "3d", "6h", 10),
]


@pytest.mark.parametrize(
    "name, severity, rate, long, short, budget", WORKBOOK_30D, ids=[row[0] for row in WORKBOOK_30D]
)
def test_the_packaged_policy_is_the_workbooks_table(
    name: str, severity: str, rate: float, long: str, short: str, budget: int
) -> None:
    tier = next(t for t in load_policy("sre-workbook") if t.name == name)
    assert (tier.severity, tier.long_window, tier.short_window) == (severity, long, short)
    assert tier.budget_percent == budget
    assert tier.burn_rate(30 * 86400, int(parse_duration(long))) == rate


@pytest.mark.parametrize(
    "name, rate_28d",
    [("page-fast", 13.44), ("page-slow", 5.6), ("ticket-fast", 2.8), ("ticket-slow", 0.9333)],
)
def test_a_28_day_period_spends_the_same_budget_share_at_a_lower_rate(
    name: str, rate_28d: float
) -> None:
    tier = next(t for t in load_policy("sre-workbook") if t.name == name)
    assert tier.burn_rate(28 * 86400, int(parse_duration(tier.long_window))) == rate_28d
