"""The service's long-lived parts and their start-up / shutdown order (the ASGI lifespan)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import TextIO

from fastapi import FastAPI

from demo_service import IMPORTED_AT
from demo_service.db import Database
from demo_service.faults import Faults
from demo_service.logs import OtlpHandler, configure_logging
from demo_service.looplag import monitor_loop_lag
from demo_service.metrics import ServiceMetrics
from demo_service.redact import redact_url
from demo_service.settings import Settings
from demo_service.throttle import LogThrottle
from demo_service.tracing import Telemetry
from demo_service.worker import Worker

log = logging.getLogger("demo_service")


@dataclass
class Runtime:
    """What request handlers reach through ``request.app.state.runtime``."""

    settings: Settings
    metrics: ServiceMetrics
    telemetry: Telemetry
    db: Database
    worker: Worker
    faults: Faults = field(default_factory=Faults)
    draining: bool = False
    log_stream: TextIO | None = None
    stopping_since: float | None = None  # monotonic time the server began shutting down
    # "fault API call refused" lines: callers without the token choose how often they happen
    refused_log: LogThrottle = field(
        default_factory=lambda: LogThrottle(logging.getLogger("demo_service.admin"), 60.0)
    )

    def shutdown_deadline(self) -> float:
        """The grace period counts from when the server began stopping (in-flight requests
        included), but the flush always gets at least a second so a live collector loses nothing.
        """
        now = time.monotonic()
        since = self.stopping_since if self.stopping_since is not None else now
        return max(since + self.settings.shutdown_grace_seconds, now + 1.0)

    def start_draining(self) -> None:
        """Readiness turns 503 at once; requests keep being served until the server stops."""
        if not self.draining:
            self.draining = True
            log.info("draining: readiness now reports 503")


def seconds_since_process_start() -> float:
    """From the kernel's process start time (as prometheus_client reads it), so interpreter
    start-up and imports count; falls back to the time since this package was imported."""
    try:
        with open("/proc/self/stat", "rb") as f:
            start_ticks = int(f.read().rsplit(b")", 1)[1].split()[19])
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])  # both clocks count from boot, 10 ms resolution
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - IMPORTED_AT


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start DB, worker and lag monitor; on shutdown drain jobs and flush telemetry in bounds."""
    rt: Runtime = app.state.runtime
    s = rt.settings
    handlers = configure_logging(
        rt.metrics, rt.telemetry.logger_provider, s.log_level, rt.log_stream
    )
    rt.metrics.build_info.labels(s.version, s.commit).set(1)
    await rt.db.open()
    rt.worker.start()
    lag = asyncio.create_task(monitor_loop_lag(rt.metrics.loop_lag, s.loop_lag_interval))
    if s.gc_freeze:
        # Long-lived start-up objects leave the GC's generations: fewer, shorter full collections.
        gc.collect()
        gc.freeze()
    # Every request allocates spans, contexts and log records; at the default threshold (700)
    # the young generation is collected every few requests. A larger one trades a few MB for
    # far fewer collections (the benchmark's GC experiment: +25% throughput with telemetry).
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(s.gc_gen0_threshold, gen1, gen2)
    startup = seconds_since_process_start()
    rt.metrics.startup_duration.set(startup)
    log.info(
        "started",
        extra={
            "service": s.service_name,
            "version": s.version,
            "startup_seconds": round(startup, 3),
            "otlp_endpoint": redact_url(s.otlp_endpoint or ""),
            "faults_enabled": s.fault_token is not None,
        },
    )
    try:
        yield
    finally:
        rt.start_draining()
        deadline = rt.shutdown_deadline()
        now = time.monotonic()
        abandoned = await rt.worker.stop(now + (deadline - now) / 2)  # half for jobs, half flush
        lag.cancel()
        with suppress(asyncio.CancelledError):
            await lag
        await rt.db.close()
        log.info("shutting down", extra={"jobs_abandoned": abandoned})
        # uvicorn re-raises SIGTERM after shutdown, so atexit flushes never run: flush here.
        dropped = await asyncio.to_thread(rt.telemetry.shutdown, deadline)
        root = logging.getLogger()
        for handler in handlers:
            if isinstance(handler, OtlpHandler):  # its queue is closed now
                root.removeHandler(handler)
        log.info("telemetry flushed", extra={"dropped": dropped, "jobs_abandoned": abandoned})
