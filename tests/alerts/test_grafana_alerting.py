"""The Grafana alert rule provisioning files: parsed by Grafana's own models, and the same alerts,
labels, links and queries as the Prometheus alert rule files they mirror."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import expr as grafana_expr
from grafana_foundation_sdk.models import prometheus as grafana_prometheus
from grafana_foundation_sdk.models.alerting import RuleGroup

from alerts import grafana_alerting
from alerts.grafana_alerting import grafana_template, rule_uid
from alerts.render import render
from obsgen.artifacts import HEADER
from obsgen.build import build
from obsgen.durations import parse_duration
from obsgen.model import Project
from obsgen.promql import syntax_error
from obsgen.spec import load_file
from tests.harness import specs

ROOT = Path(__file__).resolve().parents[2]
SPECS = {"demo": None, "instrumentator": specs.INSTRUMENTATOR_SPEC}
# The keys Grafana's file provisioning reads for a group and for a rule (AlertRuleGroupV1 and
# AlertRuleV1 in grafana/pkg/services/provisioning/alerting/rules_types.go); anything else is
# silently ignored by Grafana, so a misspelt key would quietly drop a setting.
GROUP_KEYS = {"orgId", "name", "folder", "interval", "rules"}
RULE_KEYS = {
    "uid",
    "title",
    "condition",
    "data",
    "dashboardUid",
    "panelId",
    "noDataState",
    "execErrState",
    "for",
    "keepFiringFor",
    "missing_series_evals_to_resolve",
    "annotations",
    "labels",
    "isPaused",
    "notification_settings",
    "record",
}
GRAFANA_UID = re.compile(r"^[a-zA-Z0-9_-]{1,40}$")
LINK_ANNOTATIONS = ("__dashboardUid__", "__panelId__")

plugins.register_default_plugins()


@pytest.fixture(scope="module", params=sorted(SPECS))
def built(request: pytest.FixtureRequest) -> tuple[Project, dict[str, bytes]]:
    project = load_file(SPECS[request.param])
    return project, build(project).tree


def grafana_files(tree: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Service name → parsed Grafana alerting file."""
    return {
        path.removeprefix("grafana/alerting/").removesuffix(".yaml"): yaml.safe_load(content)
        for path, content in tree.items()
        if path.startswith("grafana/alerting/")
    }


def grafana_rules(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in document["groups"] for rule in group["rules"]]


def prometheus_groups(tree: dict[str, bytes], service: str) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = yaml.safe_load(tree[f"prometheus/rules/{service}.alerts.yaml"])[
        "groups"
    ]
    return groups


def as_prometheus_template(text: str) -> str:
    return text.replace("$values.A.Value", "$value")


def test_every_service_with_alerts_gets_a_file_outside_grafanas_provisioning_dir(built) -> None:
    _project, tree = built
    alert_files = {
        p for p in tree if p.startswith("prometheus/rules/") and p.endswith(".alerts.yaml")
    }
    assert alert_files
    assert set(grafana_files(tree)) == {
        p.split("/")[-1].removesuffix(".alerts.yaml") for p in alert_files
    }
    for path, content in tree.items():
        if path.startswith("grafana/provisioning/"):
            assert b"condition:" not in content, f"{path} would make Grafana evaluate alerts too"
    compose = yaml.safe_load((ROOT / "stack" / "docker-compose.yml").read_text())
    mounts = [v for v in compose["services"]["grafana"]["volumes"] if v.startswith("../build/")]
    assert mounts and not any(m.startswith("../build/grafana/alerting") for m in mounts)
    assert all(not m.startswith("../build/grafana:") for m in mounts)


def test_the_file_says_how_to_use_it_in_its_header(built) -> None:
    project, tree = built
    for service in project.services:
        lines = tree[f"grafana/alerting/{service.name}.yaml"].decode().splitlines()
        assert lines[0] == "# " + HEADER.format(source=Path(project.source).name or project.source)
        comment = " ".join(line.lstrip("# ") for line in lines[1:] if line.startswith("#"))
        assert f"stop loading {service.name}.alerts.yaml into Prometheus" in comment
        assert f"Keep loading {service.name}.recording.yaml" in comment
        assert "double every notification" in comment


