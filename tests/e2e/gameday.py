"""One game-day scenario: inject a fault, watch the pager, recover, watch the alerts resolve.

Expectations name the alerts a scenario must raise; SLO alerts are looked up in the generated
rules by their `slo` label (the fastest page tier), symptom alerts by name. Every name is
checked against the generated rules first, so a renamed or missing alert fails loudly instead
of being waited for in vain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from demo_service.loadgen.scenarios import ScenarioHandle, start_scenario
from obsgen.durations import parse_duration
from tests.e2e.stack import FAULT_TOKEN, Stack, wait_until
from tests.e2e.webhook import Delivery

RECOVERY_RPS = 10.0
INHIBITED = "inhibited"  # Outcome.receivers value: fired, muted by its SLO page in Alertmanager


@dataclass(frozen=True)
class Expectation:
    """What a scenario must do to the pager, and which other pages are its own consequence."""

    name: str
    must_fire: tuple[str, ...]  # symptom alert names
    must_fire_slos: tuple[str, ...] = ()  # SLOs whose fastest page tier must fire
    related_slos: tuple[str, ...] = ()  # every alert of these SLOs may fire too
    related: tuple[str, ...] = ()  # other alerts that may fire (consequences, not noise)
    # symptom pages that must fire in Prometheus yet never reach the pager: the SLO page that
    # explains them inhibits them in Alertmanager (one page per incident)
    inhibited: tuple[str, ...] = ()
    load: str | None = None  # loadgen scenario; None for target-down
    rps: float = 20.0
    max_fault_seconds: float = 50.0  # slowest seen: ~23 s (backlog, `for: 15m` → 15 s)
    max_reset_seconds: float = 45.0  # slowest seen: ~6 s


@dataclass
class Outcome:
    """Measured times for one scenario (seconds after the fault started / was undone)."""

    scenario: str
    detection: dict[str, float] = field(default_factory=dict)
    reset: dict[str, float] = field(default_factory=dict)
    receivers: dict[str, str] = field(default_factory=dict)
    other_alerts: dict[str, str] = field(default_factory=dict)  # name → receiver, related ones
    load: str = ""


def fastest_page(rules: dict[str, dict[str, Any]], slo: str) -> str:
    """The SLO's page alert with the shortest `for:` (the 1h/5m tier in the default policy)."""
    pages = [
        (parse_duration(str(r.get("for", "0s")), allow_zero=True) if r.get("for") else 0.0, name)
        for name, r in rules.items()
        if r.get("labels", {}).get("slo") == slo and r.get("labels", {}).get("severity") == "page"
    ]
    assert pages, f"no page alert is generated for SLO {slo!r}"
    return min(pages)[1]


def required_alerts(expectation: Expectation, rules: dict[str, dict[str, Any]]) -> list[str]:
    """The alerts that must reach the pager (the inhibited ones are checked apart)."""
    named = expectation.must_fire + expectation.related + expectation.inhibited
    missing = [name for name in named if name not in rules]
    assert not missing, f"{expectation.name}: alerts not generated: {missing}"
    return [fastest_page(rules, slo) for slo in expectation.must_fire_slos] + list(
        expectation.must_fire
    )


def allowed_alerts(expectation: Expectation, rules: dict[str, dict[str, Any]]) -> set[str]:
    related = {
        name
        for name, r in rules.items()
        if r.get("labels", {}).get("slo") in expectation.related_slos
    }
    named = set(expectation.related) | set(expectation.inhibited)
    return related | named | set(required_alerts(expectation, rules))


def severity_of(rules: dict[str, dict[str, Any]], name: str) -> str:
    return str(rules[name]["labels"]["severity"])


def _firsts(deliveries: list[Delivery], status: str) -> dict[str, Delivery]:
    first: dict[str, Delivery] = {}
    for delivery in deliveries:
        if delivery.status == status and delivery.alertname not in first:
            first[delivery.alertname] = delivery
    return first


