"""OTLP/gRPC span and log exporters of our own: ``otlp_wire``'s bytes on a gRPC channel.

Why our own classes: the SDK's gRPC exporters only let a faster encoder in through private
methods (``_translate_data``, ``_initialize_channel_and_stub``), which any release may rename.
These are built on public interfaces only: the SDK's ``SpanExporter`` and ``LogRecordExporter``
extension points, and gRPC's ``Channel.unary_unary`` without a request serializer, which sends a
``bytes`` request as it is (no parse into a message for gRPC to serialize again).

``opentelemetry.sdk._logs`` is underscore-named: the logs SDK has lived there in every release so
far, and it is the path the SDK documents for it (there is no other), so it is its public API.

What they keep of the SDK's exporters: ``http://`` plaintext or ``https://`` TLS (system roots,
or ``certificate``), extra metadata (``OTEL_EXPORTER_OTLP_HEADERS``), gzip, the retryable status
codes and their backoff (2^n s ±20 %, or the server's ``RetryInfo``) within one timeout per
export, a fresh channel after UNAVAILABLE, and shutdown interrupting a retry. Unlike the SDK's,
the fresh channel has connections of its own and is tried at once (see ``OtlpGrpc.send``). Userinfo in the
endpoint (``http://user:pass@host:4317``) becomes a Basic ``authorization`` header instead of
part of the gRPC target.
"""

from __future__ import annotations

import base64
import logging
import random
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import grpc
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry.sdk._logs import ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from demo_service import __version__, otlp_wire
from demo_service.throttle import LogThrottle

TRACES_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
LOGS_METHOD = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
RETRYABLE = frozenset(
    {
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)
MAX_ATTEMPTS = 6
_OPTIONS = (
    ("grpc.primary_user_agent", f"obsgen-demo-otlp/{__version__}"),
    # A channel of its own connections: with gRPC's process-wide pool, the "fresh" channel
    # built after UNAVAILABLE shared the old one's connection and its reconnect backoff, so a
    # collector that came back was still refused for up to a second.
    ("grpc.use_local_subchannel_pool", 1),
)
# A dead collector fails every export (each signal, every interval): one line a minute says so.
_failed = LogThrottle(logging.getLogger("demo_service.export"), 60.0)
LogItem = ReadableLogRecord | ReadWriteLogRecord | otlp_wire.LogLine


class OtlpGrpc:
    """One OTLP ``Export`` method on a gRPC channel, taking request bytes."""

    def __init__(
        self,
        endpoint: str,
        method: str,
        timeout: float,
        headers: Sequence[tuple[str, str]] = (),
        compression: str | None = None,
        certificate: bytes | None = None,
    ) -> None:
        url = urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(
                "OTLP endpoint must be http://host[:port] or https://host[:port], "
                f"got scheme {url.scheme!r}"
            )
        host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
        self.target = f"{host}:{url.port or 4317}"
        self._secure = url.scheme == "https"
        self._certificate = certificate
        self._method = method
        self._timeout = timeout
        self._compression = grpc.Compression.Gzip if compression == "gzip" else None
        metadata = list(headers)
        if url.username is not None:
            userinfo = f"{unquote(url.username)}:{unquote(url.password or '')}"
            basic = base64.b64encode(userinfo.encode()).decode()
            metadata.append(("authorization", f"Basic {basic}"))
        self._metadata = tuple(metadata)
        self._closing = threading.Event()
        self._lock = threading.Lock()  # the export thread reconnects while shutdown may close
        self._channel, self._call = self._connect()

    def _connect(self) -> tuple[grpc.Channel, Any]:
        if self._secure:
            credentials = grpc.ssl_channel_credentials(root_certificates=self._certificate)
            channel = grpc.secure_channel(
                self.target, credentials, options=_OPTIONS, compression=self._compression
            )
        else:
            channel = grpc.insecure_channel(
                self.target, options=_OPTIONS, compression=self._compression
            )
        # No serializers: the request bytes go out as they are, the response (partial-success
        # details we do not act on) comes back as bytes.
        return channel, channel.unary_unary(self._method)

    def _reconnect(self) -> None:
        """gRPC backs off reconnecting for up to minutes; a new channel tries at once."""
        with self._lock:
            if self._closing.is_set():
                return
            self._channel.close()
            self._channel, self._call = self._connect()

    def send(self, request: bytes) -> bool:
        """Export ``request``, retrying what OTLP says is transient, within the timeout. The
        first UNAVAILABLE gets a fresh channel and one immediate try on it: a collector that
        is back answers at once, one still down refuses at once, then the backoff applies."""
        deadline = time.monotonic() + self._timeout
        reconnected = False
        retries = 0
        code = None
        for _ in range(MAX_ATTEMPTS):
            if self._closing.is_set():
                return False
            try:
                self._call(request, timeout=deadline - time.monotonic(), metadata=self._metadata)
                return True
            except ValueError:  # the channel was closed under us: shutdown, not a bug
                if self._closing.is_set():
                    return False
                raise
            except grpc.RpcError as error:
                code = error.code()
                if code == grpc.StatusCode.UNAVAILABLE and not reconnected:
                    reconnected = True
                    self._reconnect()
                    continue
                backoff = self._backoff(error, retries)
                retries += 1
                if (
                    code not in RETRYABLE
                    or backoff > deadline - time.monotonic()
                    or self._closing.is_set()
                ):
                    break
            if self._closing.wait(backoff):
                return False
        _failed.log(logging.ERROR, "OTLP export to %s failed: %s", self.target, code)
        return False

    @staticmethod
    def _backoff(error: grpc.RpcError, attempt: int) -> float:
        """The server's RetryInfo delay when it sends one, else 2^attempt s with ±20 % jitter."""
        trailers = error.trailing_metadata() or ()
        for key, value in trailers:
            if key == "google.rpc.retryinfo-bin":
                delay = RetryInfo.FromString(value).retry_delay
                return float(delay.seconds + delay.nanos / 1e9)
        return float(2**attempt * random.uniform(0.8, 1.2))

    def close(self) -> None:
        """Interrupt a retry in progress (and cancel a call in flight); idempotent."""
        with self._lock:
            self._closing.set()
            self._channel.close()


class OtlpGrpcSpanExporter(SpanExporter):
    """Spans as ``otlp_wire.encode_spans`` writes them, over OTLP/gRPC."""

    def __init__(self, endpoint: str, timeout: float, **options: Any) -> None:
        self.rpc = OtlpGrpc(endpoint, TRACES_METHOD, timeout, **options)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.rpc.send(otlp_wire.encode_spans(spans)):
            return SpanExportResult.SUCCESS
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self.rpc.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # nothing is buffered here: the queue in front of it flushes


class OtlpGrpcLogExporter(LogRecordExporter):
    """SDK log records and our own ``LogLine``s, as ``otlp_wire.encode_logs`` writes them."""

    def __init__(self, endpoint: str, timeout: float, **options: Any) -> None:
        self.rpc = OtlpGrpc(endpoint, LOGS_METHOD, timeout, **options)

    def export(self, batch: Sequence[LogItem]) -> LogRecordExportResult:
        if self.rpc.send(otlp_wire.encode_logs(batch)):
            return LogRecordExportResult.SUCCESS
        return LogRecordExportResult.FAILURE

    def shutdown(self) -> None:
        self.rpc.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
