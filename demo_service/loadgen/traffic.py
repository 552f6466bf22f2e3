"""Paced, bounded HTTP traffic against the profiles API, with running statistics."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

MAX_CONCURRENCY = 64


class State(random.Random):
    """The run's random source plus the ids it created, so reads mostly hit real profiles."""

    def __init__(self, seed: int | None) -> None:
        super().__init__(seed)
        self.ids: list[int] = []


Request = Callable[[httpx.AsyncClient, State], Awaitable[httpx.Response]]


def _pick_id(rng: State) -> int:
    if rng.ids and rng.random() < 0.95:
        return rng.choice(rng.ids)
    return rng.randint(1, 10**6)  # the odd unknown id: a realistic trickle of 404s


async def get_profile(c: httpx.AsyncClient, rng: State) -> httpx.Response:
    return await c.get(f"/profiles/{_pick_id(rng)}")


async def list_profiles(c: httpx.AsyncClient, rng: State) -> httpx.Response:
    return await c.get("/profiles", params={"limit": rng.choice((10, 20, 50))})


async def create_profile(c: httpx.AsyncClient, rng: State) -> httpx.Response:
    n = rng.randint(1, 10**6)
    r = await c.post("/profiles", json={"name": f"user{n}", "email": f"u{n}@example.org"})
    if r.status_code == 201 and len(rng.ids) < 10_000:
        rng.ids.append(r.json()["id"])
    return r


async def update_profile(c: httpx.AsyncClient, rng: State) -> httpx.Response:
    n = _pick_id(rng)
    body = {"name": f"user{n}", "email": f"u{n}@example.org", "bio": "updated"}
    return await c.put(f"/profiles/{n}", json=body)


async def search(c: httpx.AsyncClient, rng: State) -> httpx.Response:
    return await c.get("/profiles/search", params={"q": f"user{rng.randint(1, 99)}"})


async def delete_profile(c: httpx.AsyncClient, rng: State) -> httpx.Response:
    n = _pick_id(rng)
    if n in rng.ids:
        rng.ids.remove(n)
    return await c.delete(f"/profiles/{n}")


async def upload_avatar(c: httpx.AsyncClient, rng: State) -> httpx.Response:
    return await c.put(f"/profiles/{_pick_id(rng)}/avatar", content=b"\0" * rng.randint(1, 4096))


async def random_url(c: httpx.AsyncClient, rng: State) -> httpx.Response:
    """A scanner's flood: every path distinct, none known to the router."""
    return await c.get(f"/{uuid.UUID(int=rng.getrandbits(128)).hex}/{rng.randint(0, 10**9)}")


# Weights of a plausible read-heavy API.
MIXED: tuple[tuple[Request, int], ...] = (
    (get_profile, 50),
    (list_profiles, 15),
    (create_profile, 12),
    (update_profile, 6),
    (search, 8),
    (delete_profile, 2),
    (upload_avatar, 3),
)
WRITE_HEAVY: tuple[tuple[Request, int], ...] = ((create_profile, 70), (get_profile, 30))
RANDOM_URLS: tuple[tuple[Request, int], ...] = ((random_url, 90), (get_profile, 10))


@dataclass
class Summary:
    """What a run did: counts by status ("error" = no response) and latency percentiles."""

    scenario: str = ""
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list, repr=False)
    elapsed: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def count(self, prefix: str) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith(prefix))

    def line(self) -> str:
        rate = self.requests / self.elapsed if self.elapsed else 0.0
        codes = " ".join(f"{k}={v}" for k, v in sorted(self.statuses.items()))
        return (
            f"[{self.elapsed:6.1f}s] {self.requests} req {rate:.1f}/s {codes} "
            f"p50={self.percentile(50) * 1000:.0f}ms p95={self.percentile(95) * 1000:.0f}ms "
            f"p99={self.percentile(99) * 1000:.0f}ms"
        )


async def run_traffic(
    client: httpx.AsyncClient,
    mix: tuple[tuple[Request, int], ...],
    rps: float,
    duration: float,
    summary: Summary,
    *,
    stop: threading.Event | None = None,
    progress: Callable[[Summary], None] | None = None,
    seed: int | None = None,
) -> Summary:
    """Open-loop arrivals at ``rps`` for ``duration`` s; at most rps*duration requests."""
    rng = State(seed)
    calls, weights = zip(*mix)
    total = int(rps * duration)
    gate = asyncio.Semaphore(MAX_CONCURRENCY)
    start = time.monotonic()
    next_progress = start + 1.0
    tasks: set[asyncio.Task[None]] = set()

    async def one(call: Request) -> None:
        t0 = time.perf_counter()
        try:
            r = await call(client, rng)
            summary.statuses[str(r.status_code)] += 1
        except httpx.HTTPError:
            summary.statuses["error"] += 1
        finally:
            summary.latencies.append(time.perf_counter() - t0)
            summary.requests += 1
            gate.release()

    for i in range(total):
        if stop is not None and stop.is_set():
            break
        delay = start + i / rps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.monotonic() - start > duration:
            break
        await gate.acquire()
        task = asyncio.create_task(one(rng.choices(calls, weights)[0]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        now = time.monotonic()
        if progress is not None and now >= next_progress:
            summary.elapsed = now - start
            progress(summary)
            next_progress = now + 1.0
    if tasks:
        await asyncio.wait(tasks, timeout=15)
    summary.elapsed = time.monotonic() - start
    return summary
