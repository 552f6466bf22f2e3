"""The SDK's OTLP/gRPC exporters with the request built by ``otlp_wire`` instead of the SDK's
per-field protobuf objects.

Everything else stays the SDK's: channel, TLS, headers, compression, retries with backoff,
timeouts. The hook is ``_translate_data``, the one method the SDK's gRPC exporters call to turn
a batch into the request message; the tests check that it is still called and that what a real
receiver gets is identical to the SDK's own encoding. (OTLP/HTTP keeps the SDK's encoder: its
exporter has no such seam.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from demo_service import otlp_wire


class WireSpanExporter(OTLPSpanExporter):
    """OTLP/gRPC span exporter; batches encoded by ``otlp_wire.encode_spans``."""

    def _translate_data(self, data: Sequence[Any]) -> ExportTraceServiceRequest:
        # Parsing the bytes back is C (upb) and cheap; gRPC's stub wants a message object.
        request: ExportTraceServiceRequest = ExportTraceServiceRequest.FromString(
            otlp_wire.encode_spans(data)
        )
        return request


class WireLogExporter(OTLPLogExporter):
    """OTLP/gRPC log exporter; batches encoded by ``otlp_wire.encode_logs``."""

    def _translate_data(self, data: Sequence[Any]) -> ExportLogsServiceRequest:
        request: ExportLogsServiceRequest = ExportLogsServiceRequest.FromString(
            otlp_wire.encode_logs(data)
        )
        return request
