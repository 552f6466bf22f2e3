"""Every alert's dashboard_url opens a panel that exists, on a dashboard the build writes."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from obsgen.build import build
from obsgen.spec import load_file
from tests.harness import specs

SPECS = [None, specs.INSTRUMENTATOR_SPEC]


@pytest.mark.parametrize("spec", SPECS, ids=["demo", "instrumentator"])
def test_every_alert_links_to_an_existing_panel_of_a_generated_dashboard(spec: Path | None) -> None:
    tree = build(load_file(spec)).tree
    panels: dict[str, set[int]] = {}
    for path, content in tree.items():
        if path.startswith("dashboards/"):
            dashboard = json.loads(content)
            panels[dashboard["uid"]] = {p["id"] for p in dashboard["panels"]}
    alerts = [
        rule
        for path, content in tree.items()
        if path.endswith(".alerts.yaml")
        for group in yaml.safe_load(content)["groups"]
        for rule in group["rules"]
    ]
    assert alerts
    for alert in alerts:
        url = urlparse(alert["annotations"]["dashboard_url"])
        uid = url.path.rsplit("/", 1)[-1]
        assert uid in panels, f"{alert['alert']}: no dashboard {uid}"
        (panel,) = parse_qs(url.query)["viewPanel"]
        assert int(panel) in panels[uid], f"{alert['alert']}: no panel {panel} on {uid}"