def traffic(stack: Stack, scenario: str, duration: float, rps: float) -> ScenarioHandle:
    return start_scenario(
        stack.service.url, scenario, duration, rps=rps, fault_token=FAULT_TOKEN, seed=7
    )


def quiet_pages(stack: Stack, rules: dict[str, dict[str, Any]], timeout: float = 45.0) -> list[str]:
    """Wait until no page alert is pending or firing in Prometheus; returns those left."""

    def pages() -> list[str]:
        return sorted(
            {
                a["labels"]["alertname"]
                for a in stack.alerts()
                if a["labels"].get("severity") == "page"
            }
        )

    handle = traffic(stack, "healthy", timeout, RECOVERY_RPS)
    try:
        left = wait_until(lambda: not pages() or None, timeout, 1.0)
        return [] if left else pages()
    finally:
        handle.stop()
        handle.result(30)


def run(
    stack: Stack,
    expectation: Expectation,
    inject: Callable[[], Any] | None = None,
    undo: Callable[[], Any] | None = None,
) -> tuple[Outcome, list[Delivery]]:
    """Fault until every required alert reached the webhook firing (bounded), then recover."""
    rules = stack.artifacts.alert_rules()
    required = required_alerts(expectation, rules)
    outcome = Outcome(expectation.name)
    start = time.time()
    handle = None
    if expectation.load is not None:
        handle = traffic(stack, expectation.load, expectation.max_fault_seconds, expectation.rps)
    if inject is not None:
        inject()

    muted: dict[str, float] = {}

    def detected() -> bool:
        fired = _firsts(stack.webhook.since(start), "firing")
        if expectation.inhibited:
            now = time.time()
            for name in (stack.firing() & stack.inhibited()) - muted.keys():
                muted[name] = now - start
        return all(name in fired for name in required) and muted.keys() >= set(
            expectation.inhibited
        )

    try:
        wait_until(detected, expectation.max_fault_seconds, 0.5)
    finally:
        # The fault's load stops here, and with it what it drives (pool waiters, errors): on a
        # busy machine stopping the load generator takes seconds, and an alert can resolve
        # before the fault flag is cleared. Resets count from here for load scenarios.
        stopping = time.time()
        if handle is not None:
            handle.stop()
            summary = handle.result(60)
            outcome.load = summary.line()
        if undo is not None:
            undo()
    recovered = stopping if handle is not None else time.time()
    healthy = traffic(stack, "healthy", expectation.max_reset_seconds, RECOVERY_RPS)

    quiet: dict[str, float] = {}

    def resolved() -> bool:
        done = _firsts(stack.webhook.since(recovered), "resolved")
        if expectation.inhibited:
            now = time.time()
            for name in set(expectation.inhibited) - stack.firing() - quiet.keys():
                quiet[name] = now - recovered
        return all(name in done for name in required) and quiet.keys() >= set(expectation.inhibited)

    try:
        wait_until(resolved, expectation.max_reset_seconds, 0.5)
    finally:
        healthy.stop()
        healthy.result(30)
    deliveries = stack.webhook.since(start)
    fired = _firsts(deliveries, "firing")
    cleared = _firsts(stack.webhook.since(recovered), "resolved")
    for name in required:
        if name in fired:
            outcome.detection[name] = fired[name].received - start
            outcome.receivers[name] = fired[name].path
        if name in cleared:
            outcome.reset[name] = cleared[name].received - recovered
    for name in expectation.inhibited:
        if name in muted:
            outcome.detection[name] = muted[name]
            outcome.receivers[name] = INHIBITED
        if name in quiet:
            outcome.reset[name] = quiet[name]
    outcome.other_alerts = {
        name: d.path
        for name, d in fired.items()  # started here, not left over
        if name not in required and name not in expectation.inhibited and d.starts_at >= start - 1
    }
    return outcome, deliveries