def test_the_file_has_grafanas_provisioning_layout(built) -> None:
    _project, tree = built
    for service, document in grafana_files(tree).items():
        assert list(document) == ["apiVersion", "groups"] and document["apiVersion"] == 1
        for group in document["groups"]:
            assert set(group) == GROUP_KEYS
            assert group["orgId"] == 1 and group["folder"] == service
            assert (
                int(parse_duration(group["interval"])) % 10 == 0
            )  # Grafana's base interval is 10s
            for rule in group["rules"]:
                assert set(rule) <= RULE_KEYS, set(rule) - RULE_KEYS


def test_every_rule_parses_with_grafanas_models_and_round_trips(built) -> None:
    project, tree = built
    for document in grafana_files(tree).values():
        for group in document["groups"]:
            parsed_group = RuleGroup.from_json(
                {
                    "title": group["name"],
                    "rules": group["rules"],
                    "interval": int(parse_duration(group["interval"])),
                }
            )
            assert parsed_group.title == group["name"] and parsed_group.interval == 60
            assert parsed_group.rules is not None and len(parsed_group.rules) == len(group["rules"])
            for rule, parsed in zip(group["rules"], parsed_group.rules):
                back = json.loads(json.dumps(parsed, cls=JSONEncoder))
                for key in (
                    "uid",
                    "title",
                    "condition",
                    "for",
                    "labels",
                    "annotations",
                    "noDataState",
                    "execErrState",
                    "isPaused",
                ):
                    assert back[key] == rule[key], (rule["title"], key)
                assert parsed.no_data_state == "OK" and parsed.exec_err_state == "Error"
                assert parsed.condition == "C"
                assert [q.ref_id for q in parsed.data] == ["A", "B", "C"]
                assert back["data"] == rule["data"]  # no key Grafana's models do not know
                query, series, condition = (q.model for q in parsed.data)
                # Grafana's model picked the Prometheus query type and the expression types.
                assert isinstance(query, grafana_prometheus.Dataquery)
                assert parsed.data[0].datasource_uid == project.grafana.prometheus.uid
                assert query.datasource == {
                    "type": "prometheus",
                    "uid": project.grafana.prometheus.uid,
                }
                assert query.instant is True and query.range_val is False
                assert isinstance(series, grafana_expr.TypeMath)
                assert series.expression == "is_number($A) || is_nan($A) || is_inf($A)"
                assert isinstance(condition, grafana_expr.TypeThreshold)
                assert condition.expression == "B"
                assert [
                    (c.evaluator.type_val, c.evaluator.params) for c in condition.conditions
                ] == [("gt", [0])]
                for q in parsed.data[1:]:
                    assert q.datasource_uid == "__expr__"


def test_the_grafana_rules_are_the_prometheus_alerts(built) -> None:
    _project, tree = built
    for service, document in grafana_files(tree).items():
        prometheus = prometheus_groups(tree, service)
        assert [g["name"] for g in document["groups"]] == [g["name"] for g in prometheus]
        for group, prom_group in zip(document["groups"], prometheus):
            assert [r["title"] for r in group["rules"]] == [r["alert"] for r in prom_group["rules"]]
            for rule, alert in zip(group["rules"], prom_group["rules"]):
                assert rule["data"][0]["model"]["expr"] == alert["expr"]
                assert rule["labels"] == alert["labels"] and "severity" in rule["labels"]
                assert rule["for"] == alert.get("for", "0s")  # Prometheus leaves out a zero `for`
                annotations = {
                    k: as_prometheus_template(v)
                    for k, v in rule["annotations"].items()
                    if k not in LINK_ANNOTATIONS
                }
                assert annotations == alert["annotations"]


