"""`obsgen verify --alertmanager`: live routing of page/ticket alerts, on a real Alertmanager."""

from __future__ import annotations

from pathlib import Path

import yaml

from obsgen.build import build
from obsgen.spec import load_file
from obsgen.verify.alertmanager import check, receivers_for
from obsgen.verify.backends import Http
from obsgen.verify.collect import scopes
from obsgen.verify.run import DATA, ERROR
from tests.harness.processes import alertmanager, free_port


def _generated() -> bytes:
    return build(load_file(None)).tree["alertmanager/alertmanager.yml"]


def test_route_tree_walk_follows_matchers_order_and_continue() -> None:
    route = {
        "receiver": "default",
        "routes": [
            {"receiver": "a", "matchers": ['severity="page"'], "continue": True},
            {"receiver": "b", "match_re": {"severity": "page|ticket"}},
            {"receiver": "c", "matchers": ['severity!~"page"']},
        ],
    }
    assert receivers_for(route, {"severity": "page"}) == ["a", "b"]
    assert receivers_for(route, {"severity": "ticket"}) == ["b"]
    assert receivers_for(route, {"severity": "info"}) == ["c"]
    assert receivers_for({"receiver": "default"}, {"severity": "page"}) == ["default"]


def test_generated_config_routes_as_generated(tmp_path: Path) -> None:
    project = load_file(None)
    with alertmanager(tmp_path / "am", _generated().decode()) as am:
        results = check(scopes(project), _generated(), Http(am.url))
    assert [r.status for r in results] == [DATA, DATA], results
    assert "routed to page" in results[0].detail and "routed to ticket" in results[1].detail


def test_a_config_that_pages_nobody_is_an_error(tmp_path: Path) -> None:
    everything_to_tickets = yaml.safe_dump(
        {"route": {"receiver": "ticket"}, "receivers": [{"name": "ticket"}]}
    )
    with alertmanager(tmp_path / "am", everything_to_tickets) as am:
        results = check(scopes(load_file(None)), _generated(), Http(am.url))
    page = [r for r in results if "severity=page" in r.item]
    assert [r.status for r in page] == [ERROR]
    assert "routed to ticket, the generated config routes to page" in page[0].detail


def test_unreachable_alertmanager_is_one_error() -> None:
    results = check(
        scopes(load_file(None)), _generated(), Http(f"http://127.0.0.1:{free_port()}", timeout=2)
    )
    assert [r.status for r in results] == [ERROR]
