"""The per-request access line, written without the ``logging`` module.

Why: through ``logging`` one line paid the context filter (redaction of free text), three
handlers and a ``LogRecord`` — ~32 µs in isolation and ~55 µs of the request core under load
(bench/README.md). This line's fields are fixed and come from code, not from users: the
normalised method, the route TEMPLATE, the status, the duration and ids — nothing to redact. So
it is built once: one JSON object for stdout, the same text as the OTLP log body, one count in
``log_records_total``. Its shape is ``logs.JsonFormatter``'s; the logger name
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
import logging
import threading
import time
from typing import Any, TextIO

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

    def _timestamp(self, now: float) -> str:
        """ISO 8601 UTC with milliseconds; the date part is formatted once per second."""
        second = int(now)
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int((now - second) * 1000):03d}Z"

    def write(
        self,
        method: str,
        route: str,
        status: int,
        duration_ms: float,
        span: SpanContext,
        request_id: str,
    ) -> None:
        level = logging.ERROR if status >= 500 else logging.INFO
        if not _logger.isEnabledFor(level):
            return
        now = time.time()
        level_name = "error" if level == logging.ERROR else "info"
        doc: dict[str, Any] = {
            "timestamp": self._timestamp(now),
            "level": level_name,
            "message": f"{method} {route} {status}",
            "logger": LOGGER_NAME,
            "trace_id": format(span.trace_id, "032x") if span.is_valid else "",
            "span_id": format(span.span_id, "016x") if span.is_valid else "",
            "request_id": request_id,
            "http_status": status,
            "duration_ms": duration_ms,
        }
        line = json.dumps(doc)
        try:
            with self._lock:
                self._stream.write(line + "\n")
                self._stream.flush()
        except (OSError, ValueError):
            # stdout gone (closed pipe, full disk): like logging's handleError, never fail the
            # request over its log line; the OTLP copy below still goes out.
            pass
        self._counts[level].inc()
        if self._otlp is not None:
            self._otlp.offer(
                LogLine(
                    self._resource,
                    OTLP_SCOPE,
                    int(now * 1e9),
                    _SEVERITY[level],
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
