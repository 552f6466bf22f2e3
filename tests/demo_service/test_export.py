"""The bounded export queue with the real SDK gRPC exporter against a port nobody listens on."""

from __future__ import annotations

import gc
import time
import weakref
from typing import Any

from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from prometheus_client import CollectorRegistry, Counter

from demo_service.export import BoundedExporter
from demo_service.otlp_grpc import WireSpanExporter
from tests.demo_service.conftest import free_port


class _Collect(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[Any] = []

    def on_end(self, span: Any) -> None:
        self.spans.append(span)


def _queue(exporter: WireSpanExporter) -> BoundedExporter[Any]:
    registry = CollectorRegistry()
    dropped = Counter("dropped", "d", ["signal"], registry=registry)
    exported = Counter("exported", "e", ["signal"], registry=registry)
    return BoundedExporter(
        "traces",
        lambda batch: exporter.export(batch) == SpanExportResult.SUCCESS,
        dropped,
        exported,
        interval=0.01,
        close=exporter.shutdown,
    )


def test_a_failed_export_frees_its_spans_without_a_full_gc() -> None:
    """The SDK's failed export leaves a frame -> batch reference cycle; the spans must not wait
    for the cyclic GC (in a collector outage that held ~95 MiB of dead spans)."""
    exporter = WireSpanExporter(endpoint=f"http://127.0.0.1:{free_port()}", timeout=0.2)
    queue = _queue(exporter)
    collect = _Collect()
    provider = TracerProvider()
    provider.add_span_processor(collect)
    tracer = provider.get_tracer("t")
    gc.disable()
    try:
        for i in range(50):
            tracer.start_span(f"s{i}").end()
        refs = [weakref.ref(s) for s in collect.spans]
        for span in collect.spans:
            queue.offer(span)
        del span
        collect.spans.clear()
        deadline = time.monotonic() + 10
        while queue.dropped_total < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert queue.dropped_total == 50  # counted as lost: the collector refused them
        assert [r for r in refs if r() is not None] == []
    finally:
        gc.enable()
        queue.shutdown(time.monotonic() + 1)


def test_shutdown_does_not_wait_for_a_collector_that_is_down() -> None:
    exporter = WireSpanExporter(endpoint=f"http://127.0.0.1:{free_port()}", timeout=30)
    queue = _queue(exporter)
    collect = _Collect()
    provider = TracerProvider()
    provider.add_span_processor(collect)
    for i in range(10):
        provider.get_tracer("t").start_span(f"s{i}").end()
    for span in collect.spans:
        queue.offer(span)
    time.sleep(1.5)  # the export is now retrying (30 s timeout): the collector is down
    started = time.monotonic()
    lost = queue.shutdown(started + 20)
    assert time.monotonic() - started < 2, "shutdown waited for a dead collector"
    assert lost == 10
