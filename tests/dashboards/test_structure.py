"""Structure checks Grafana would make: its own models, ids, uids, links, variables, golden files."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.ids import PANEL_KEYS, UID_MAX, dashboard_uid, panel_id, panel_ref, panel_url
from dashboards.lint import variables_used
from dashboards.render import dashboards, import_variant
from obsgen.spec import default_spec_text, load_text

KINDS = ("executive", "oncall", "debug")
plugins.register_default_plugins()


@pytest.mark.parametrize("kind", KINDS)
def test_grafana_foundation_sdk_round_trip_keeps_panels_targets_and_positions(
    rendered: dict, kind: str
) -> None:
    original = rendered[("profiles", kind)]
    model = Dashboard.from_json(original)
    back = json.loads(json.dumps(model, cls=JSONEncoder))
    assert back["uid"] == original["uid"] and back["schemaVersion"] == original["schemaVersion"]
    assert len(back["panels"]) == len(original["panels"])
    for before, after, parsed in zip(original["panels"], back["panels"], model.panels):
        assert after["type"] == before["type"]
        assert after["gridPos"] == before["gridPos"]
        assert after["id"] == before["id"]
        assert [t.get("expr") or t.get("query") for t in after["targets"]] == [
            t.get("expr") or t.get("query") for t in before["targets"]
        ]
        # Grafana's model picked the datasource-specific query type, not a generic fallback.
        plugin = before["datasource"]["type"]
        assert {type(t).__module__.rsplit(".", 1)[1] for t in parsed.targets} == {plugin}


@pytest.mark.parametrize("kind", KINDS)
def test_no_two_panels_overlap_and_all_fit_the_grid(rendered: dict, kind: str) -> None:
    cells: set[tuple[int, int]] = set()
    for panel in rendered[("profiles", kind)]["panels"]:
        pos = panel["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24
        mine = {
            (x, y)
            for x in range(pos["x"], pos["x"] + pos["w"])
            for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not cells & mine, panel["title"]
        cells |= mine


@pytest.mark.parametrize("kind", KINDS)
def test_every_variable_used_is_defined(rendered: dict, kind: str) -> None:
    data = rendered[("profiles", kind)]
    defined = {v["name"] for v in data["templating"]["list"]}
    assert variables_used(data) <= defined
    assert {"datasource", "loki_datasource", "tempo_datasource", "service"} <= defined


def test_service_variable_offers_the_spec_services_only(rendered: dict) -> None:
    service = next(
        v for v in rendered[("profiles", "oncall")]["templating"]["list"] if v["name"] == "service"
    )
    assert (service["type"], service["query"]) == ("custom", "profiles")
    assert service["current"]["value"] == "profiles"
    # Grafana derives a custom variable's options from its query on load; none are saved.
    assert service["options"] == []


def test_service_variable_lists_every_service_selected_by_the_same_label() -> None:
    data = yaml.safe_load(default_spec_text())
    other = {
        **data["services"][0],
        "name": "billing",
        "selector": {"label": "job", "value": "billing"},
    }
    odd = {**data["services"][0], "name": "legacy", "selector": {"label": "app", "value": "legacy"}}
    data["services"] += [other, odd]
    project = load_text(yaml.safe_dump(data), "three.yaml")
    rendered = dashboards(project)[0]
    (variable,) = [
        v for v in rendered[("billing", "oncall")]["templating"]["list"] if v["name"] == "service"
    ]
    assert variable["query"] == "profiles,billing" and variable["current"]["value"] == "billing"
    (variable,) = [
        v for v in rendered[("legacy", "oncall")]["templating"]["list"] if v["name"] == "service"
    ]
    assert variable["query"] == "legacy"


def test_datasource_variables_default_to_the_spec_uids(rendered: dict) -> None:
    current = {
        v["name"]: v["current"]["value"]
        for v in rendered[("profiles", "debug")]["templating"]["list"]
        if v["type"] == "datasource"
    }
    assert current == {
        "datasource": "prometheus",
        "loki_datasource": "loki",
        "tempo_datasource": "tempo",
    }


@pytest.mark.parametrize(
    "service, expected",
    [
        ("profiles", "obsgen-profiles-executive"),
        ("a-service-with-a-very-long-name-indeed", "obsgen-a-service-with-f3e5ec3c-executive"),
    ],
    ids=["a short name is spelled out", "a long name is shortened with a stable hash"],
)
def test_dashboard_uids(service: str, expected: str) -> None:
    uid = dashboard_uid(service, "executive")
    assert uid == expected and len(uid) <= UID_MAX
    assert dashboard_uid(service + "x", "executive") != uid


@pytest.mark.parametrize("kind", KINDS)
def test_panel_ids_follow_the_fixed_keys(rendered: dict, kind: str) -> None:
    ids = {p["id"] for p in rendered[("profiles", kind)]["panels"]}
    assert {panel_id(kind, key) for key in PANEL_KEYS[kind]} <= ids
    assert [panel_id(kind, key) for key in PANEL_KEYS[kind]] == list(
        range(1, len(PANEL_KEYS[kind]) + 1)
    )


def test_panel_ref_names_the_panel_alerts_link_to(rendered: dict, project: Any) -> None:
    ref = panel_ref("profiles", "oncall", "latency-p99")
    panel = next(p for p in rendered[("profiles", "oncall")]["panels"] if p["id"] == ref.panel_id)
    assert ref.uid == "obsgen-profiles-oncall" and panel["title"] == "P99 latency by route"
    url = panel_url(project, project.services[0], "oncall", "latency-p99")
    assert (
        url
        == f"http://localhost:3000/d/obsgen-profiles-oncall?var-service=profiles&viewPanel={ref.panel_id}"
    )


def test_panel_ref_rejects_an_unknown_panel() -> None:
    with pytest.raises(KeyError):
        panel_ref("profiles", "oncall", "no-such-panel")


def test_skipped_panels_do_not_move_the_others(rendered: dict, instrumentator_project: Any) -> None:
    other = dashboards(instrumentator_project)[0][("checkout", "oncall")]
    by_id = {p["id"]: p["title"] for p in rendered[("profiles", "oncall")]["panels"]}
    assert all(by_id[p["id"]] == p["title"] for p in other["panels"])


def test_instrumentator_preset_notes_every_skipped_panel(instrumentator_project: Any) -> None:
    data, notes = dashboards(instrumentator_project)
    assert any("'event-loop-lag' skipped" in n for n in notes)
    assert any("'db-query-duration' skipped" in n for n in notes)
    assert any("'Deploys' skipped" in n for n in notes)
    titles = {p["title"] for d in data.values() for p in d["panels"]}
    assert "Event-loop lag (P99)" not in titles and "CPU vs limit" in titles
    assert all("prometheus-fastapi-instrumentator" in n or "does not declare" in n for n in notes)
    assert any("'slow-traces' skipped: the spec does not declare traces: true" in n for n in notes)


def test_the_bundled_spec_skips_nothing(project: Any) -> None:
    assert dashboards(project)[1] == []


def test_dashboards_link_to_each_other_keeping_time_and_variables(rendered: dict) -> None:
    links = {kind: [l["url"] for l in rendered[("profiles", kind)]["links"]] for kind in KINDS}
    assert "/d/obsgen-profiles-oncall" in links["executive"]
    assert "/d/obsgen-profiles-debug" in links["oncall"]
    assert all(
        l["keepTime"] and l["includeVars"]
        for k in KINDS
        for l in rendered[("profiles", k)]["links"]
    )


def test_route_panels_link_to_debug_with_the_route_filled_in(rendered: dict) -> None:
    panel = next(
        p for p in rendered[("profiles", "oncall")]["panels"] if p["title"] == "5xx rate by route"
    )
    (link,) = panel["fieldConfig"]["defaults"]["links"]
    assert link["url"].startswith("/d/obsgen-profiles-debug?")
    assert "var-route=${__field.labels.http_route}" in link["url"]
    route = next(
        v for v in rendered[("profiles", "debug")]["templating"]["list"] if v["name"] == "route"
    )
    assert route["includeAll"] and route["allValue"] == ".*"


def test_heatmap_asks_for_exemplars_and_logs_and_traces_use_their_datasources(
    rendered: dict,
) -> None:
    panels = {p["title"]: p for p in rendered[("profiles", "debug")]["panels"]}
    heat = panels["Request latency distribution ($route)"]
    assert heat["type"] == "heatmap" and heat["targets"][0]["exemplar"] is True
    assert heat["targets"][0]["format"] == "heatmap"
    assert (
        panels["Logs ($level)"]["targets"][0]["expr"]
        == '{service_name="profiles"} | json | level=~"$level"'
    )
    assert (
        panels["Slow and failed traces"]["targets"][0]["query"]
        == '{resource.service.name="profiles" && (status=error || duration>250ms)}'
    )


def test_import_variant_asks_for_each_datasource(rendered: dict) -> None:
    data = import_variant(rendered[("profiles", "oncall")])
    assert {i["pluginId"] for i in data["__inputs"]} == {"prometheus", "loki", "tempo"}
    current = {
        v["name"]: v["current"]["value"]
        for v in data["templating"]["list"]
        if v["type"] == "datasource"
    }
    assert current["datasource"] == "${DS_PROMETHEUS}"
    assert "__inputs" not in rendered[("profiles", "oncall")]
