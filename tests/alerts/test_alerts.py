"""Alert rules, promtool tests, Alertmanager config and runbooks, checked with the real tools."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from alerts.lint import lint_groups
from alerts.render import render
from alerts.symptoms import SYMPTOMS
from alerts.templates import humanize, humanize_percentage
from obsgen import conventions as names
from obsgen.build import build
from obsgen.conventions import SERVICE_LABEL, SLO_LABEL, TEAM_LABEL
from obsgen.model import WindowRatios
from obsgen.spec import default_spec_text, load_text
from obsgen.writer import write_tree
from tests.conftest import require_tool
from tests.harness import specs

INSTRUMENTATOR_SPEC = specs.INSTRUMENTATOR_SPEC.read_text()
_LAG = "      event_loop_lag_seconds: 0.1 # blocking code in async handlers\n"
CUSTOM_SPEC = default_spec_text().replace(
    _LAG, _LAG + "      restarts_per_hour: 5\n      memory_exhaustion_hours: 0.5\n"
)
# the opt-in window form: every generated promtool case must hold for it too
RECORDED_SPEC = default_spec_text().replace(
    "\n  min_request_rate:", "\n  window_ratios: recorded\n  min_request_rate:", 1
)
SPECS = {
    "otel demo": default_spec_text(),
    "instrumentator": INSTRUMENTATOR_SPEC,
    "custom thresholds": CUSTOM_SPEC,
    "recorded window ratios": RECORDED_SPEC,
}


@pytest.fixture(scope="module", params=list(SPECS))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    project = load_text(SPECS[request.param], f"{request.param}.yaml")
    out = tmp_path_factory.mktemp("build")
    write_tree(build(project).tree, out)
    return project, out


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, capture_output=True, text=True, timeout=120)


def test_every_rule_file_passes_promtool_check_rules(built) -> None:
    _, out = built
    files = sorted((out / "prometheus/rules").glob("*.yaml"))
    assert len(files) == 2
    result = _run(require_tool("promtool"), "check", "rules", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_promtool_unit_tests_pass(built) -> None:
    _, out = built
    result = _run(
        require_tool("promtool"),
        "test",
        "rules",
        *map(str, (out / "prometheus/tests").glob("*.test.yaml")),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_window_ratios_read_raw_series_unless_the_spec_opts_in_to_recorded_rates(built) -> None:
    project, out = built
    recorded = project.alerting.window_ratios is WindowRatios.RECORDED
    prefix = names.sli_error_ratio_record("")
    ratios = [
        rule
        for f in (out / "prometheus/rules").glob("*.recording.yaml")
        for g in yaml.safe_load(f.read_text())["groups"]
        for rule in g["rules"]
        if rule["record"].startswith(prefix)
    ]
    assert ratios
    for rule in ratios:
        series = set(re.findall(r"([a-zA-Z_:][\w:]*)\{", rule["expr"]))
        from_recorded = {
            names.SLI_ERRORS_RATE_RECORD,
            names.SLI_REQUESTS_RATE_RECORD,
        }.issuperset(series)
        assert series and from_recorded is recorded, (rule["record"], rule["expr"])


def test_both_window_forms_are_held_to_the_same_promtool_cases() -> None:
    """The recorded form changes rule expressions only: its build's promtool tests (which
    `test_generated_promtool_unit_tests_pass` runs) are the default's, case for case."""
    trees = [build(load_text(t, "demo.yaml")).tree for t in (default_spec_text(), RECORDED_SPEC)]
    tests = [{p: c for p, c in t.items() if p.startswith("prometheus/tests/")} for t in trees]
    rules = [t["prometheus/rules/profiles.recording.yaml"] for t in trees]
    assert tests[0] and tests[0] == tests[1]
    assert rules[0] != rules[1]


def test_every_alert_has_a_firing_and_a_silent_case(built) -> None:
    _, out = built
    alerts = {
        r["alert"]
        for f in (out / "prometheus/rules").glob("*.alerts.yaml")
        for g in yaml.safe_load(f.read_text())["groups"]
        for r in g["rules"]
    }
    fired, silent = set(), set()
    for f in (out / "prometheus/tests").glob("*.yaml"):
        for test in yaml.safe_load(f.read_text())["tests"]:
            for check in test.get("alert_rule_test", []):
                (fired if check["exp_alerts"] else silent).add(check["alertname"])
    assert alerts and fired == alerts and silent == alerts


