"""JSON logs on stdout and the same records as OTLP logs, redacted, counted by level.

Every record carries trace_id / span_id of the current span and the request id, so a log line
found in Loki leads to its trace in Tempo and back.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any, TextIO

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider

from demo_service.metrics import ServiceMetrics
from demo_service.redact import redact_text, redact_value

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
# Attributes every LogRecord has; anything else on a record came from `extra=` and is exported.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI copy of the message
}
_SEVERITY = {
    logging.DEBUG: SeverityNumber.DEBUG,
    logging.INFO: SeverityNumber.INFO,
    logging.WARNING: SeverityNumber.WARN,
    logging.ERROR: SeverityNumber.ERROR,
    logging.CRITICAL: SeverityNumber.FATAL,
}
# The exporter's own complaints about a dead collector must not be re-exported to it.
_NOT_EXPORTED = ("opentelemetry", "grpc", "demo_service.export")


class ContextFilter(logging.Filter):
    """Stamps trace/span/request ids and redacts; runs once per record on each handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_demo_done", False):
            return True
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else ""
        record.span_id = format(ctx.span_id, "016x") if ctx.is_valid else ""
        record.request_id = request_id_var.get() or ""
        record.msg = redact_text(record.getMessage())
        record.args = None
        for key in set(vars(record)) - _STANDARD:
            setattr(record, key, redact_value(key, getattr(record, key)))
        record._demo_done = True
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v
        for k, v in vars(record).items()
        if k not in _STANDARD and not k.startswith("_") and k not in {"trace_id", "span_id"}
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line, the shape Loki's json parser and humans both read.

    ``level`` is lowercase (``info``, ``error``), as the dashboards' level filter and the
    ``log_records_total{level}`` label expect. The text is cached on the record so the OTLP
    handler sends the very same line as its body without formatting it twice.
    """

    def format(self, record: logging.LogRecord) -> str:
        cached: str | None = getattr(record, "_demo_json", None)
        if cached is not None:
            return cached
        doc: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "message": record.getMessage(),
            "logger": record.name,
            "trace_id": getattr(record, "trace_id", ""),
            "span_id": getattr(record, "span_id", ""),
        }
        doc.update(_extras(record))
        if record.exc_info:
            doc["exception"] = redact_text(self.formatException(record.exc_info))
        text = json.dumps(doc, default=str)
        record._demo_json = text
        return text


class LevelCounter(logging.Handler):
    """Counts records by level: the log-flood alert (F7) watches this rate."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        super().__init__(logging.NOTSET)
        self._children = {
            name: metrics.log_records.labels(name.lower())
            for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        }
        self._counter = metrics.log_records

    def emit(self, record: logging.LogRecord) -> None:
        child = self._children.get(record.levelname)
        if child is None:
            child = self._counter.labels(record.levelname.lower())
        child.inc()


class OtlpHandler(logging.Handler):
    """Emits each record through our private LoggerProvider (the SDK's handler is deprecated).

    The body is the same JSON line as stdout (Loki's ``| json`` then finds ``level`` and
    ``trace_id``); severity, trace context and extras are also set as OTLP fields.
    """

    def __init__(self, provider: LoggerProvider) -> None:
        super().__init__(logging.NOTSET)
        self._logger = provider.get_logger("demo_service")
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_NOT_EXPORTED):
            return
        attributes: dict[str, Any] = {"logger.name": record.name}
        for key, value in _extras(record).items():
            attributes[key] = value if isinstance(value, (str, bool, int, float)) else str(value)
        if record.exc_info:
            attributes["exception.stacktrace"] = redact_text(
                logging.Formatter().formatException(record.exc_info)
            )
        self._logger.emit(
            timestamp=int(record.created * 1e9),
            context=otel_context.get_current(),
            severity_number=_SEVERITY.get(record.levelno, SeverityNumber.UNSPECIFIED),
            severity_text=record.levelname,
            body=self.format(record),
            attributes=attributes,
        )

    def formatException(self, record: logging.LogRecord) -> str:
        return logging.Formatter().formatException(record.exc_info)  # type: ignore[arg-type]


def configure_logging(
    metrics: ServiceMetrics,
    provider: LoggerProvider | None,
    level: str = "INFO",
    stream: TextIO | None = None,
) -> list[logging.Handler]:
    """Replace the root handlers (uvicorn's included); returns them so shutdown can remove them."""
    context = ContextFilter()
    stdout = logging.StreamHandler(stream or sys.stdout)
    stdout.setFormatter(JsonFormatter())
    handlers: list[logging.Handler] = [stdout, LevelCounter(metrics)]
    if provider is not None:
        handlers.append(OtlpHandler(provider))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for handler in handlers:
        handler.addFilter(context)
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Our middleware writes access lines (with route template and trace id) when asked to.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    return handlers
