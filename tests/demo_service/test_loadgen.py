"""Each load scenario moves the metrics its alert or panel watches, then undoes its faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from demo_service.faults import Faults
from demo_service.loadgen import SCENARIOS, UnsafeTarget, run_scenario, start_scenario
from demo_service.loadgen.__main__ import main as loadgen_main
from obsgen.conventions import DEMO_SERVICE, OTEL
from tests.demo_service.conftest import TOKEN

RT = DEMO_SERVICE.runtime


def total(svc: Any, name: str, **match: str) -> float:
    """Sum of every sample called ``name`` whose labels include ``match``."""
    return sum(
        s.value
        for fam in svc.registry.collect()
        for s in fam.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in match.items())
    )


def over(svc: Any, hist: str, le: str, **match: str) -> float:
    return total(svc, f"{hist}_count", **match) - total(svc, f"{hist}_bucket", le=le, **match)


CASES: dict[str, Callable[[Any], bool]] = {
    "healthy": lambda s: (
        total(s, OTEL.count()) >= 20
        and total(s, OTEL.count(), http_response_status_code="500") == 0
    ),
    "error-spike": lambda s: total(s, OTEL.count(), http_response_status_code="500") >= 3,
    "latency-spike": lambda s: (
        over(s, OTEL.duration_histogram, "0.5", http_route="/profiles/{profile_id}") >= 3
    ),
    "loop-block": lambda s: over(s, RT.event_loop_lag, "0.1") >= 1,
    "db-outage": lambda s: (
        total(s, OTEL.count(), http_response_status_code="503") >= 3
        and over(s, RT.db_connection_wait_time, "0.1") >= 1
    ),
    "backlog": lambda s: total(s, RT.jobs, outcome="dropped") >= 1,
    "random-urls": lambda s: total(s, OTEL.count(), http_route=OTEL.unmatched_route) >= 20,
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_moves_its_metrics_and_restores_faults(scenario, start_service):
    svc = start_service(
        {
            "DEMO_FAULT_TOKEN": TOKEN,
            "DEMO_QUEUE_CAPACITY": "5",
            "DEMO_DB_POOL_SIZE": "2",
            "DEMO_DB_ACQUIRE_TIMEOUT": "0.2",
        }
    )
    before = CASES[scenario](svc)
    summary = asyncio.run(
        run_scenario(svc.url, scenario, duration=1.2, rps=40, fault_token=TOKEN, seed=1)
    )
    assert summary.requests >= 10 and summary.count("error") == 0
    assert not before and CASES[scenario](svc), f"{scenario} did not move its metrics"
    faults = httpx.get(f"{svc.url}/admin/faults", headers={"Authorization": f"Bearer {TOKEN}"})
    assert faults.json() == Faults().as_dict()
    assert not svc.app.state.runtime.faults.active, "faults must be restored afterwards"


def test_random_urls_flood_adds_no_series(start_service):
    svc = start_service()
    asyncio.run(run_scenario(svc.url, "healthy", duration=0.5, rps=40, seed=2))
    series = {
        (s.name, tuple(sorted(s.labels.items())))
        for fam in svc.registry.collect()
        for s in fam.samples
    }
    asyncio.run(run_scenario(svc.url, "random-urls", duration=1.0, rps=60, seed=3))
    after = {
        (s.name, tuple(sorted(s.labels.items())))
        for fam in svc.registry.collect()
        for s in fam.samples
    }
    new = {s for s in after - series if s[0].startswith(OTEL.duration_histogram)}
    assert all(dict(labels)[OTEL.route_label] == OTEL.unmatched_route for _, labels in new)
    assert len({dict(l)[OTEL.status_label] for _, l in new}) <= 1  # just the one 404 set


def test_threaded_handle_stops_early_and_reports(start_service):
    svc = start_service()
    handle = start_scenario(svc.url, "healthy", duration=30, rps=20)
    import time

    time.sleep(0.5)
    handle.stop()
    summary = handle.result(timeout=10)
    assert 1 <= summary.requests < 100


def test_refuses_non_loopback_targets_and_faults_without_a_token(start_service):
    with pytest.raises(UnsafeTarget):
        asyncio.run(run_scenario("http://10.1.2.3:8000", "healthy", duration=1))
    svc = start_service({"DEMO_FAULT_TOKEN": TOKEN})
    with pytest.raises(ValueError, match="token"):
        asyncio.run(run_scenario(svc.url, "error-spike", duration=1))
    with pytest.raises(ValueError, match="duration"):
        asyncio.run(run_scenario(svc.url, "healthy", duration=10**6))
    assert total(svc, OTEL.count(), http_route="/profiles") == 0  # nothing was sent


def test_cli_prints_progress_and_summary(start_service, capsys):
    svc = start_service()
    code = loadgen_main(
        ["--url", svc.url, "--rps", "30", "--duration", "1.5", "--scenario", "healthy"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "[" in out.splitlines()[1] and "req" in out  # a progress line
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("summary") and "p95=" in summary and "p99=" in summary
    assert loadgen_main(["--url", "http://10.1.2.3:1", "--duration", "1"]) == 2
