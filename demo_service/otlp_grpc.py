"""The SDK's OTLP/gRPC exporters with the request bytes written by ``otlp_wire`` and handed to
gRPC as they are.

Everything else stays the SDK's: channel, TLS, headers, compression, retries with backoff,
timeouts, reconnection. Two seams: ``_translate_data``, the one method the SDK's gRPC exporters
call to turn a batch into the request, returns our bytes; and the stub the SDK builds on its
channel is replaced by one whose ``Export`` sends bytes unserialized. Without the second, the
bytes were parsed into a message only for gRPC to serialize it again (callgrind, bench's
in-process driver: span export thread 287k -> 262k instructions per request). The tests check that both seams are still
called and that what a real receiver gets is identical to the SDK's own encoding. (OTLP/HTTP
keeps the SDK's encoder: its exporter has no such seam.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from demo_service import otlp_wire

TRACES_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
LOGS_METHOD = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


class _BytesStub:
    """``Export(request=bytes, ...)`` on a channel: the generated stub's call, minus its
    request serializer (gRPC sends a ``bytes`` request as it is when none is given)."""

    def __init__(self, channel: grpc.Channel, method: str, response: Any) -> None:
        self.Export = channel.unary_unary(method, response_deserializer=response.FromString)


class _SendsBytes:
    """Mixin for an SDK gRPC exporter: after the SDK builds its channel and stub (at start and
    on every reconnect), swap the stub for a ``_BytesStub`` on the same channel."""

    _method: str
    _response: Any
    _channel: grpc.Channel
    _client: Any

    def _initialize_channel_and_stub(self) -> None:
        super()._initialize_channel_and_stub()  # type: ignore[misc]
        self._client = _BytesStub(self._channel, self._method, self._response)


class WireSpanExporter(_SendsBytes, OTLPSpanExporter):
    """OTLP/gRPC span exporter; batches encoded by ``otlp_wire.encode_spans``."""

    _method, _response = TRACES_METHOD, ExportTraceServiceResponse

    def _translate_data(self, data: Sequence[Any]) -> bytes:  # type: ignore[override]
        return otlp_wire.encode_spans(data)


class WireLogExporter(_SendsBytes, OTLPLogExporter):
    """OTLP/gRPC log exporter; batches encoded by ``otlp_wire.encode_logs``."""

    _method, _response = LOGS_METHOD, ExportLogsServiceResponse

    def _translate_data(self, data: Sequence[Any]) -> bytes:  # type: ignore[override]
        return otlp_wire.encode_logs(data)