def test_annotations_read_the_query_value_the_grafana_way(built) -> None:
    _, tree = built
    templated = 0
    for document in grafana_files(tree).values():
        for rule in grafana_rules(document):
            for text in rule["annotations"].values():
                assert not re.search(r"\$value(?!s)", text), text
                templated += text.count("$values.A.Value")
    assert templated > 0


def test_every_query_passes_the_promql_syntax_check(built) -> None:
    _, tree = built
    for document in grafana_files(tree).values():
        for rule in grafana_rules(document):
            assert syntax_error(rule["data"][0]["model"]["expr"]) is None, rule["title"]


def test_every_rule_links_to_an_existing_panel_of_a_generated_dashboard(built) -> None:
    _, tree = built
    panels: dict[str, set[int]] = {}
    for path, content in tree.items():
        if path.startswith("dashboards/"):
            dashboard = json.loads(content)
            panels[dashboard["uid"]] = {p["id"] for p in dashboard["panels"]}
    for service, document in grafana_files(tree).items():
        urls = {
            r["alert"]: r["annotations"]["dashboard_url"]
            for g in prometheus_groups(tree, service)
            for r in g["rules"]
        }
        for rule in grafana_rules(document):
            uid, panel = rule["annotations"]["__dashboardUid__"], rule["annotations"]["__panelId__"]
            assert isinstance(panel, str)  # Grafana parses the annotation as an integer string
            assert uid in panels and int(panel) in panels[uid], rule["title"]
            assert (rule["dashboardUid"], rule["panelId"]) == (uid, int(panel))
            assert f"/d/{uid}?" in urls[rule["title"]]
            assert f"viewPanel={panel}" in urls[rule["title"]]


def test_rule_uids_are_stable_valid_and_unique_and_titles_unique_per_folder() -> None:
    project = load_file(None)
    first = project.services[0]
    long_name = "a-service-name-long-enough-to-push-every-uid-past-forty"
    project = dataclasses.replace(
        project, services=(first, dataclasses.replace(first, name=long_name))
    )
    documents = [
        a.data for a in render(project).artifacts if a.path.startswith(grafana_alerting.DIR + "/")
    ]
    assert len(documents) == 2
    rules = [(g["folder"], r) for d in documents for g in d["groups"] for r in g["rules"]]
    uids = [r["uid"] for _, r in rules]
    assert all(GRAFANA_UID.match(uid) for uid in uids), uids
    assert len(set(uids)) == len(uids)
    titles = [(folder, r["title"]) for folder, r in rules]
    assert len(set(titles)) == len(titles)  # Grafana 11 rejects a repeated title in a folder
    assert {folder for folder, _ in rules} == {first.name, long_name}


def test_rule_uid_is_readable_when_it_fits_and_hashed_when_not() -> None:
    assert rule_uid("profiles", "TargetDown") == "obsgen-profiles-target-down"
    long_uid = rule_uid("profiles", "AvailabilityErrorBudgetBurnPageFast")
    assert len(long_uid) <= 40 and long_uid.startswith("obsgen-profiles-availability-")
    assert long_uid == rule_uid("profiles", "AvailabilityErrorBudgetBurnPageFast")
    assert long_uid != rule_uid("profiles", "AvailabilityErrorBudgetBurnPageSlow")


@pytest.mark.parametrize(
    "prometheus, grafana",
    [
        (
            "{{ $labels.slo }} at {{ $value | humanizePercentage }}",
            "{{ $labels.slo }} at {{ $values.A.Value | humanizePercentage }}",
        ),
        ("{{$value | humanize}}s", "{{ $values.A.Value | humanize }}s"),
        ("no template", "no template"),
    ],
)
def test_templates_read_query_a_value(prometheus: str, grafana: str) -> None:
    assert grafana_template(prometheus) == grafana


def test_a_template_action_without_a_grafana_form_is_a_renderer_bug() -> None:
    with pytest.raises(ValueError, match="no Grafana form"):
        grafana_template("{{ $externalLabels.env }}")
