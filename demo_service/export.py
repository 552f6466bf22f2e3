"""A bounded, never-blocking export pipeline for spans and log records.

The SDK's batch processors block shutdown for up to 30 s when the collector is unreachable and
count nothing they drop. This one: ``offer`` never blocks (a full queue drops and counts), one
daemon thread exports batches, and ``shutdown(deadline)`` flushes what it can before the deadline,
then counts the rest as dropped and returns. The flush waits for the export in flight (the
SDK exporter bounds each call by its own timeout, retries included); if an export fails DURING
the flush, the collector is refusing: the flush stops there, and shutdown closes the exporter
instead of spending the rest of the grace period retrying. A failure before shutdown began
proves nothing about the collector now, so it never cuts a flush short.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from prometheus_client import Counter

T = TypeVar("T")
log = logging.getLogger("demo_service.export")
ExportFn = Callable[[Sequence[Any]], bool]


class BoundedExporter(Generic[T]):
    """A bounded queue drained by one background thread calling ``export(batch) -> ok``."""

    def __init__(
        self,
        signal: str,
        export: ExportFn,
        dropped: Counter,
        exported: Counter,
        *,
        max_queue: int = 2048,
        batch_size: int = 512,
        interval: float = 0.5,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.signal = signal
        self._export = export
        self._close = close
        self._dropped = dropped.labels(signal)
        self._exported = exported.labels(signal)
        self._queue: collections.deque[T] = collections.deque()
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._interval = interval
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stopping = False
        self.dropped_total = 0
        self._count_lock = threading.Lock()  # dropped_total is added to from two threads
        self._in_flight = 0
        self._failures = 0  # failed exports so far: a flush watches it grow
        self._closed = False
        self.refused = False  # the last flush stopped because an export failed during it
        self._thread = threading.Thread(target=self._run, name=f"otlp-{signal}", daemon=True)
        self._thread.start()

    def offer(self, item: T) -> None:
        """Queue ``item`` without ever blocking the caller; drop and count when full."""
        if self._stopping or len(self._queue) >= self._max_queue:
            self._drop(1)
            return
        self._queue.append(item)  # deque.append is atomic under the GIL
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def _drop(self, n: int) -> None:
        with self._count_lock:
            self.dropped_total += n
        self._dropped.inc(n)

    def _take(self) -> list[T]:
        batch: list[T] = []
        queue = self._queue
        while queue and len(batch) < self._batch_size:
            batch.append(queue.popleft())
        return batch

    def _export_once(self) -> bool:
        batch = self._take()
        if not batch:
            return False
        self._idle.clear()
        size = self._in_flight = len(batch)
        try:
            try:
                ok = self._export(batch)
            except Exception:  # an exporter bug must not kill the thread
                log.exception("%s export raised", self.signal)
                ok = False
            # A failed SDK export leaves its frame in a reference cycle (result -> error ->
            # traceback -> frame -> batch) that only a full GC frees: emptying the list frees
            # the items now. Without it a collector outage held ~95 MiB of dead spans.
            batch.clear()
            if ok:
                self._exported.inc(size)
            else:
                self._failures += 1
                self._drop(size)
        finally:  # counted before it stops being in flight: shutdown never misses the batch
            self._in_flight = 0
            self._idle.set()
        return True

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self._interval)
            self._wake.clear()
            while self._export_once() and not self._stopping:
                pass

    def flush(self, deadline: float) -> bool:
        """Export everything queued, unless ``deadline`` (monotonic) passes first or an export
        fails meanwhile (the collector refuses: waiting would only delay the process's exit).
        Returns whether everything went out; ``refused`` tells the two failures apart."""
        failures_before = self._failures
        self.refused = False
        while time.monotonic() < deadline:
            if self._failures > failures_before:
                self.refused = True
                return False
            if not self._queue and self._idle.is_set():
                return True
            self._wake.set()
            time.sleep(0.01)
        return not self._queue and self._idle.is_set()

    def _close_exporter(self) -> None:
        if self._close is None or self._closed:
            return
        self._closed = True
        try:
            self._close()  # interrupts an exporter still retrying against a dead collector
        except Exception:
            log.exception("%s exporter close failed", self.signal)

    def shutdown(self, deadline: float) -> int:
        """Flush until ``deadline``, then stop; returns how many items were dropped in total."""
        self.flush(deadline)
        self._stopping = True
        self._wake.set()
        if self.refused:
            self._close_exporter()  # interrupt the retries of a batch still in flight
        self._thread.join(max(0.0, deadline - time.monotonic()))
        # A batch still being exported past the deadline is lost too (counted when it fails).
        lost_in_flight = self._in_flight if self._thread.is_alive() else 0
        left = len(self._queue)
        self._queue.clear()
        if left:
            self._drop(left)
        self._close_exporter()
        return self.dropped_total + lost_in_flight
