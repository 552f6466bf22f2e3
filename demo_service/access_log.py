"""The per-request access line, written without the ``logging`` module.

Why: through ``logging`` one line paid the context filter (redaction of free text), three
handlers and a ``LogRecord`` — ~32 µs in isolation and ~55 µs of the request core under load
(bench/README.md). This line's fields are fixed and come from code, not from users: the
normalised method, the route TEMPLATE, the status, the duration and ids — nothing to redact. So
it is built once: one JSON object for stdout, the same text as the OTLP log body, one count in
``log_records_total``. Nor is it built through ``json.dumps``: the parts fixed by method, route and
status are encoded once per combination and the rest (timestamp, hex ids, the request id through
json's own string encoder, the duration's repr) put between them — the same bytes as
``json.dumps`` of the same fields (tests compare), for half the instructions. Its shape is ``logs.JsonFormatter``'s; the logger name
``demo_service.access`` still decides whether INFO lines are written (``DEMO_LOG_LEVEL``).

For the same reason its OTLP copy skips the SDK's ``Logger.emit`` (an API record, a
``ReadWriteLogRecord``, bounded attributes with every value cleaned, all on the request's core):
an ``otlp_wire.LogLine`` — our own record type, which only our exporter takes — goes straight
into the export queue and encodes to the bytes the SDK's emit would have produced
(tests/demo_service/test_access_log.py checks that). What it skips besides:
the SDK's log attribute limits (our four values are short and come from code), logger
configurators and other processors (the demo installs none), and the SDK's internal log
metrics; its observed timestamp is the line's own instant, not a second clock read.
"""

from __future__ import annotations

import json
import json.encoder
import logging
import threading
import time
from typing import Any, NamedTuple, TextIO

from opentelemetry._logs import SeverityNumber  # the logs API's documented path
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext

from demo_service.export import BoundedExporter
from demo_service.metrics import ServiceMetrics
from demo_service.otlp_wire import LogLine, severity

LOGGER_NAME = "demo_service.access"
OTLP_SCOPE = InstrumentationScope("demo_service")  # what provider.get_logger("demo_service") has
_logger = logging.getLogger(LOGGER_NAME)
_SEVERITY = {
    logging.INFO: severity(SeverityNumber.INFO),
    logging.ERROR: severity(SeverityNumber.ERROR),
}


_MAX_FIXED = 4096
_json_string = json.encoder.encode_basestring_ascii  # json.dumps' own encoder for a str


class _Fixed(NamedTuple):
    """A line's parts fixed by method, route and status."""

    level: int
    head: str  # from after the timestamp up to the trace id
    tail: str  # from after the request id up to the duration
    count: Any  # log_records_total's child for the level
    severity: tuple[int, str]


class AccessLog:
    """Writes one access line to ``stream`` and, when an OTLP log queue is given, to it."""

    def __init__(
        self,
        stream: TextIO,
        metrics: ServiceMetrics,
        otlp: BoundedExporter[Any] | None = None,
        resource: Resource | None = None,
    ) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._counts = {
            logging.INFO: metrics.log_records.labels("info"),
            logging.ERROR: metrics.log_records.labels("error"),
        }
        self._otlp = otlp
        self._resource = resource or Resource.get_empty()
        self._second = -1
        self._second_text = ""
        self._fixed_parts: dict[tuple[str, str, int], _Fixed] = {}

    def _timestamp(self, now: float) -> str:
        """ISO 8601 UTC with milliseconds; the date part is formatted once per second."""
        second = int(now)
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int((now - second) * 1000):03d}Z"

    def _fixed(self, method: str, route: str, status: int) -> _Fixed:
        """The parts of a line that depend only on method, route and status, encoded once."""
        key = (method, route, status)
        fixed = self._fixed_parts.get(key)
        if fixed is None:
            level = logging.ERROR if status >= 500 else logging.INFO
            message = json.dumps(f"{method} {route} {status}")
            fixed = _Fixed(
                level,
                f'", "level": "{"error" if level == logging.ERROR else "info"}", '
                f'"message": {message}, "logger": "{LOGGER_NAME}", "trace_id": "',
                f', "http_status": {status}, "duration_ms": ',
                self._counts[level],
                _SEVERITY[level],
            )
            if len(self._fixed_parts) >= _MAX_FIXED:  # bounded like the histogram's children
                self._fixed_parts.clear()
            self._fixed_parts[key] = fixed
        return fixed

    def write(
        self,
        method: str,
        route: str,
        status: int,
        duration_ms: float,
        span: SpanContext,
        request_id: str,
        trace_hex: str | None = None,
    ) -> None:
        """One line; ``trace_hex`` is ``span``'s trace id as 32 hex digits when the caller has
        it formatted already."""
        fixed = self._fixed(method, route, status)
        if not _logger.isEnabledFor(fixed.level):
            return
        now = time.time()
        if span.is_valid:
            trace_id, span_id = trace_hex or f"{span.trace_id:032x}", f"{span.span_id:016x}"
        else:
            trace_id = span_id = ""
        # What json.dumps writes for the same dict (tests compare), with the fixed parts
        # encoded once per method, route and status: ids and timestamp are hex and digits,
        # the request id goes through json's own string encoder, a float is its repr.
        line = (
            f'{{"timestamp": "{self._timestamp(now)}{fixed.head}{trace_id}", '
            f'"span_id": "{span_id}", "request_id": {_json_string(request_id)}'
            f"{fixed.tail}{duration_ms!r}}}"
        )
        try:
            with self._lock:
                self._stream.write(line + "\n")
                self._stream.flush()
        except (OSError, ValueError):
            # stdout gone (closed pipe, full disk): like logging's handleError, never fail the
            # request over its log line; the OTLP copy below still goes out.
            pass
        fixed.count.inc()
        if self._otlp is not None:
            self._otlp.offer(
                LogLine(
                    self._resource,
                    OTLP_SCOPE,
                    int(now * 1e9),
                    fixed.severity,
                    line,
                    {
                        "logger.name": LOGGER_NAME,
                        "request_id": request_id,
                        "http_status": status,
                        "duration_ms": duration_ms,
                    },
                    span,
                )
            )
