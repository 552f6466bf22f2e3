"""The period ratio from hourly tiles, on real promtool: the same ratio as summing every 5m rate.

``slo:period_error_ratio:ratio`` sums the hourly tiles ``slo:sli_{errors,requests}:increase1h``
at a 1h subquery step instead of every recorded 5m rate over the period. This pins what that
trades, against the former expression (``sum_over_time`` of the 5m rates) evaluated beside it
on the same rules: equal at every full hour, the previous full hour's value in between (a lag
under an hour), and before a new series' first full hour the current tile stands in.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from alerts.cases import Case, ExprCheck, Firing
from alerts.slo_cases import sample_route, sli_series
from obsgen import conventions as names
from obsgen.build import build
from obsgen.model import SloKind, WindowRatios
from obsgen.queries import slo as q
from obsgen.spec import default_spec_text, load_text
from obsgen.writer import write_tree
from tests.conftest import require_tool

FORMS = {
    form: default_spec_text().replace(
        "\n  min_request_rate:", f"\n  window_ratios: {form.value}\n  min_request_rate:", 1
    )
    for form in WindowRatios
}


def _former(errors: str, requests: str, period: str, offset: str = "") -> str:
    """The period ratio before the hourly tiles: every recorded 5m rate summed."""
    return (
        f"sum_over_time({errors}[{period}]{offset})\n/\n"
        f"(sum_over_time({requests}[{period}]{offset}) > 0)"
    )


@pytest.mark.parametrize("form", list(WindowRatios), ids=lambda f: f.value)
def test_period_ratio_from_hourly_tiles_is_the_sum_of_the_5m_rates_up_to_the_last_full_hour(
    form: WindowRatios, tmp_path: Path
) -> None:
    project = load_text(FORMS[form], "demo.yaml")
    write_tree(build(project).tree, tmp_path / "build")
    service = project.services[0]
    slo = next(s for s in service.slos if s.kind is SloKind.AVAILABILITY)
    route = sample_route(slo.route_regex)
    assert route is not None
    errors = q.recorded(names.SLI_ERRORS_RATE_RECORD, service, slo)
    requests = q.recorded(names.SLI_REQUESTS_RATE_RECORD, service, slo)
    period = q.recorded(names.SLO_PERIOD_ERROR_RATIO_RECORD, service, slo)

    def equal(expr: str, minute: int) -> ExprCheck:
        # one sample, within 1e-12 of the former expression's: the same ratio, float rounding
        return ExprCheck(f"count(abs({period} - ({expr})) < 1e-12)", minute, (Firing({}, 1),))

    # 2h at 1 % errors, 30 min of a full outage at twice the traffic, 40 min healthy
    series = sli_series(service, slo, route, (120, 10.0, 0.01), (30, 20.0, 1.0), (40, 10.0, 0.0))
    now = _former(errors, requests, slo.period)
    checks = (
        equal(now, 30),  # before the first full hour: the current tile, i.e. everything
        equal(now, 60),
        equal(now, 120),
        # mid-outage: still the value of 120m (the outage shows at the next full hour)
        equal(_former(errors, requests, slo.period, " offset 30m"), 150),
        ExprCheck(f"count({period} < 0.0100001)", 150, (Firing({}, 1),)),
        equal(now, 180),
        equal(_former(errors, requests, slo.period, " offset 10m"), 190),
    )
    case = Case("period ratio from hourly tiles", series, exprs=checks)
    rules = sorted((tmp_path / "build/prometheus/rules").glob("*.yaml"))
    test = {
        "rule_files": [str(p) for p in rules],
        "evaluation_interval": "1m",
        "tests": [case.to_test()],
    }
    path = tmp_path / "period.test.yaml"
    path.write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    result = subprocess.run(
        [require_tool("promtool"), "test", "rules", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_alert_reads_the_period_ratio_or_the_records_built_on_it() -> None:
    """The tiles trade up to an hour of lag: fine for dashboards and the budget records, not
    for an alert. Every alert expression of the demo build reads neither."""
    project = load_text(FORMS[WindowRatios.RAW], "demo.yaml")
    tree = build(project).tree
    slow = (
        names.SLO_PERIOD_ERROR_RATIO_RECORD,
        names.SLO_BUDGET_REMAINING_RECORD,
        names.SLI_ERRORS_HOURLY_RECORD,
        names.SLI_REQUESTS_HOURLY_RECORD,
    )
    alerts = [
        rule
        for path, content in tree.items()
        if path.startswith("prometheus/rules/")
        for group in yaml.safe_load(content)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    assert len(alerts) > 10
    for rule in alerts:
        assert not any(record in rule["expr"] for record in slow), rule["alert"]
