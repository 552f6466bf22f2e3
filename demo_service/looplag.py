"""Event-loop lag monitor: how late a sleep wakes up is how long the loop was blocked (F1)."""

from __future__ import annotations

import asyncio

from prometheus_client import Histogram


async def monitor_loop_lag(histogram: Histogram, interval: float) -> None:
    """Sleep ``interval`` forever; record each oversleep. A 2 s block shows as a ~2 s sample."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(interval)
        histogram.observe(max(0.0, loop.time() - before - interval))
