"""The lint over every generated dashboard, and proof that each rule catches its mistake."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dashboards.lint import lint_dashboard
from dashboards.render import dashboards, import_variant
from obsgen.cli import main

KINDS = ("executive", "oncall", "debug")


@pytest.mark.parametrize("kind", KINDS)
def test_every_generated_dashboard_passes_the_lint(rendered: dict, kind: str) -> None:
    findings = lint_dashboard(rendered[("profiles", kind)])
    assert findings == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_import_variant_passes_the_lint(rendered: dict, kind: str) -> None:
    assert lint_dashboard(import_variant(rendered[("profiles", kind)])) == []


def test_instrumentator_dashboards_pass_the_lint(instrumentator_project) -> None:  # type: ignore[no-untyped-def]
    for key, data in dashboards(instrumentator_project)[0].items():
        assert lint_dashboard(data) == [], key


def _first_prom_target(d: dict[str, Any]) -> dict[str, Any]:
    return next(
        t for p in d["panels"] for t in p["targets"] if "expr" in t and "rate(" in t["expr"]
    )


def _set(
    path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any
) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        path(d)[key] = value

    return mutate


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["panels"][0].pop(key)


def _overlap(d: dict[str, Any]) -> None:
    d["panels"][1]["gridPos"] = dict(d["panels"][0]["gridPos"])


def _fixed_window(d: dict[str, Any]) -> None:
    target = _first_prom_target(d)
    target["expr"] = target["expr"].replace("$__rate_interval", "5m")


def _unaggregated(d: dict[str, Any]) -> None:
    _first_prom_target(d)["expr"] = 'rate(http_requests_total{job=~"$service"}[$__rate_interval])'


MISTAKES = {
    "a panel without a description is caught": (
        _drop("description"),
        "panel-title-description-rule",
    ),
    "a panel without a unit is caught": (
        lambda d: d["panels"][0]["fieldConfig"]["defaults"].pop("unit"),
        "panel-units-rule",
    ),
    "a hard-coded datasource uid is caught": (
        _set(lambda d: d["panels"][0], "datasource", {"type": "prometheus", "uid": "prom-1"}),
        "panel-datasource-rule",
    ),
    "a panel without targets is caught": (
        _set(lambda d: d["panels"][0], "targets", []),
        "panel-no-targets-rule",
    ),
    "grafanalib's maxDataPoints 100 is caught": (
        _set(lambda d: d["panels"][0], "maxDataPoints", 100),
        "panel-max-data-points-rule",
    ),
    "a rate over a fixed window is caught": (_fixed_window, "target-rate-interval-rule"),
    "a counter rate without aggregation is caught": (_unaggregated, "target-counter-agg-rule"),
    "a PromQL syntax error is caught": (
        lambda d: _first_prom_target(d).update(expr="sum(rate(x[$__rate_interval])"),
        "target-promql-rule",
    ),
    "overlapping panels are caught": (_overlap, "panel-gridpos-overlap-rule"),
    "an undefined variable is caught": (
        lambda d: _first_prom_target(d).update(expr='sum(rate(x{job=~"$nope"}[$__rate_interval]))'),
        "template-undefined-variable-rule",
    ),
    "an old schemaVersion is caught": (
        _set(lambda d: d, "schemaVersion", 27),
        "dashboard-schema-version-rule",
    ),
    "a missing uid is caught": (_set(lambda d: d, "uid", None), "dashboard-uid-rule"),
    "duplicate panel ids are caught": (_set(lambda d: d["panels"][1], "id", 1), "panel-id-rule"),
}


@pytest.mark.parametrize("mutate, rule", MISTAKES.values(), ids=MISTAKES.keys())
def test_lint_rule(rendered: dict, mutate: Callable[[dict[str, Any]], None], rule: str) -> None:
    broken = copy.deepcopy(rendered[("profiles", "oncall")])
    mutate(broken)
    assert rule in {f.rule for f in lint_dashboard(broken)}


def test_obsgen_lint_exits_0_on_generated_dashboards(tmp_path: Path, rendered: dict) -> None:
    for (service, kind), data in rendered.items():
        (tmp_path / f"{service}-{kind}.json").write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["lint", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "3 dashboards: no findings" in result.output


def test_obsgen_lint_exits_1_with_one_line_per_finding(tmp_path: Path, rendered: dict) -> None:
    broken = copy.deepcopy(rendered[("profiles", "oncall")])
    broken["panels"][0].pop("description")
    broken["schemaVersion"] = 16
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"dashboard": broken}))
    result = CliRunner().invoke(main, ["lint", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert (
        f"{path}: Firing alerts: panel-title-description-rule: panel needs a title and a description"
        in lines
    )
    assert any(
        line.startswith(f"{path}: dashboard: dashboard-schema-version-rule") for line in lines
    )
    assert len(lines) == 2


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", '{"panels": 3}'],
    ids=["invalid JSON", "a JSON list", "panels that are not a list"],
)
def test_obsgen_lint_exits_2_on_unreadable_input(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = CliRunner().invoke(main, ["lint", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.output


def test_obsgen_lint_exits_2_on_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lint", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
