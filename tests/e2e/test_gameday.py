"""The game day: generated rules and routing on real Prometheus + Alertmanager, real faults.

Runs in file order on one stack (module fixture): healthy baseline and `obsgen verify`, the
random-URL flood, each fault scenario, then target down. See README.md, "Checking it end to end".
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from obsgen.cli import main
from tests.e2e.gameday import (
    INHIBITED,
    Expectation,
    Outcome,
    allowed_alerts,
    quiet_pages,
    required_alerts,
    run,
    severity_of,
    traffic,
)
from tests.e2e.stack import Stack
from tests.e2e.webhook import Delivery

pytestmark = pytest.mark.e2e

HEALTHY_SECONDS = 60.0  # with 60x compression: an hour of production time on every window
SERIES = 'count({job="profiles"})'

SCENARIOS = (
    # Every route fails or slows: the SLO page is the one page; the symptom it explains fires
    # in Prometheus and stays muted in Alertmanager.
    Expectation(
        "error-spike",
        (),
        must_fire_slos=("availability",),
        related_slos=("availability",),
        inhibited=("RouteErrorRatioHigh",),
        load="error-spike",
    ),
    Expectation(
        "latency-spike",
        (),
        must_fire_slos=("latency",),
        related_slos=("latency",),
        inhibited=("LatencyP99High",),
        load="latency-spike",
    ),
    # The scenario blocks the loop on a fraction of requests: at 20 req/s it lags, yet the
    # service still answers scrapes (a saturated loop would page TargetDown instead).
    Expectation(
        "loop-block",
        ("EventLoopLagHigh",),
        related_slos=("latency",),
        related=("LatencyP99High",),
        load="loop-block",
    ),
    Expectation(
        "db-outage",
        ("DbPoolWaiters",),
        must_fire_slos=("availability",),
        related_slos=("availability", "latency"),
        related=("RouteErrorRatioHigh", "LatencyP99High", "DbPoolSaturated"),
        load="db-outage",
        rps=30.0,
    ),
    Expectation("backlog", ("BackgroundQueueBacklog",), load="backlog"),
)


def test_healthy_load_fires_no_alert_and_notifies_nobody(stack: Stack) -> None:
    # Judged by what fires and what reaches the receivers: a pending alert (a condition
    # that has not yet held for its `for:`) notifies nobody, and on a loaded machine a few slow
    # requests in a compressed 5 s window can make one pending for a moment.
    start = time.time()
    handle = traffic(stack, "healthy", HEALTHY_SECONDS, 10.0)
    seen: set[str] = set()
    while time.time() - start < HEALTHY_SECONDS:
        seen.update(stack.firing())
        time.sleep(1.0)
    summary = handle.result(60)
    partial = stack.young_tickets()
    assert summary.count("2") > HEALTHY_SECONDS * 5, f"healthy load did not run: {summary.line()}"
    assert not seen - partial, f"alerts fired under healthy load: {sorted(seen - partial)}"
    notified = [d.alertname for d in stack.webhook.since(start) if d.alertname not in partial]
    assert not notified, f"Alertmanager notified under healthy load: {notified}"
    held = {
        str(labels.get("alertname"))
        for a in stack.alertmanager.alerts()
        if isinstance(labels := a.get("labels"), dict)
    }
    assert not held - partial, f"Alertmanager holds alerts under healthy load: {held - partial}"


def test_verify_passes_for_every_prometheus_query_and_rule(stack: Stack) -> None:
    handle = traffic(stack, "healthy", 30.0, 10.0)  # rates need fresh samples while verify runs
    try:
        result = CliRunner().invoke(
            main,
            [
                "verify",
                "-c",
                str(stack.artifacts.out_dir / "gameday.yaml"),
                "--prometheus",
                stack.prometheus.url,
                "--rate-interval",
                "1m",
                "--alertmanager",
                stack.alertmanager.url,
                "--json",
            ],
        )
    finally:
        handle.stop()
        handle.result(30)
    report = json.loads(result.output)
    prometheus = [r for r in report["results"] if r["backend"] == "prometheus"]
    failures = [r for r in prometheus if r["status"] in ("no data", "error")]
    assert not failures, "verify failures:\n" + "\n".join(
        f"{r['source']} / {r['item']}: {r['status']}: {r['detail']}" for r in failures
    )
    others = [
        f"{r['backend']} {r['source']} / {r['item']}: {r['status']}: {r['detail']}"
        for r in report["results"]
        if r["status"] in ("no data", "error")
    ]
    assert result.exit_code == 0, (
        f"verify exit {result.exit_code}: {others or result.output[:2000]}"
    )
    rules = sum(1 for path in stack.artifacts.rule_files() for _ in _rules(stack, path))
    health = [
        r
        for r in prometheus  # rule-group health rows name the file Prometheus loaded
        if r["source"].endswith(".yaml") and not r["source"].startswith("prometheus/rules/")
    ]
    assert len(health) == rules, f"rule health covers {len(health)} of {rules} rules"
    assert all(r["detail"].startswith("ok") for r in health), health
    queried = [r for r in prometheus if r["source"].startswith("prometheus/rules/")]
    assert len(queried) == rules, f"verify ran {len(queried)} of {rules} rule expressions"
    panels = [
        r for r in report["results"] if r["source"] not in {q["source"] for q in queried + health}
    ]
    assert any(r["backend"] == "prometheus" for r in panels), "verify ran no dashboard panel query"
    routing = [r for r in report["results"] if r["backend"] == "alertmanager"]
    assert [r["status"] for r in routing] == ["data", "data"], routing


def _rules(stack: Stack, path: str) -> list[str]:
    return [
        r.get("alert") or r["record"]
        for g in yaml.safe_load(stack.artifacts.tree[path])["groups"]
        for r in g["rules"]
    ]


def _query(stack: Stack, expr: str) -> list[dict[str, Any]]:
    return [dict(sample) for sample in stack.prometheus.query(expr)]


def _routes(stack: Stack) -> set[str]:
    expr = 'count by (http_route) (http_server_request_duration_seconds_count{job="profiles"})'
    return {str(r["metric"].get("http_route", "")) for r in _query(stack, expr)}


def _series(stack: Stack) -> int:
    return int(float(_query(stack, SERIES)[0]["value"][1]))


def test_random_url_flood_adds_no_series(stack: Stack) -> None:
    traffic(stack, "random-urls", 3.0, 20.0).result(30)  # the one `unmatched` route exists first
    time.sleep(3)
    before, routes_before = _series(stack), _routes(stack)
    flood = traffic(stack, "random-urls", 15.0, 60.0).result(60)
    time.sleep(3)  # three scrapes
    after, routes_after = _series(stack), _routes(stack)
    assert flood.count("404") > 500, f"the flood did not reach the service: {flood.line()}"
    assert after == before, f"series on Prometheus went from {before} to {after} during the flood"
    assert routes_after == routes_before, f"new routes: {routes_after - routes_before}"
    raw = [r for r in routes_after if re.search(r"[0-9a-f]{32}", r)]
    assert not raw, f"raw paths used as route labels: {raw[:3]}"


def _check(
    stack: Stack,
    expectation: Expectation,
    outcome: Outcome,
    deliveries: list[Delivery],
    start: float,
) -> None:
    rules = stack.artifacts.alert_rules()
    required = required_alerts(expectation, rules)
    allowed = allowed_alerts(expectation, rules)
    missing = [name for name in required if name not in outcome.detection]
    assert not missing, (
        f"{expectation.name}: never reached the pager: {missing}; load {outcome.load}"
    )
    for name in required:
        assert outcome.receivers[name] == severity_of(rules, name), (
            f"{name} (severity {severity_of(rules, name)}) delivered to {outcome.receivers[name]}"
        )
    misrouted = [
        (d.alertname, d.labels.get("severity"), d.path)
        for d in deliveries
        if d.labels.get("severity") != d.path
    ]
    assert not misrouted, f"alerts delivered to the wrong receiver: {misrouted}"
    new_pages = {
        d.alertname
        for d in deliveries
        if d.path == "page" and d.status == "firing" and d.starts_at >= start - 1
    }
    assert not new_pages - allowed, (
        f"{expectation.name}: unrelated pages fired: {new_pages - allowed}"
    )
    for name in expectation.inhibited:
        assert outcome.receivers.get(name) == INHIBITED, (
            f"{expectation.name}: {name} never fired muted by its SLO page: {outcome.receivers}"
        )
    delivered = {d.alertname for d in deliveries if d.status == "firing"}
    leaked = delivered & set(expectation.inhibited)
    assert not leaked, f"{expectation.name}: explained symptoms reached the pager: {leaked}"
    unresolved = [name for name in [*required, *expectation.inhibited] if name not in outcome.reset]
    assert not unresolved, f"{expectation.name}: did not resolve after recovery: {unresolved}"


@pytest.mark.parametrize("expectation", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_pages_the_right_receiver_and_resolves(
    stack: Stack, outcomes: list[Outcome], expectation: Expectation
) -> None:
    rules = stack.artifacts.alert_rules()
    assert not quiet_pages(stack, rules), "pages still firing from the previous scenario"
    active = {a["labels"]["alertname"] for a in stack.alerts()}
    assert not active & set(required_alerts(expectation, rules)), f"already active: {active}"
    start = time.time()
    outcome, deliveries = run(stack, expectation)
    outcomes.append(outcome)
    _check(stack, expectation, outcome, deliveries, start)


def test_target_down_pages_and_resolves_after_restart(
    stack: Stack, outcomes: list[Outcome]
) -> None:
    expectation = Expectation("target-down", ("TargetDown",))
    rules = stack.artifacts.alert_rules()
    assert not quiet_pages(stack, rules), "pages still firing from the previous scenario"
    start = time.time()
    outcome, deliveries = run(
        stack,
        expectation,
        inject=stack.service.stop,
        undo=lambda: stack.service.start(stack.webhook.url),
    )
    outcomes.append(outcome)
    _check(stack, expectation, outcome, deliveries, start)
