"""Tracer and logger providers of our own, never installed globally.

FastAPI >= 0.13x switches its built-in telemetry on as soon as a *global* tracer provider exists
(adding its own request span and three internal spans per request). Keeping our providers
private — and passing ``telemetry`` switches off in ``app.py`` — means each request yields
exactly the spans this service creates: one server span plus its DB and job children.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, Sampler, TraceIdRatioBased

from demo_service.export import BoundedExporter
from demo_service.metrics import ServiceMetrics
from demo_service.settings import Settings


class _SpanQueue(SpanProcessor):
    def __init__(self, sink: BoundedExporter[ReadableSpan]) -> None:
        self._sink = sink

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context  # a Python-level property: read once
        if context is not None and context.trace_flags.sampled:
            self._sink.offer(span)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _LogQueue(LogRecordProcessor):
    def __init__(self, sink: BoundedExporter[ReadWriteLogRecord]) -> None:
        self._sink = sink

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        self._sink.offer(log_record)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _exporters(settings: Settings) -> tuple[Any, Any]:
    """OTLP span and log exporters for the configured protocol (gRPC unless told otherwise)."""
    endpoint, timeout = settings.otlp_endpoint or "", settings.otlp_timeout
    if settings.otlp_protocol.startswith("http"):
        # The SDK's own exporters, whole. The log exporter's module is underscore-named, but it
        # is the only path the package has and the one its ``opentelemetry_logs_exporter``
        # entry point names: the documented way to the class.
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HL
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HS

        base = endpoint.rstrip("/")
        return HS(endpoint=f"{base}/v1/traces", timeout=timeout), HL(
            endpoint=f"{base}/v1/logs", timeout=timeout
        )
    from demo_service.otlp_grpc import OtlpGrpcLogExporter, OtlpGrpcSpanExporter

    certificate = None
    if settings.otlp_certificate:
        with open(settings.otlp_certificate, "rb") as f:
            certificate = f.read()
    options: dict[str, Any] = {
        "headers": settings.otlp_headers,
        "compression": settings.otlp_compression,
        "certificate": certificate,
    }
    return (
        OtlpGrpcSpanExporter(endpoint, timeout, **options),
        OtlpGrpcLogExporter(endpoint, timeout, **options),
    )


@dataclass
class Telemetry:
    """The tracer, the OTLP logger provider (or None) and the queues to flush at shutdown.

    ``log_queue`` and ``resource`` are for the access line, which queues its OTLP records itself
    (``otlp_wire.LogLine``); every other log record goes through ``logger_provider``."""

    tracer: trace.Tracer
    logger_provider: LoggerProvider | None
    sinks: Sequence[BoundedExporter[Any]]
    log_queue: BoundedExporter[Any] | None = None
    resource: Resource | None = None

    def shutdown(self, deadline: float) -> dict[str, int]:
        """Flush every queue until ``deadline``; returns dropped counts per signal."""
        return {sink.signal: sink.shutdown(deadline) for sink in self.sinks}


def _root_sampler(ratio: float) -> Sampler:
    """At ratio 1 every root is sampled: ALWAYS_ON decides that without the ratio sampler's
    trace-id arithmetic on every span (OTel's default, ``parentbased_always_on``)."""
    return ALWAYS_ON if ratio >= 1.0 else TraceIdRatioBased(ratio)


def setup_telemetry(settings: Settings, metrics: ServiceMetrics) -> Telemetry:
    """Private providers; OTLP export only when an endpoint is configured."""
    if settings.otel_disabled:
        return Telemetry(trace.NoOpTracer(), None, ())
    resource = Resource.create(
        {
            "service.name": settings.service_name,
            "service.version": settings.version,
        }
    )
    sampler = ParentBased(_root_sampler(settings.sampler_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler, shutdown_on_exit=False)
    tracer = provider.get_tracer("demo_service", settings.version)
    if not settings.otlp_endpoint:
        return Telemetry(tracer, None, ())
    span_exporter, log_exporter = _exporters(settings)
    common: dict[str, Any] = {
        "max_queue": settings.export_queue_size,
        "batch_size": settings.export_batch_size,
        "interval": settings.export_interval,
    }
    spans: BoundedExporter[ReadableSpan] = BoundedExporter(
        "traces",
        lambda batch: span_exporter.export(batch) == SpanExportResult.SUCCESS,
        metrics.telemetry_dropped,
        metrics.telemetry_exported,
        close=span_exporter.shutdown,
        **common,
    )
    logs: BoundedExporter[Any] = BoundedExporter(
        "logs",
        lambda batch: log_exporter.export(batch) == LogRecordExportResult.SUCCESS,
        metrics.telemetry_dropped,
        metrics.telemetry_exported,
        close=log_exporter.shutdown,
        **common,
    )
    provider.add_span_processor(_SpanQueue(spans))
    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    logger_provider.add_log_record_processor(_LogQueue(logs))
    return Telemetry(tracer, logger_provider, (spans, logs), logs, resource)