def test_build_output_passes_the_lint(built) -> None:
    _, out = built
    for f in (out / "prometheus/rules").glob("*.yaml"):
        assert lint_groups(yaml.safe_load(f.read_text())["groups"], f.name) == []


def test_alertmanager_config_passes_amtool(built) -> None:
    _, out = built
    result = _run(
        require_tool("amtool"), "check-config", str(out / "alertmanager/alertmanager.yml")
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "severity, receiver", [("page", "page"), ("ticket", "ticket"), ("unknown", "ticket")]
)
def test_alerts_route_to_the_receiver_of_their_severity(
    built, severity: str, receiver: str
) -> None:
    project, out = built
    expected = {"page": project.alerting.page_receiver, "ticket": project.alerting.ticket_receiver}
    result = _run(
        require_tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={out / 'alertmanager/alertmanager.yml'}",
        f"severity={severity}",
        f"service={project.services[0].name}",
        "alertname=X",
    )
    assert result.stdout.strip() == expected[receiver].name


def _alert_rules(out: Path) -> list[dict]:
    return [
        r
        for f in (out / "prometheus/rules").glob("*.alerts.yaml")
        for g in yaml.safe_load(f.read_text())["groups"]
        for r in g["rules"]
    ]


def test_every_alert_carries_its_service_team_as_the_team_label(built) -> None:
    project, out = built
    teams = {s.name: s.team for s in project.services}
    rules = _alert_rules(out)
    assert rules and all(
        r["labels"][TEAM_LABEL] == teams[r["labels"][SERVICE_LABEL]] for r in rules
    )


def test_pages_group_by_service_and_slo_and_tickets_by_alert_name(built) -> None:
    _, out = built
    route = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())["route"]
    page, ticket = route["routes"]
    assert page["group_by"] == [SERVICE_LABEL, SLO_LABEL]  # every tier of an SLO: one incident
    assert "group_by" not in ticket and route["group_by"] == ["alertname", SERVICE_LABEL]


def test_slo_pages_inhibit_the_symptom_pages_they_explain(built) -> None:
    project, out = built
    rules = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())["inhibit_rules"]
    generated = {r["alert"] for r in _alert_rules(out)}
    expected = []
    for service in project.services:
        for symptom in (s for s in SYMPTOMS if s.explained_by and s.name in generated):
            slos = "|".join(o.name for o in service.slos if o.kind is symptom.explained_by)
            expected.append(
                {
                    "source_matchers": [
                        'severity="page"',
                        f'service="{service.name}"',
                        f'slo=~"{slos}"',
                    ],
                    "target_matchers": [
                        f'service="{service.name}"',
                        f'alertname=~"{symptom.name}"',
                    ],
                    "equal": [SERVICE_LABEL],
                }
            )
    assert len(expected) == 2 * len(project.services)  # P99 and route 5xx ratio everywhere
    assert [r for r in rules if r in expected] == expected


def test_ticket_route_is_muted_in_the_spec_deploy_windows(built) -> None:
    project, out = built
    config = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())
    ticket = config["route"]["routes"][1]
    windows = project.alerting.mute_windows
    assert ticket.get("mute_time_intervals", []) == [w.name for w in windows]
    assert [i["time_intervals"][0]["weekdays"] for i in config.get("time_intervals", [])] == [
        list(w.weekdays) for w in windows
    ]
    if project.source.endswith("otel demo.yaml"):
        assert [list(w.weekdays) for w in windows] == [["tuesday", "thursday"]]


def test_prometheusrule_holds_the_same_groups_as_the_rule_files(built) -> None:
    project, out = built
    name = project.services[0].name
    crd = yaml.safe_load((out / f"kubernetes/prometheusrule-{name}.yaml").read_text())
    files = [
        yaml.safe_load((out / f"prometheus/rules/{name}.{k}.yaml").read_text())["groups"]
        for k in ("recording", "alerts")
    ]
    assert crd["kind"] == "PrometheusRule" and crd["spec"]["groups"] == files[0] + files[1]


