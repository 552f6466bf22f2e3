"""Named scenarios: a fault setting plus a traffic mix, run for a bounded time, then undone.

The game day imports these: ``await run_scenario(url, "db-outage", duration=60, rps=20,
fault_token=...)`` or, from synchronous code, ``start_scenario(...)`` in a thread.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from demo_service.loadgen.traffic import (
    MIXED,
    RANDOM_URLS,
    WRITE_HEAVY,
    Request,
    Summary,
    run_traffic,
)
from demo_service.redact import redact_url

MAX_DURATION = 3600.0
MAX_RPS = 1000.0


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: dict[str, Any]
    mix: tuple[tuple[Request, int], ...]
    signal: str  # what the dashboards/alerts should show; printed with the summary


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("healthy", {}, MIXED, "baseline: SLIs green, no alert"),
        Scenario("error-spike", {"error_rate": 0.3}, MIXED, "5xx ratio ~30%: burn-rate pages"),
        Scenario(
            "latency-spike", {"latency_seconds": 0.6}, MIXED, "p95/p99 above 0.5 s: latency SLO"
        ),
        Scenario(
            "loop-block",
            {"loop_block_seconds": 0.3, "loop_block_rate": 0.05},
            MIXED,
            "event-loop lag ~0.3 s, p99 latency (F1)",
        ),
        Scenario(
            "db-outage",
            {"db_outage": True, "db_outage_hang_seconds": 0.3},
            MIXED,
            "503s, pool in use = max, waiters (F2)",
        ),
        Scenario(
            "backlog", {"slow_queue_seconds": 0.5}, WRITE_HEAVY, "queue depth to capacity, drops"
        ),
        Scenario("random-urls", {}, RANDOM_URLS, "404 flood on one `unmatched` series"),
    )
}


class UnsafeTarget(ValueError):
    """Load aimed somewhere other than this machine without an explicit opt-in."""


def check_target(url: str, allow_remote: bool) -> None:
    """Refuse non-loopback targets unless ``allow_remote``: a load tool must not surprise."""
    host = urlsplit(url).hostname
    if not host:
        raise UnsafeTarget(f"not an absolute URL: {redact_url(url)!r}")
    if allow_remote:
        return
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise UnsafeTarget(f"cannot resolve {host!r}: {exc}") from exc
    if not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise UnsafeTarget(f"{host} is not a loopback address; pass --allow-remote to target it")


async def _set_faults(client: httpx.AsyncClient, token: str | None, faults: dict[str, Any]) -> Any:
    if not faults:
        return None
    if not token:
        raise ValueError("this scenario injects faults: a fault token is required")
    auth = {"Authorization": f"Bearer {token}"}
    before = (await client.get("/admin/faults", headers=auth)).raise_for_status().json()
    (await client.put("/admin/faults", json=faults, headers=auth)).raise_for_status()
    return before


async def _restore(client: httpx.AsyncClient, token: str | None, before: Any) -> None:
    if before is None or not token:
        return
    auth = {"Authorization": f"Bearer {token}"}
    (await client.put("/admin/faults", json=before, headers=auth)).raise_for_status()


async def run_scenario(
    url: str,
    scenario: str,
    duration: float,
    rps: float = 20.0,
    *,
    fault_token: str | None = None,
    allow_remote: bool = False,
    stop: threading.Event | None = None,
    progress: Callable[[Summary], None] | None = None,
    seed: int | None = None,
) -> Summary:
    """Set the scenario's faults, send traffic, and always put the faults back as they were."""
    spec = SCENARIOS.get(scenario)
    if spec is None:
        raise ValueError(f"unknown scenario {scenario!r}; one of: {', '.join(SCENARIOS)}")
    if not 0 < duration <= MAX_DURATION or not 0 < rps <= MAX_RPS:
        raise ValueError(f"duration must be in (0, {MAX_DURATION}] s and rps in (0, {MAX_RPS}]")
    check_target(url, allow_remote)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    summary = Summary(scenario=scenario)
    async with httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits) as client:
        before = await _set_faults(client, fault_token, spec.faults)
        try:
            await run_traffic(
                client, spec.mix, rps, duration, summary, stop=stop, progress=progress, seed=seed
            )
        finally:
            await _restore(client, fault_token, before)
    return summary


class ScenarioHandle:
    """A scenario running in its own thread (for synchronous callers such as pytest)."""

    def __init__(self, **kwargs: Any) -> None:
        self._stop = threading.Event()
        self._result: Summary | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, kwargs=kwargs, daemon=True)
        self._thread.start()

    def _run(self, **kwargs: Any) -> None:
        try:
            self._result = asyncio.run(run_scenario(stop=self._stop, **kwargs))
        except BaseException as exc:  # noqa: BLE001 -- re-raised in result()
            self._error = exc

    def stop(self) -> None:
        """Stop sending early; faults are still restored."""
        self._stop.set()

    def result(self, timeout: float | None = None) -> Summary:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("scenario still running")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def start_scenario(url: str, scenario: str, duration: float, **kwargs: Any) -> ScenarioHandle:
    """Run :func:`run_scenario` in a background thread; ``handle.result()`` waits for it."""
    return ScenarioHandle(url=url, scenario=scenario, duration=duration, **kwargs)
