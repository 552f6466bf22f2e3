"""SQLite behind a bounded async connection pool, with pool metrics and one span per query.

The pool is what makes DB connection exhaustion (failure mode F2) visible: used/idle counts,
waiters, and time spent waiting, named after the OTel database semantic conventions.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, SpanKind, Status, StatusCode

from demo_service.faults import DatabaseUnavailable, Faults
from demo_service.metrics import ServiceMetrics

SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    avatar_bytes INTEGER NOT NULL DEFAULT 0
)
"""


def _unsampled_parent() -> bool:
    """Whether the current span is a valid, unsampled one: a child span would be dropped (the
    demo's sampler is parent-based, ``tracing.setup_telemetry``). No current span (a query
    outside any request or job) is not that: the sampler decides a root span as usual."""
    current = trace.get_current_span()
    if current.is_recording():
        return False
    ctx = current.get_span_context()
    return ctx.is_valid and not ctx.trace_flags.sampled


class Database:
    """A fixed number of connections lent out one at a time; queries run in worker threads."""

    def __init__(
        self,
        path: str,
        size: int,
        acquire_timeout: float,
        metrics: ServiceMetrics,
        tracer: trace.Tracer,
        faults: Faults,
    ) -> None:
        # ":memory:" would give every pooled connection its own empty DB: use a temp file instead.
        self._tmpdir = (
            tempfile.TemporaryDirectory(prefix="demo-db-") if path == ":memory:" else None
        )
        self._path = os.path.join(self._tmpdir.name, "profiles.db") if self._tmpdir else path
        self._size = size
        self._timeout = acquire_timeout
        self._metrics = metrics
        self._tracer = tracer
        self._faults = faults
        self._idle: asyncio.Queue[sqlite3.Connection] = asyncio.Queue()
        self._all: list[sqlite3.Connection] = []
        self._waiting = 0
        self._used = metrics.db_connections.labels("used")
        self._idle_gauge = metrics.db_connections.labels("idle")
        self._op_children: dict[str, Any] = {}
        # One thread per connection: a hung query cannot starve the loop's default executor.
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="db")

    async def _in_thread(self, fn: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, functools.partial(fn, *args))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, check_same_thread=False, timeout=5.0)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    async def open(self) -> None:
        for _ in range(self._size):
            conn = await self._in_thread(self._connect)
            self._all.append(conn)
            self._idle.put_nowait(conn)
        first = self._all[0]
        await self._in_thread(first.execute, SCHEMA)
        await self._in_thread(first.commit)
        self._metrics.db_connection_max.set(self._size)
        self._publish()

    async def close(self) -> None:
        for conn in self._all:
            conn.close()
        self._all.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()

    def _publish(self) -> None:
        idle = self._idle.qsize()
        self._idle_gauge.set(idle)
        self._used.set(len(self._all) - idle)
        self._metrics.db_pending.set(self._waiting)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[sqlite3.Connection]:
        """Lend a connection; waiting longer than the acquire timeout is an outage (503)."""
        started = time.perf_counter()
        self._waiting += 1
        self._publish()
        try:
            conn = await asyncio.wait_for(self._idle.get(), self._timeout)
        except TimeoutError as exc:
            raise DatabaseUnavailable("timed out waiting for a DB connection") from exc
        finally:
            self._waiting -= 1
            self._metrics.db_wait.observe(time.perf_counter() - started)
        self._publish()
        try:
            yield conn
        finally:
            self._idle.put_nowait(conn)
            self._publish()

    async def run(
        self, operation: str, sql: str, params: Sequence[Any] = ()
    ) -> list[dict[str, Any]]:
        """One statement as one CLIENT span and one duration sample; rows as dicts."""
        child = self._op_children.get(operation)
        if child is None:
            child = self._op_children[operation] = self._metrics.db_operation.labels(operation)
        async with self.connection() as conn:
            # Not made current: nothing runs under it in this task, and the query's thread does
            # not inherit context; start/end directly skips two context switches per query.
            # Under an unsampled parent the parent-based sampler drops the span whatever it
            # holds: skip building it (at 10 % sampling, nine requests in ten).
            span = (
                INVALID_SPAN
                if _unsampled_parent()
                else self._tracer.start_span(
                    f"{operation} profiles",
                    kind=SpanKind.CLIENT,
                    attributes={
                        "db.system.name": "sqlite",
                        "db.operation.name": operation,
                        "db.collection.name": "profiles",
                        "db.query.text": sql,
                    },
                )
            )
            started = time.perf_counter()
            try:
                rows: list[dict[str, Any]] = await self._in_thread(
                    self._execute, conn, operation, sql, params
                )
                return rows
            except (DatabaseUnavailable, sqlite3.Error) as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.set_attribute("error.type", type(exc).__name__)
                raise DatabaseUnavailable(str(exc)) from exc
            finally:
                child.observe(time.perf_counter() - started)
                span.end()

    def _execute(
        self, conn: sqlite3.Connection, operation: str, sql: str, params: Sequence[Any]
    ) -> list[dict[str, Any]]:
        if self._faults.db_outage:
            # Hold the connection as a hung network call would, then fail: the pool fills up.
            time.sleep(self._faults.db_outage_hang_seconds)
            raise DatabaseUnavailable("database unreachable (injected outage)")
        cur = conn.execute(sql, params)
        if operation == "INSERT":
            rows = [{"id": cur.lastrowid}]
        elif operation in ("UPDATE", "DELETE"):
            rows = [{"rowcount": cur.rowcount}]
        else:
            rows = [dict(r) for r in cur.fetchall()]
        conn.commit()
        return rows

    async def ping(self) -> bool:
        """Readiness: can we get a connection and run SELECT 1 quickly?"""

        async def _ping() -> None:
            async with self.connection() as conn:
                await self._in_thread(self._execute, conn, "SELECT", "SELECT 1", ())

        try:  # not traced: probes every few seconds would drown the real traces
            await asyncio.wait_for(_ping(), timeout=1.0)
        except (DatabaseUnavailable, TimeoutError, sqlite3.Error):
            return False
        return True