def test_every_alert_has_a_runbook_page_listed_in_the_index(built) -> None:
    _, out = built
    index = (out / "runbooks/README.md").read_text()
    for f in (out / "prometheus/rules").glob("*.alerts.yaml"):
        for g in yaml.safe_load(f.read_text())["groups"]:
            for rule in g["rules"]:
                page = rule["annotations"]["runbook_url"].rsplit("/", 1)[-1]
                assert (out / "runbooks" / page).is_file() and f"({page})" in index


def test_instrumentator_preset_skips_alerts_it_has_no_metrics_for_with_notes() -> None:
    output = render(load_text(INSTRUMENTATOR_SPEC, "instrumentator.yaml"))
    skipped = {n.split("skipped alert ")[1].split(":")[0] for n in output.notes if "skipped" in n}
    assert skipped == {
        "EventLoopLagHigh",
        "DbPoolSaturated",
        "DbPoolWaiters",
        "BackgroundQueueBacklog",
        "LogFlood",
        "TelemetryExportDropping",
    }


@pytest.mark.parametrize(
    "rule, problem",
    [
        ({"alert": "bad_name", "expr": "up"}, "not CamelCase"),
        ({"alert": "A" + "b" * 40, "expr": "up"}, "longer than 40"),
        ({"alert": "NoSeverity", "expr": "up"}, "severity label"),
        (
            {
                "alert": "Untemplated",
                "expr": "up",
                "labels": {"severity": "page"},
                "annotations": {"summary": "plain", "description": "plain"},
            },
            "summary is not templated",
        ),
        ({"alert": "BrokenExpr", "expr": "sum(rate(x[5m])"}, "does not parse"),
    ],
    ids=[
        "snake case name",
        "long name",
        "missing severity",
        "untemplated summary",
        "unparseable expression",
    ],
)
def test_lint_reports_a_bad_rule(rule: dict, problem: str) -> None:
    assert any(problem in p for p in lint_groups([{"name": "g", "rules": [rule]}]))


def test_lint_reports_groups_over_twenty_rules() -> None:
    rules = [{"record": "a:b:c", "expr": "up"}] * 21
    assert any("more than 20" in p for p in lint_groups([{"name": "g", "rules": rules}]))


@pytest.mark.parametrize(
    "value, text", [(0.9975, "997.5m"), (4, "4"), (1500, "1.5k"), (0, "0"), (0.0003, "300u")]
)
def test_humanize_matches_prometheus(value: float, text: str) -> None:
    assert humanize(value) == text


def test_humanize_percentage_matches_prometheus() -> None:
    assert humanize_percentage(0.0216) == "2.16%"


def test_restart_and_memory_horizon_thresholds_come_from_the_spec() -> None:
    assert CUSTOM_SPEC != default_spec_text()
    output = render(load_text(CUSTOM_SPEC, "custom.yaml"))
    rules = {
        r["alert"]: r
        for a in output.artifacts
        if a.path.endswith(".alerts.yaml")
        for g in a.data["groups"]
        for r in g["rules"]
    }
    restarts, memory = rules["ProcessRestarts"], rules["MemoryExhaustionProjected"]
    assert restarts["expr"].rstrip().endswith("> 5")
    assert "more than 5" in restarts["annotations"]["description"]
    assert ", 1800)" in memory["expr"]  # predict_linear 30 min ahead
    assert memory["annotations"]["summary"].endswith("in 0.5h")
    assert "within 0.5h" in memory["annotations"]["description"]


@pytest.mark.parametrize(
    "line, problem",
    [
        ("restarts_per_hour: 2.5", "restarts_per_hour: must be an integer"),
        ("memory_exhaustion_hours: 0", "memory_exhaustion_hours"),
    ],
)
def test_bad_restart_or_horizon_threshold_is_a_located_error(line: str, problem: str) -> None:
    from obsgen.errors import ObsgenError

    text = default_spec_text().replace(_LAG, _LAG + f"      {line}\n")
    with pytest.raises(ObsgenError) as info:
        load_text(text, "bad.yaml")
    assert problem in str(info.value) and "bad.yaml:" in str(info.value)
