"""A bounded in-process job queue and its worker task ("welcome email" after a profile is made).

A full queue drops the job and counts it rather than growing memory (failure mode F3); depth,
capacity and outcomes are exported so a backlog (M10) is visible before it hurts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from demo_service.faults import Faults
from demo_service.metrics import ServiceMetrics

log = logging.getLogger("demo_service.worker")
JobFn = Callable[[], Awaitable[None]]


@dataclass
class Job:
    name: str
    run: JobFn
    context: otel_context.Context  # the enqueuing request's context: the job joins its trace
    request_id: str | None


class Worker:
    """One consumer task; ``submit`` never blocks the request."""

    def __init__(
        self, capacity: int, metrics: ServiceMetrics, tracer: trace.Tracer, faults: Faults
    ) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=capacity)
        self._metrics = metrics
        self._tracer = tracer
        self._faults = faults
        self._task: asyncio.Task[None] | None = None
        self._outcomes = {o: metrics.jobs.labels(o) for o in ("success", "failure", "dropped")}
        metrics.queue_capacity.set(capacity)
        metrics.queue_depth.set(0)

    def submit(self, name: str, run: JobFn, request_id: str | None = None) -> bool:
        """Queue a job carrying the current trace context; False (and counted) when full."""
        try:
            self._queue.put_nowait(Job(name, run, otel_context.get_current(), request_id))
        except asyncio.QueueFull:
            self._outcomes["dropped"].inc()
            log.warning("background queue full, job dropped", extra={"job": name})
            return False
        self._metrics.queue_depth.set(self._queue.qsize())
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="background-worker")

    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            self._metrics.queue_depth.set(self._queue.qsize())
            try:
                await self._execute(job)
            finally:
                self._queue.task_done()

    async def _execute(self, job: Job) -> None:
        from demo_service.logs import request_id_var

        parent = trace.get_current_span(job.context).get_span_context()
        links = [Link(parent)] if parent.is_valid else []
        token = request_id_var.set(job.request_id)
        started = time.perf_counter()
        try:
            with self._tracer.start_as_current_span(
                f"job {job.name}",
                context=job.context,
                kind=SpanKind.CONSUMER,
                links=links,
                attributes={"job.name": job.name},
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                try:
                    if self._faults.slow_queue_seconds:
                        await asyncio.sleep(self._faults.slow_queue_seconds)
                    await job.run()
                except Exception as exc:  # noqa: BLE001 -- any job failure is an outcome
                    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                    self._outcomes["failure"].inc()
                    log.error("background job failed: %s", exc, extra={"job": job.name})
                    return
                self._outcomes["success"].inc()
        finally:
            self._metrics.job_duration.observe(time.perf_counter() - started)
            request_id_var.reset(token)

    async def stop(self, deadline: float) -> int:
        """Let queued jobs finish until ``deadline`` (monotonic); returns jobs abandoned."""
        remaining = max(0.0, deadline - time.monotonic())
        try:
            await asyncio.wait_for(self._queue.join(), remaining)
        except TimeoutError:
            pass
        abandoned = self._queue.qsize()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        return abandoned
