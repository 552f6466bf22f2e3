"""``otlp_wire`` must produce exactly the bytes of the SDK's own OTLP encoder.

Spans and log records are made by the real SDK (so attribute limits and cleaning are the SDK's),
from data hypothesis generates; the SDK's ``encode_spans``/``encode_logs`` serialization is the
oracle. Then the gRPC exporters that use it are driven against a receiver built from the
official service stubs, and against raw gRPC handlers for what the stubs hide (metadata, retries).
"""

from __future__ import annotations

import threading
import time
from concurrent import futures
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs as sdk_encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from demo_service import otlp_grpc, otlp_wire

text = st.text(max_size=12)
scalar = st.one_of(
    text, st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False)
)
# What span attributes may hold: scalars and homogeneous sequences (the SDK drops the rest).
span_value = st.one_of(
    scalar,
    st.lists(text, max_size=3),
    st.lists(st.integers(-1000, 1000), max_size=3),
    st.lists(st.booleans(), max_size=3),
)
attributes = st.dictionaries(st.text(min_size=1, max_size=8), span_value, max_size=5)
# Log bodies are AnyValue: anything nested, bytes, None; and what the SDK rejects (a set, an int
# out of int64 range) must fail the same way.
any_value = st.recursive(
    st.one_of(st.none(), scalar, st.binary(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
ids = st.integers(1, 2**64 - 1)


class _Collect(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[Any] = []

    def on_end(self, span: Any) -> None:
        self.spans.append(span)


class _CollectLogs(LogRecordProcessor):
    def __init__(self) -> None:
        self.records: list[Any] = []

    def on_emit(self, log_record: Any) -> None:
        self.records.append(log_record)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


span_spec = st.fixed_dictionaries(
    {
        "name": text,
        "kind": st.sampled_from(list(SpanKind)),
        "attributes": attributes,
        "parent": st.one_of(st.none(), st.tuples(ids, st.booleans())),
        "trace_state": st.one_of(st.none(), st.just("vendor=a,other=b")),
        "events": st.lists(st.tuples(text, attributes), max_size=2),
        "links": st.lists(st.tuples(ids, st.booleans(), attributes), max_size=2),
        "status": st.sampled_from([None, "ok", "error", "error-described"]),
        "provider": st.integers(0, 2),
        "scope": st.sampled_from([("a", None), ("b", "1.0"), ("a", None)]),
    }
)


def _providers() -> tuple[list[TracerProvider], _Collect]:
    """Three providers: two with EQUAL but distinct resources (the SDK merges those groups)."""
    collect = _Collect()
    resources = [
        Resource.create({"service.name": "profiles", "service.version": "1"}),
        Resource.create({"service.name": "profiles", "service.version": "1"}),
        Resource({"service.name": "other"}, schema_url="https://opentelemetry.io/schemas/1.21.0"),
    ]
    providers = [TracerProvider(resource=r) for r in resources]
    for p in providers:
        p.add_span_processor(collect)
    return providers, collect


def _make_span(providers: list[TracerProvider], spec: dict[str, Any]) -> None:
    tracer = providers[spec["provider"]].get_tracer(*spec["scope"])
    context = None
    if spec["parent"] is not None:
        span_id, remote = spec["parent"]
        state = TraceState([("vendor", "a")]) if spec["trace_state"] else None
        parent = SpanContext(0xABC, span_id, remote, TraceFlags(1), state)
        context = trace.set_span_in_context(trace.NonRecordingSpan(parent))
    links = [
        Link(SpanContext(0xDEF, span_id, remote, TraceFlags(1)), attrs)
        for span_id, remote, attrs in spec["links"]
    ]
    span = tracer.start_span(
        spec["name"], context=context, kind=spec["kind"], attributes=spec["attributes"], links=links
    )
    for name, attrs in spec["events"]:
        span.add_event(name, attrs)
    if spec["status"] == "ok":
        span.set_status(Status(StatusCode.OK))
    elif spec["status"] == "error":
        span.set_status(Status(StatusCode.ERROR))
    elif spec["status"] == "error-described":
        span.set_status(Status(StatusCode.ERROR, "boom ünïcode"))
    span.end()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(span_spec, min_size=1, max_size=6))
def test_span_batches_encode_to_the_sdk_bytes(specs: list[dict[str, Any]]) -> None:
    providers, collect = _providers()
    for spec in specs:
        _make_span(providers, spec)
    assert otlp_wire.encode_spans(collect.spans) == (
        sdk_encode_spans(collect.spans).SerializeToString()
    )


log_spec = st.fixed_dictionaries(
    {
        "body": any_value,
        "attributes": attributes,
        "severity": st.sampled_from([None, SeverityNumber.INFO, SeverityNumber.ERROR]),
        "severity_text": st.one_of(st.none(), st.just("INFO")),
        "in_span": st.booleans(),
        "event_name": st.one_of(st.none(), text),
        "timestamp": st.one_of(st.none(), st.integers(1, 2**63)),
    }
)


def _emit_logs(specs: list[dict[str, Any]]) -> list[Any]:
    collect = _CollectLogs()
    provider = LoggerProvider(resource=Resource.create({"service.name": "profiles"}))
    provider.add_log_record_processor(collect)
    logger = provider.get_logger("demo_service", "1")
    tracer = TracerProvider().get_tracer("t")
    for spec in specs:
        span = tracer.start_span("s") if spec["in_span"] else None
        logger.emit(
            timestamp=spec["timestamp"],
            context=trace.set_span_in_context(span) if span else None,
            severity_number=spec["severity"],
            severity_text=spec["severity_text"],
            body=spec["body"],
            attributes=spec["attributes"],
            event_name=spec["event_name"],
        )
    return collect.records


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(log_spec, min_size=1, max_size=5))
def test_log_batches_encode_to_the_sdk_bytes(specs: list[dict[str, Any]]) -> None:
    records = _emit_logs(specs)
    assert otlp_wire.encode_logs(records) == sdk_encode_logs(records).SerializeToString()


@pytest.mark.parametrize("bad", [{1, 2}, 2**64, [object()]])
def test_a_value_the_sdk_rejects_is_rejected_too(bad: Any) -> None:
    records = _emit_logs(
        [
            {
                "body": bad,
                "attributes": {},
                "severity": None,
                "severity_text": None,
                "in_span": False,
                "event_name": None,
                "timestamp": 1,
            }
        ]
    )
    with pytest.raises(Exception):  # noqa: B017 -- the SDK raises a bare Exception
        sdk_encode_logs(records)
    with pytest.raises((TypeError, ValueError)):
        otlp_wire.encode_logs(records)


def test_grpc_exporters_send_the_sdk_encoding_through_our_encoder(
    receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_spans, real_logs = otlp_wire.encode_spans, otlp_wire.encode_logs
    monkeypatch.setattr(otlp_wire, "encode_spans", lambda b: calls.append("spans") or real_spans(b))
    monkeypatch.setattr(otlp_wire, "encode_logs", lambda b: calls.append("logs") or real_logs(b))

    providers, collect = _providers()
    for i in range(20):
        _make_span(
            providers,
            {
                "name": f"GET /{i}",
                "kind": SpanKind.SERVER,
                "provider": i % 3,
                "attributes": {"http.route": "/x", "n": i},
                "parent": None,
                "trace_state": None,
                "events": [],
                "links": [],
                "status": "error",
                "scope": ("demo_service", "1"),
            },
        )
    records = _emit_logs(
        [
            {
                "body": '{"level": "info"}',
                "attributes": {"k": "v"},
                "severity": SeverityNumber.INFO,
                "severity_text": "INFO",
                "in_span": True,
                "event_name": None,
                "timestamp": time.time_ns(),
            }
        ]
    )
    spans_out = otlp_grpc.OtlpGrpcSpanExporter(receiver.endpoint, 5)
    logs_out = otlp_grpc.OtlpGrpcLogExporter(receiver.endpoint, 5)
    try:
        assert spans_out.export(collect.spans) == SpanExportResult.SUCCESS
        assert logs_out.export(records) == LogRecordExportResult.SUCCESS
    finally:
        spans_out.shutdown()
        logs_out.shutdown()
    assert calls == ["spans", "logs"]
    assert receiver.traces == [sdk_encode_spans(collect.spans)]
    assert receiver.log_requests == [sdk_encode_logs(records)]


def test_equal_but_differently_encoded_values_are_not_confused() -> None:
    """The encoder caches repeated attributes; 0.0 and -0.0 (or 1 and True) compare equal."""
    providers, collect = _providers()
    for value in (0.0, -0.0, 1, True, 1.0):
        _make_span(
            providers,
            {
                "name": "s",
                "kind": SpanKind.CLIENT,
                "provider": 0,
                "attributes": {"v": value},
                "parent": None,
                "trace_state": None,
                "events": [],
                "links": [],
                "status": None,
                "scope": ("a", None),
            },
        )
    assert otlp_wire.encode_spans(collect.spans) == (
        sdk_encode_spans(collect.spans).SerializeToString()
    )


def test_long_client_supplied_values_are_not_kept_in_the_encoder_cache() -> None:
    """url.path comes from the client (up to ~16 KB per request line): caching those would hold
    megabytes after the spans are gone."""
    providers, collect = _providers()
    otlp_wire._KV_CACHE.clear()
    for i in range(50):
        _make_span(
            providers,
            {
                "name": "GET",
                "kind": SpanKind.SERVER,
                "provider": 0,
                "attributes": {"url.path": f"/{i}" + "x" * 10_000, "k": "short"},
                "parent": None,
                "trace_state": None,
                "events": [],
                "links": [],
                "status": None,
                "scope": ("a", None),
            },
        )
    assert otlp_wire.encode_spans(collect.spans) == (
        sdk_encode_spans(collect.spans).SerializeToString()
    )
    assert sum(len(v) for v in otlp_wire._KV_CACHE.values()) < 1000


def test_after_unavailable_the_exporter_retries_on_a_new_channel() -> None:
    """On UNAVAILABLE the exporter builds a fresh channel (gRPC's own reconnect backs off for up
    to minutes) and the retry sends the same bytes on it."""
    received: list[bytes] = []

    def export(request: bytes, context: grpc.ServicerContext) -> bytes:
        if not received:
            received.append(b"")
            context.abort(grpc.StatusCode.UNAVAILABLE, "warming up")
        received.append(request)
        return b""

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    handler = grpc.unary_unary_rpc_method_handler(export)  # raw bytes in and out
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "opentelemetry.proto.collector.trace.v1.TraceService", {"Export": handler}
            ),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    providers, collect = _providers()
    _make_span(
        providers,
        {
            "name": "GET /x",
            "kind": SpanKind.SERVER,
            "provider": 0,
            "attributes": {"http.route": "/x"},
            "parent": None,
            "trace_state": None,
            "events": [],
            "links": [],
            "status": None,
            "scope": ("demo_service", "1"),
        },
    )
    exporter = otlp_grpc.OtlpGrpcSpanExporter(f"http://127.0.0.1:{port}", 10)
    channel_before = exporter.rpc._channel
    try:
        assert exporter.export(collect.spans) == SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
        server.stop(0)
    assert exporter.rpc._channel is not channel_before  # it did reconnect
    assert received[1:] == [sdk_encode_spans(collect.spans).SerializeToString()]


def test_a_span_class_that_overrides_attributes_is_encoded_through_its_property() -> None:
    """The encoder reads the public ``attributes`` property, so a subclass that overrides it
    (redaction, say) is what gets exported."""
    from opentelemetry.sdk.trace import ReadableSpan

    class Redacted(ReadableSpan):
        @property
        def attributes(self) -> Any:
            return {"url.path": "[redacted]"}

    ctx = SpanContext(trace_id=1, span_id=2, is_remote=False, trace_flags=TraceFlags(1))
    span = Redacted(
        name="GET",
        context=ctx,
        attributes={"url.path": "/secret/42"},
        resource=Resource.create({}),
        start_time=1,
        end_time=2,
    )
    encoded = otlp_wire.encode_spans([span])
    assert b"/secret/42" not in encoded and b"[redacted]" in encoded
    assert encoded == sdk_encode_spans([span]).SerializeToString()


def _raw_trace_server(export: Any) -> tuple[grpc.Server, int]:
    """A trace receiver taking raw request bytes, so a test sees metadata and every attempt."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    handler = grpc.unary_unary_rpc_method_handler(export)
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "opentelemetry.proto.collector.trace.v1.TraceService", {"Export": handler}
            ),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def test_endpoint_userinfo_and_headers_travel_as_metadata_not_in_the_target() -> None:
    seen: list[dict[str, str]] = []

    def export(request: bytes, context: grpc.ServicerContext) -> bytes:
        seen.append(dict(context.invocation_metadata()))
        return b""

    server, port = _raw_trace_server(export)
    providers, collect = _providers()
    _make_span(
        providers,
        {
            "name": "GET /x",
            "kind": SpanKind.SERVER,
            "provider": 0,
            "attributes": {},
            "parent": None,
            "trace_state": None,
            "events": [],
            "links": [],
            "status": None,
            "scope": ("demo_service", "1"),
        },
    )
    exporter = otlp_grpc.OtlpGrpcSpanExporter(
        f"http://collector%40corp:p%3Ass@127.0.0.1:{port}", 5, headers=(("x-tenant", "blue"),)
    )
    try:
        assert exporter.export(collect.spans) == SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
        server.stop(0)
    assert exporter.rpc.target == f"127.0.0.1:{port}"
    assert seen[0]["x-tenant"] == "blue"
    # base64("collector@corp:p:ss"): percent-escapes decoded, as a URL's userinfo means them
    assert seen[0]["authorization"] == "Basic Y29sbGVjdG9yQGNvcnA6cDpzcw=="


@pytest.mark.parametrize("endpoint", ["collector:4317", "grpc://collector:4317", "http://"])
def test_an_endpoint_without_http_or_https_is_refused_at_start(endpoint: str) -> None:
    with pytest.raises(ValueError, match="http://host"):
        otlp_grpc.OtlpGrpcSpanExporter(endpoint, 1)


def test_a_non_retryable_error_fails_at_once_and_shutdown_interrupts_a_retry() -> None:
    """INVALID_ARGUMENT is not retried; RESOURCE_EXHAUSTED is, after the delay the server's
    RetryInfo asks for (20 s here), and shutdown cuts that wait short."""
    from google.rpc.error_details_pb2 import RetryInfo

    attempts: list[grpc.StatusCode] = []
    code = grpc.StatusCode.INVALID_ARGUMENT
    retry_info = RetryInfo()
    retry_info.retry_delay.seconds = 20

    def export(request: bytes, context: grpc.ServicerContext) -> bytes:
        attempts.append(code)
        context.set_trailing_metadata(
            (("google.rpc.retryinfo-bin", retry_info.SerializeToString()),)
        )
        context.abort(code, "no")
        return b""

    server, port = _raw_trace_server(export)
    exporter = otlp_grpc.OtlpGrpcSpanExporter(f"http://127.0.0.1:{port}", 30)
    try:
        assert exporter.export([]) == SpanExportResult.FAILURE
        assert attempts == [grpc.StatusCode.INVALID_ARGUMENT]
        code = grpc.StatusCode.RESOURCE_EXHAUSTED
        threading.Timer(0.3, exporter.shutdown).start()
        started = time.monotonic()
        assert exporter.export([]) == SpanExportResult.FAILURE
        took = time.monotonic() - started
    finally:
        exporter.shutdown()
        server.stop(0)
    assert took < 10, "shutdown did not interrupt the 20 s backoff"
    assert attempts[1:] == [grpc.StatusCode.RESOURCE_EXHAUSTED]  # waiting, not retrying, at once


def test_attributes_in_a_mapping_without_copy_are_read_through_the_mapping_interface() -> None:
    """The encoder copies the SDK's attribute mappings in one call; any other Mapping (a
    subclass's own) is read through the ABC, with the same bytes as the SDK's encoder."""
    from collections.abc import Iterator, Mapping

    from opentelemetry.sdk.trace import ReadableSpan

    class Plain(Mapping[str, Any]):
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

        def __getitem__(self, key: str) -> Any:
            return self.data[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self.data)

        def __len__(self) -> int:
            return len(self.data)

    class Custom(ReadableSpan):
        @property
        def attributes(self) -> Any:
            return Plain({"http.route": "/x", "n": 3})

    ctx = SpanContext(trace_id=1, span_id=2, is_remote=False, trace_flags=TraceFlags(1))
    span = Custom(name="GET", context=ctx, resource=Resource.create({}), start_time=1, end_time=2)
    encoded = otlp_wire.encode_spans([span])
    assert b"/x" in encoded
    assert encoded == sdk_encode_spans([span]).SerializeToString()


def test_the_retry_delay_the_collector_asks_for_is_honoured() -> None:
    """Two RESOURCE_EXHAUSTED with RetryInfo 50 ms, then success: without RetryInfo the default
    backoff (0.8-1.2 s, then 1.6-2.4 s) would take at least 2.4 s."""
    from google.rpc.error_details_pb2 import RetryInfo

    retry_info = RetryInfo()
    retry_info.retry_delay.nanos = 50_000_000
    attempts: list[bytes] = []

    def export(request: bytes, context: grpc.ServicerContext) -> bytes:
        attempts.append(request)
        if len(attempts) <= 2:
            context.set_trailing_metadata(
                (("google.rpc.retryinfo-bin", retry_info.SerializeToString()),)
            )
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "busy")
        return b""

    server, port = _raw_trace_server(export)
    exporter = otlp_grpc.OtlpGrpcSpanExporter(f"http://127.0.0.1:{port}", 30)
    try:
        started = time.monotonic()
        assert exporter.export([]) == SpanExportResult.SUCCESS
        took = time.monotonic() - started
    finally:
        exporter.shutdown()
        server.stop(0)
    assert len(attempts) == 3 and took < 2.0
