"""A full outage in real time: the generated rules as they are, paging fast, once, never after.

The compressed game day (test_gameday.py) divides every window by 60; this module does not.
Prometheus scrapes the demo service and evaluates the uncompressed rules every 10 s (as
stack/prometheus does), Alertmanager runs the generated config (its group_wait; group_interval
cut to 30 s so that every update a pager would get arrives while we watch). After a short
healthy history the demo service answers every API request with a 500; the page is measured at
the webhook and compared with alerts.timing's prediction for the history Prometheus actually had.
What remains is the pipeline's own delay (scrape, rule evaluation, a new 5xx series needing two
samples, group_wait), which production adds on top of the Workbook's 52 s.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alerts.slo_alerts import alert_name
from alerts.timing import detection_seconds, human
from obsgen.model import Slo, SloKind, Tier
from obsgen.queries.slo import tier_burn_rate
from tests.e2e.gameday import traffic
from tests.e2e.stack import FAULT_TOKEN, REALTIME, Stack, gameday_stack, keep_logs, wait_until
from tests.e2e.webhook import Delivery

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e-realtime"
RPS = 20.0
HISTORY_SECONDS = 60.0  # healthy traffic before the outage (production would have 1h and more)
PAGE_TIMEOUT = 180.0  # the budget the issue sets for production; with a short history it is ample
KEEP_OUTAGE = 40.0  # after the first page: page-slow and the tickets join while errors arrive
WATCH_SECONDS = 120.0  # after recovery: four group_intervals, twelve evaluations
BUDGET_SECONDS = 180.0  # a full outage must page within 3 minutes with 1h of healthy history


@dataclass
class Incident:
    history: float  # seconds of healthy samples Prometheus had when the outage began
    onset: float
    recovered: float
    deliveries: list[Delivery]
    page: Delivery | None


def _faults(stack: Stack, changes: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{stack.service.url}/admin/faults",
        data=json.dumps(changes).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {FAULT_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _history_seconds(stack: Stack) -> float:
    """Seconds between the first scrape of the service and now, from Prometheus' own samples."""
    found = stack.prometheus.query('time() - min_over_time(timestamp(up{job="profiles"})[1h:1s])')
    return float(found[0]["value"][1]) if found else 0.0  # type: ignore[index]


def _slo(stack: Stack, kind: SloKind) -> Slo:
    return next(s for s in stack.artifacts.project.services[0].slos if s.kind is kind)


def _fast_page(stack: Stack) -> Tier:
    return next(t for t in stack.artifacts.project.alerting.tiers if t.name == "page-fast")


def _page_name(stack: Stack) -> str:
    return alert_name(_slo(stack, SloKind.AVAILABILITY), _fast_page(stack))


@pytest.fixture(scope="module")
def incident(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Incident]]:
    workdir = tmp_path_factory.mktemp("realtime")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    failed_before = request.session.testsfailed
    with gameday_stack(workdir, REALTIME) as stack:
        load = traffic(stack, "healthy", 3600.0, RPS)
        try:
            ready = wait_until(
                lambda: stack.prometheus.query('slo:sli_requests:rate5m{slo="availability"} > 0'),
                90.0,
                2.0,
            )
            assert ready, "no recorded request rate after 90 s of scrapes"
            time.sleep(max(0.0, HISTORY_SECONDS - _history_seconds(stack)))
            history = _history_seconds(stack)
            onset = time.time()
            _faults(stack, {"error_rate": 1.0})
            name = _page_name(stack)

            def paged() -> Delivery | None:
                return next(
                    (
                        d
                        for d in stack.webhook.since(onset)
                        if d.alertname == name and d.status == "firing"
                    ),
                    None,
                )

            page = wait_until(paged, PAGE_TIMEOUT, 0.2)
            if page is not None:
                time.sleep(KEEP_OUTAGE)
            _faults(stack, {"error_rate": 0.0})
            recovered = time.time()
            time.sleep(WATCH_SECONDS)
        finally:
            load.stop()
            load.result(30)
        outcome = Incident(history, onset, recovered, stack.webhook.since(0.0), page)
        yield stack, outcome
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "deliveries.txt").write_text(_report(stack, outcome))
        print("\n" + _report(stack, outcome))
        if request.session.testsfailed > failed_before:
            keep_logs(workdir, ARTIFACTS / "logs")


def _prediction(stack: Stack, history: float) -> float:
    slo, tier = _slo(stack, SloKind.AVAILABILITY), _fast_page(stack)
    threshold = tier_burn_rate(slo, tier) * slo.error_budget_ratio
    predicted = detection_seconds(tier, threshold, 1.0, history)
    assert predicted is not None
    return predicted


def _report(stack: Stack, incident: Incident) -> str:
    lines = [
        f"history {incident.history:.0f} s; outage {incident.recovered - incident.onset:.0f} s"
    ]
    if incident.page is not None:
        measured = incident.page.received - incident.onset
        predicted = _prediction(stack, incident.history)
        production = _prediction(stack, float("inf")) + measured - predicted
        lines.append(
            f"page after {measured:.1f} s (predicted {predicted:.1f} s for that history: pipeline "
            f"{measured - predicted:.1f} s); with 1h of history: {production:.1f} s "
            f"({human(production)})"
        )
    for d in incident.deliveries:
        lines.append(
            f"{d.received - incident.onset:+7.1f} s  {d.path:6} {d.status:8} {d.alertname} "
            f"group={d.group_key}"
        )
    return "\n".join(lines)


def test_a_full_outage_pages_within_three_minutes_of_production_time(
    incident: tuple[Stack, Incident],
) -> None:
    stack, outcome = incident
    assert outcome.page is not None, f"no page within {PAGE_TIMEOUT:.0f} s of a full outage"
    assert outcome.page.path == "page"
    measured = outcome.page.received - outcome.onset
    pipeline = measured - _prediction(stack, outcome.history)
    production = _prediction(stack, float("inf")) + pipeline
    assert pipeline > 0, f"paged {measured:.1f} s in, before the windows could cross"
    assert production <= BUDGET_SECONDS, (
        f"with 1h of healthy history the page would take {production:.0f} s: "
        f"{_prediction(stack, float('inf')):.0f} s of burn plus {pipeline:.0f} s of pipeline"
    )


def test_the_outage_reaches_the_pager_as_one_notification_group(
    incident: tuple[Stack, Incident],
) -> None:
    _, outcome = incident
    pages = [d for d in outcome.deliveries if d.path == "page" and d.status == "firing"]
    assert pages, "no page at all"
    groups = {d.group_key for d in pages}
    assert len(groups) == 1, f"one incident, {len(groups)} page groups: {sorted(groups)}"
    assert {d.labels.get("slo") for d in pages} == {"availability"}


def test_no_page_is_first_sent_after_recovery(incident: tuple[Stack, Incident]) -> None:
    _, outcome = incident
    pages = [d for d in outcome.deliveries if d.path == "page" and d.status == "firing"]
    before = [d for d in pages if d.received < outcome.recovered]
    after = [d for d in pages if d.received >= outcome.recovered]
    known = {(d.group_key, tuple(sorted(d.labels.items()))) for d in before}
    new = [
        f"{d.alertname} +{d.received - outcome.recovered:.0f} s"
        for d in after
        if (d.group_key, tuple(sorted(d.labels.items()))) not in known
    ]
    assert before, "nothing was paged during the incident"
    assert not new, f"pages first sent after recovery: {new}"
