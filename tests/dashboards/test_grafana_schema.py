"""Grafana's own schemas over every generated dashboard and Grafana alert-rule file.

Neither Grafana's server (AGPL, not allowed on these machines) nor grafana/dashboard-linter
(not served) can run here, so tools/grafana-schema-check brings Grafana's schemas the one
permitted way: the Go types grafana-foundation-sdk v0.0.22 (Apache-2.0) generates from them.

What it checks, per dashboard: the SDK's strict decoding (every key must exist in the schema,
every value must have the schema's type, required keys must be present) of the dashboard,
variables, annotations, links and panels; each panel's ``options`` and
``fieldConfig.defaults.custom`` against its panel type's schema and each target against its
datasource type's query schema (both through the SDK's registered variants); what the SDK's
decoder skips, through its same public types: ``fieldConfig`` outside ``custom``, every field
override property, targets that inherit the panel's datasource type; and the schemas'
constraints (``Validate``). Per Grafana alert-rule file: every rule query (``data[]``) and its
model strictly, and ``noDataState``/``execErrState`` against the SDK's enumerations.

What it cannot check: enumerated string values inside dashboards (the SDK decodes, say, a
``drawStyle`` into a string type without checking it is one of the schema's values); PromQL,
LogQL or TraceQL inside queries; option values of panel types or datasources the SDK has no
schema for (the checker reports them as unchecked, and the tests below require none); override
properties in matchers' ``options``; the rule envelope of the alert-rule file (the SDK's
``alerting.Rule`` is the HTTP API's shape, not file provisioning's); anything about behaviour.

The round trip through the Python build of the same SDK in test_structure.py is lenient: its
``Dashboard.from_json`` reads the keys it knows and accepts unknown keys and wrong types alike.

How this relates to ``obsgen lint`` (dashboards/lint.py, tests/dashboards/test_lint.py): the
lint is obsgen's house rules and dashboard-linter's (datasource variables, units, titles and
descriptions, ``$__rate_interval``, aggregated counters, PromQL syntax, grid layout, unique ids
and uids) and knows nothing of the schemas' keys and types; this check knows nothing of those
rules. A dashboard must pass both; neither finds what the other does.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from obsgen.cli import main
from tests.conftest import REPO, native_home, native_versions, require_tool
from tests.harness.specs import INSTRUMENTATOR_SPEC

CHECKER = "grafana-schema-check"
# The specs the suite builds elsewhere (tests/golden/), plus the one `obsgen init` starts users on.
SPECS = ("demo", "instrumentator", "starter")
IMPORT_ONLY_KEYS = ("__inputs", "__requires")  # Grafana's import UI consumes them

# Findings the SDK gets wrong for Grafana 12.4.3, each with the reason. Nothing else is excused.
SDK_EXCEPTIONS: dict[str, str] = {
    r"\.fieldConfig\.defaults\.links\[\d+\]\."
    r"(asDropdown|icon|includeVars|keepTime|tags|tooltip|type): required field is missing$": (
        "grafana-foundation-sdk v0.0.22's dashboard package types FieldConfig.links as "
        "DashboardLink, the dashboard header's link (type, icon, tooltip, tags, asDropdown, "
        "includeVars, keepTime). Grafana's schema leaves field links untyped (`links?: [...]`) "
        "and Grafana 12 reads them as data links {title, url, targetBlank, ...}; the SDK's own "
        "dashboardv2 package agrees ([]any, DataLink{title, url, targetBlank}). Header-link keys "
        "in a data link would be noise Grafana never reads. Only these missing keys are excused: "
        "an unknown key or a wrong type in a data link is still a finding."
    ),
}
_EXCUSED = [re.compile(pattern) for pattern in SDK_EXCEPTIONS]
_SUMMARY = re.compile(
    r"(?P<dashboards>\d+) dashboards, (?P<panels>\d+) panels \((?P<panels_schema>\d+) with panel "
    r"schema\), (?P<targets>\d+) targets \((?P<targets_schema>\d+) with query schema\), "
    r"(?P<rule_files>\d+) alert-rule files, (?P<rules>\d+) rules, (?P<queries>\d+) rule queries "
    r"\((?P<queries_schema>\d+) with query schema\); (?P<unchecked>\d+) unchecked parts; "
    r"(?P<problems>\d+) problems"
)


def _excused(line: str) -> bool:
    return any(pattern.search(line) for pattern in _EXCUSED)


def _build(spec: str, where: Path) -> Path:
    """``obsgen build`` of one spec into a fresh directory; returns the output directory."""
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=where) as cwd:
        if spec == "starter":
            assert runner.invoke(main, ["init", "checkout"]).exit_code == 0
        args = ["build", "-o", "out"]
        if spec == "instrumentator":
            args += ["-c", str(INSTRUMENTATOR_SPEC)]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        return Path(cwd) / "out"


@pytest.fixture(scope="module")
def checker() -> str:
    return require_tool(CHECKER)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("schema-builds")
    return {spec: _build(spec, where) for spec in SPECS}


def _check(checker: str, files: list[Path]) -> tuple[int, list[str], dict[str, int]]:
    result = subprocess.run(
        [checker, *map(str, files)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode in (0, 1), result.stderr
    summary = _SUMMARY.search(result.stderr)
    assert summary, result.stderr
    counts = {key: int(value) for key, value in summary.groupdict().items()}
    return result.returncode, result.stdout.splitlines(), counts


def _import_variants(out: Path, into: Path) -> list[Path]:
    """The import variants as Grafana's import UI hands them on: without ``__inputs``."""
    into.mkdir(exist_ok=True)
    files = []
    for path in sorted((out / "dashboards-import").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in IMPORT_ONLY_KEYS:
            data.pop(key)
        files.append(into / path.name)
        files[-1].write_text(json.dumps(data), encoding="utf-8")
    return files


@pytest.mark.parametrize("spec", SPECS)
def test_every_dashboard_and_alert_rule_file_passes_grafanas_schemas(
    spec: str, built: dict[str, Path], checker: str, tmp_path: Path
) -> None:
    out = built[spec]
    dashboards = sorted((out / "dashboards").glob("*.json"))
    imports = _import_variants(out, tmp_path / "import")
    rules = sorted((out / "grafana" / "alerting").glob("*.yaml"))
    assert dashboards and rules
    code, lines, counts = _check(checker, [*dashboards, *imports, *rules])
    assert [line for line in lines if not _excused(line)] == []
    assert code == (1 if lines else 0)
    # Every part was held against a schema: no panel type or query type the SDK lacks.
    assert counts["dashboards"] == len(dashboards) + len(imports)
    assert counts["rule_files"] == len(rules)
    assert counts["panels"] == counts["panels_schema"] > 0
    assert counts["targets"] == counts["targets_schema"] > 0
    assert counts["queries"] == counts["queries_schema"] > 0
    assert counts["unchecked"] == 0


def test_each_sdk_exception_still_matches_a_finding(built: dict[str, Path], checker: str) -> None:
    """An exception the SDK no longer needs (a newer SDK fixed it) must be removed."""
    _, lines, _ = _check(checker, sorted((built["demo"] / "dashboards").glob("*.json")))
    for pattern in _EXCUSED:
        assert any(pattern.search(line) for line in lines), pattern.pattern


def _mutate(
    data: dict[str, Any], kind: str, datasource: str, edit: Any
) -> tuple[dict[str, Any], int]:
    index = next(
        i
        for i, p in enumerate(data["panels"])
        if p["type"] == kind and p["datasource"]["type"] == datasource
    )
    edit(data["panels"][index])
    return data, index


def _set(path: str, value: Any) -> Any:
    """An edit setting the dotted ``path`` (list indexes as numbers) of a panel to ``value``."""

    def edit(panel: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = panel
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value

    return edit


def _drop_target_datasource(panel: dict[str, Any]) -> None:
    panel["targets"][0].pop("datasource")
    panel["targets"][0]["legendFormat"] = 5


def _override(property_id: str, value: Any) -> Any:
    def edit(panel: dict[str, Any]) -> None:
        panel["fieldConfig"]["overrides"] = [
            {
                "matcher": {"id": "byName", "options": "x"},
                "properties": [{"id": property_id, "value": value}],
            }
        ]

    return edit


# name → (panel type, datasource type, edit, the problem's JSON path below the panel, message)
DASHBOARD_MISTAKES: dict[str, tuple[str, str, Any, str, str]] = {
    "an unknown key in a panel's options": (
        "timeseries",
        "prometheus",
        _set("options.legend.sowLegend", True),
        "options.legend.sowLegend",
        'unknown field (the schema\'s VizLegendOptions has no "sowLegend")',
    ),
    "a wrongly typed panel option": (
        "stat",
        "prometheus",
        _set("options.wideLayout", "yes"),
        "options.wideLayout",
        "wrong type: a JSON string where the schema has bool",
    ),
    "a wrongly typed custom field config": (
        "timeseries",
        "prometheus",
        _set("fieldConfig.defaults.custom.lineWidth", "1"),
        "fieldConfig.defaults.custom.lineWidth",
        "wrong type: a JSON string where the schema has float64",
    ),
    "an unknown key in fieldConfig.defaults, which the SDK's own decoder lets pass": (
        "table",
        "tempo",
        _set("fieldConfig.defaults.unitt", "s"),
        "fieldConfig.defaults.unitt",
        'unknown field (the schema\'s FieldConfig has no "unitt")',
    ),
    "a misspelt custom property in a field override": (
        "timeseries",
        "prometheus",
        _override("custom.fillOpacitty", 20),
        "fieldConfig.overrides[0].properties[0].value",
        (
            'property "custom.fillOpacitty": unknown field (the schema\'s GraphFieldConfig has '
            'no "fillOpacitty")'
        ),
    ),
    "an unknown key in a Prometheus target": (
        "timeseries",
        "prometheus",
        _set("targets.0.exprr", "up"),
        "targets[0].exprr",
        'unknown field (the schema\'s Dataquery has no "exprr")',
    ),
    "a wrongly typed key in a target that inherits the panel's datasource": (
        "timeseries",
        "prometheus",
        _drop_target_datasource,
        "targets[0].legendFormat",
        "wrong type: a JSON number where the schema has string",
    ),
    "an unknown key in a Loki target": (
        "logs",
        "loki",
        _set("targets.0.exprr", '{job=~"$service"}'),
        "targets[0].exprr",
        'unknown field (the schema\'s Dataquery has no "exprr")',
    ),
    "an unknown key in a Tempo target": (
        "table",
        "tempo",
        _set("targets.0.limitt", 5),
        "targets[0].limitt",
        'unknown field (the schema\'s Dataquery has no "limitt")',
    ),
    "a value outside an enumeration, which the SDK cannot see (documented above)": (
        "logs",
        "loki",
        _set("targets.0.direction", "sideways"),
        "targets[0].direction",
        "",
    ),
    "an unknown key on the panel itself": (
        "heatmap",
        "prometheus",
        _set("maxDataPoint", 200),
        "maxDataPoint",
        'unknown field (the schema\'s Panel has no "maxDataPoint")',
    ),
}


@pytest.mark.parametrize("mistake", sorted(DASHBOARD_MISTAKES))
def test_the_check_reports_a_dashboard_mistake_at_its_panel_and_json_path(
    mistake: str, built: dict[str, Path], checker: str, tmp_path: Path
) -> None:
    kind, datasource, edit, path, message = DASHBOARD_MISTAKES[mistake]
    source = built["demo"] / "dashboards" / "profiles-debug.json"
    clean = json.loads(source.read_text(encoding="utf-8"))
    data, index = _mutate(copy.deepcopy(clean), kind, datasource, edit)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    baseline = set(_check(checker, [source])[1])
    code, lines, _ = _check(checker, [broken])
    new = [line.replace(str(broken), "FILE") for line in lines]
    new = [line for line in new if line.replace("FILE", str(source)) not in baseline]
    if not message:  # a mistake the schema cannot see: documented, and proven unseen
        assert new == []
        return
    panel = data["panels"][index]
    expected = f'FILE: panel {panel["id"]} "{panel["title"]}": panels[{index}].{path}: {message}'
    assert new == [expected]
    assert code == 1


def _rule_query(rules: dict[str, Any], ref: str) -> dict[str, Any]:
    query: dict[str, Any] = next(
        q for q in rules["groups"][0]["rules"][0]["data"] if q["refId"] == ref
    )
    return query


# name → (edit of the first rule of the first group, the problem's path below it, message)
RULE_MISTAKES: dict[str, tuple[Any, str, str]] = {
    "an unknown key in a rule's Prometheus query": (
        lambda r: _rule_query(r, "A")["model"].update(exprr="up"),
        "data[0].model.exprr",
        'unknown field (the schema\'s Dataquery has no "exprr")',
    ),
    "a wrongly typed relative time range": (
        lambda r: _rule_query(r, "A")["relativeTimeRange"].update({"from": "5m"}),
        "data[0].relativeTimeRange.from",
        "wrong type: a JSON string where the schema has alerting.Duration",
    ),
    "an unknown key in a server-side expression": (
        lambda r: _rule_query(r, "C")["model"].update(expresion="B"),
        "data[2].model.expresion",
        'unknown field (the schema\'s TypeThreshold has no "expresion")',
    ),
    "a no-data state Grafana does not have": (
        lambda r: r["groups"][0]["rules"][0].update(noDataState="Nodata"),
        "noDataState",
        '"Nodata" is not one of OK, Alerting, NoData, KeepLast',
    ),
}


@pytest.mark.parametrize("mistake", sorted(RULE_MISTAKES))
def test_the_check_reports_an_alert_rule_mistake_at_its_rule_and_path(
    mistake: str, built: dict[str, Path], checker: str, tmp_path: Path
) -> None:
    edit, path, message = RULE_MISTAKES[mistake]
    source = built["demo"] / "grafana" / "alerting" / "profiles.yaml"
    rules = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(rules)
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(rules), encoding="utf-8")
    code, lines, _ = _check(checker, [broken])
    rule = rules["groups"][0]["rules"][0]
    expected = (
        f'{broken}: rule {rule["uid"]} "{rule["title"]}": groups[0].rules[0].{path}: {message}'
    )
    assert lines == [expected]
    assert code == 1


def test_the_checker_is_built_against_the_pinned_sdk_release() -> None:
    go_mod = (REPO / "tools" / CHECKER / "go.mod").read_text(encoding="utf-8")
    version = native_versions()["GRAFANA_SCHEMA_CHECK_VERSION"]
    assert f"github.com/grafana/grafana-foundation-sdk/go v{version}\n" in go_mod


def test_the_tests_look_for_the_checker_where_stack_native_build_puts_it() -> None:
    """The cache key (SDK release + hash of the tool's sources) is computed twice, in bash and in
    tests/conftest.py: they must agree, or every edit of the tool would skip these tests."""
    if shutil.which("go") is None:
        pytest.skip("stack/native/build needs Go on PATH")
    printed = subprocess.run(
        [str(REPO / "stack" / "native" / "build"), "--path", CHECKER],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert printed == str(native_home(CHECKER) / "bin")
