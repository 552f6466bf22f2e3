"""Dashboards follow the spec's settings, never a number or label written into the renderer."""

from __future__ import annotations

from typing import Any

import yaml

from dashboards.ids import panel_id
from dashboards.render import dashboards, datasources
from obsgen.model import Project
from obsgen.spec import default_spec_text, load_text


def _demo_with(change: dict[str, Any]) -> Project:
    """The bundled spec with ``change`` merged into its only service."""
    data = yaml.safe_load(default_spec_text())
    data["services"][0].update(change)
    return load_text(yaml.safe_dump(data), "changed.yaml")


def _panel(project: Project, kind: str, key: str) -> dict[str, Any]:
    rendered = dashboards(project)[0][(project.services[0].name, kind)]
    return next(p for p in rendered["panels"] if p["id"] == panel_id(kind, key))


def _red_step(panel: dict[str, Any]) -> float:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return float(next(s["value"] for s in steps if s["color"] == "red"))


def test_traces_to_metrics_maps_the_service_to_the_spec_selector_label() -> None:
    project = _demo_with({"selector": {"label": "app", "value": "profiles"}})
    tempo = next(d for d in datasources(project)["datasources"] if d["type"] == "tempo")
    assert tempo["jsonData"]["tracesToMetrics"]["tags"] == [{"key": "service.name", "value": "app"}]


def test_db_pool_panel_draws_the_spec_threshold() -> None:
    project = _demo_with({"thresholds": {"db_pool_ratio": 0.75}})
    assert _red_step(_panel(project, "oncall", "db-pool-usage")) == 0.75


def test_burn_rate_panel_marks_the_fast_page_rate_of_a_28_day_slo() -> None:
    data = yaml.safe_load(default_spec_text())
    for slo in data["services"][0]["slos"]:
        slo["period"] = "28d"
    project = load_text(yaml.safe_dump(data), "28d.yaml")
    panel = _panel(project, "executive", "burn-rate")
    # The Workbook's fast page spends 2% of the budget in 1h: 0.02 * 28 days * 24 h.
    assert _red_step(panel) == round(0.02 * 28 * 24, 4) == 13.44
    assert "13.44 (1h)" in panel["description"] and "14.4" not in panel["description"]
