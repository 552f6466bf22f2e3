"""The bounded export queue with the real gRPC exporter against a port nobody listens on."""

from __future__ import annotations

import gc
import time
import weakref
from concurrent import futures
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from prometheus_client import CollectorRegistry, Counter

from demo_service.export import BoundedExporter
from demo_service.otlp_grpc import OtlpGrpcSpanExporter
from tests.demo_service.conftest import free_port


class _Collect(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[Any] = []

    def on_end(self, span: Any) -> None:
        self.spans.append(span)


def _queue(exporter: OtlpGrpcSpanExporter) -> BoundedExporter[Any]:
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
    exporter = OtlpGrpcSpanExporter(endpoint=f"http://127.0.0.1:{free_port()}", timeout=0.2)
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


def _spans(n: int) -> list[Any]:
    collect = _Collect()
    provider = TracerProvider()
    provider.add_span_processor(collect)
    for i in range(n):
        provider.get_tracer("t").start_span(f"s{i}").end()
    return collect.spans


class _SlowTraces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, delay: float) -> None:
        self.delay, self.spans = delay, 0

    def Export(self, request: Any, context: Any) -> Any:
        time.sleep(self.delay)
        self.spans += sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        return trace_service_pb2.ExportTraceServiceResponse()


def _collector(port: int, delay: float = 0.0) -> tuple[grpc.Server, _SlowTraces]:
    """A real OTLP/gRPC trace receiver (official stubs) on ``port``."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_insecure_port(f"127.0.0.1:{port}")
    traces = _SlowTraces(delay)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(traces, server)
    server.start()
    return server, traces


def test_shutdown_does_not_wait_for_a_collector_that_refuses() -> None:
    exporter = OtlpGrpcSpanExporter(endpoint=f"http://127.0.0.1:{free_port()}", timeout=1)
    queue = _queue(exporter)
    for span in _spans(10):
        queue.offer(span)
    started = time.monotonic()
    lost = queue.shutdown(started + 20)
    assert time.monotonic() - started < 3, "shutdown spent the grace on a dead collector"
    assert lost == 10 and queue.refused


def test_a_failure_before_shutdown_does_not_cut_the_flush_short() -> None:
    """The collector was briefly away; by shutdown it is back: everything queued goes out."""
    port = free_port()
    exporter = OtlpGrpcSpanExporter(endpoint=f"http://127.0.0.1:{port}", timeout=1)
    queue = _queue(exporter)
    for span in _spans(5):
        queue.offer(span)
    deadline = time.monotonic() + 10
    while queue.dropped_total < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert queue.dropped_total == 5  # refused while nobody listened
    server, received = _collector(port)
    try:
        for span in _spans(100):
            queue.offer(span)
        lost = queue.shutdown(time.monotonic() + 15)
    finally:
        server.stop(0)
    assert (lost, received.spans) == (5, 100)


def test_a_slow_but_healthy_collector_is_waited_for() -> None:
    port = free_port()
    server, received = _collector(port, delay=1.5)
    exporter = OtlpGrpcSpanExporter(endpoint=f"http://127.0.0.1:{port}", timeout=5)
    queue = _queue(exporter)
    try:
        for span in _spans(10):
            queue.offer(span)
        time.sleep(0.1)  # the export is in flight, slower than a second
        lost = queue.shutdown(time.monotonic() + 10)
    finally:
        server.stop(0)
    assert (lost, received.spans) == (0, 10)
