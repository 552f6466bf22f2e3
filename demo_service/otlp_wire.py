"""OTLP protobuf bytes for SDK spans and log records, written straight to the wire format.

Why: the SDK's encoder builds one protobuf object per span, attribute and value in Python; on
the demo's request core that cost ~27 µs per span and ~14 µs per log record (bench/README.md),
a tenth of the service's CPU under load. Writing the bytes directly costs a fraction of that.
The output parses to exactly the request the SDK's ``encode_spans``/``encode_logs`` build —
same fields, same presence, same skipped attributes — which the tests check on generated data.

Wire format: https://protobuf.dev/programming-guides/encoding/ (tag = field << 3 | wire type).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, StatusCode

log = logging.getLogger("demo_service.export")

_FIXED64 = struct.Struct("<Q").pack
_FIXED32 = struct.Struct("<I").pack
_DOUBLE = struct.Struct("<d").pack
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_SMALL = [bytes([n]) for n in range(128)]

# OTLP SpanFlags: the span says whether its parent is remote, and if so, that it is.
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200
# OpenTelemetry API SpanKind values (INTERNAL 0 ... CONSUMER 4) to OTLP's (INTERNAL 1 ...)
_SPAN_KIND = {0: 1, 1: 2, 2: 3, 3: 4, 4: 5}


def _varint(value: int) -> bytes:
    if 0 <= value < 128:
        return _SMALL[value]
    value &= 0xFFFFFFFFFFFFFFFF  # negative int64: two's complement, ten bytes
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field (string, bytes, sub-message); ``tag`` is already encoded."""
    return tag + _varint(len(payload)) + payload


def _string(tag: bytes, text: str | None) -> bytes:
    """A proto3 string: omitted when empty, as the SDK's messages serialize it."""
    return _field(tag, text.encode()) if text else b""


def _any_value(value: Any) -> bytes:
    """``AnyValue``, in the SDK's order of type checks (``bool`` before ``int``, ``str`` before
    ``Sequence``); raises on a type the SDK also rejects."""
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"\x10" + _SMALL[int(value)]
    if isinstance(value, str):
        return _field(b"\x0a", value.encode())
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"int {value} out of int64 range")
        return b"\x18" + _varint(value)
    if isinstance(value, float):
        return b"\x21" + _DOUBLE(value)
    if isinstance(value, bytes):
        return _field(b"\x3a", value)
    if isinstance(value, Sequence):
        return _field(b"\x2a", b"".join(_field(b"\x0a", _any_value(v)) for v in value))
    if isinstance(value, Mapping):
        return _field(
            b"\x32", b"".join(_field(b"\x0a", _key_value(str(k), v)) for k, v in value.items())
        )
    raise TypeError(f"Invalid type {type(value)} of value {value}")


def _key_value(key: str, value: Any) -> bytes:
    return _string(b"\x0a", key) + _field(b"\x12", _any_value(value))


# KeyValue bytes of recent scalar attributes: a service repeats the same few (method, route,
# status, db system) on every span. Bounded in entries (cleared when full) and in size: strings
# longer than _KV_CACHE_TEXT (a client's 16 KB URL) are never kept.
_KV_CACHE: dict[tuple[bytes, str, type, Any], bytes] = {}
_KV_CACHE_MAX = 4096
_KV_CACHE_TEXT = 256


def _key_field(key: str) -> bytes:
    """``KeyValue.key`` as bytes, remembered per key (span keys are few and come from code)."""
    encoded = _KEY_CACHE.get(key)
    if encoded is None:
        encoded = _string(b"\x0a", key)
        if len(key) <= _KV_CACHE_TEXT:
            if len(_KEY_CACHE) >= _KV_CACHE_MAX:
                _KEY_CACHE.clear()
            _KEY_CACHE[key] = encoded
    return encoded


_KEY_CACHE: dict[str, bytes] = {}


def _scalar_key_value(key: str, value: Any, cls: type) -> bytes:
    """``_key_value`` for a str, int, bool or float, written inline (the attributes a service
    sets are these; the general path costs three more calls each)."""
    any_value: bytes
    if cls is str:
        raw = value.encode()
        any_value = b"\x0a" + _varint(len(raw)) + raw
    elif cls is int:
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"int {value} out of int64 range")
        any_value = b"\x18" + _varint(value)
    elif cls is bool:
        any_value = b"\x10" + _SMALL[int(value)]
    else:
        any_value = b"\x21" + _DOUBLE(value)
    return _key_field(key) + b"\x12" + _varint(len(any_value)) + any_value


_SCALARS = frozenset({str, int, bool, float})


def _attributes(tag: bytes, attributes: Mapping[str, Any] | None) -> bytes:
    """Repeated ``KeyValue``; an attribute the SDK could not encode is skipped and logged."""
    if attributes is not None and attributes.__class__ is not dict:
        # The SDK's BoundedAttributes (also behind the read-only view ReadableSpan.attributes
        # returns) is a MutableMapping: items() would run __iter__ and __getitem__ in Python per
        # key. Its public copy() is a plain dict in one call (callgrind: 80k -> 74k instructions
        # to encode a demo span).
        try:
            attributes = attributes.copy()  # type: ignore[attr-defined]
        except AttributeError:  # a Mapping without copy(): read through the ABC
            pass
    if not attributes:
        return b""
    out = []
    cache = _KV_CACHE
    for key, value in attributes.items():
        cls = value.__class__
        scalar = (cls is str and len(value) <= _KV_CACHE_TEXT) or cls is int or cls is bool
        # (not float: -0.0 == 0.0 but encodes differently)
        if scalar:
            hit = cache.get((tag, key, cls, value))
            if hit is not None:
                out.append(hit)
                continue
        try:
            if cls in _SCALARS and key.__class__ is str:
                key_value = _scalar_key_value(key, value, cls)
            else:
                key_value = _key_value(key, value)
        except (TypeError, ValueError) as error:  # as the SDK: a bad attribute never loses a batch
            log.warning("Failed to encode key %s: %s", key, error)
            continue
        encoded = tag + _varint(len(key_value)) + key_value
        if scalar:
            if len(cache) >= _KV_CACHE_MAX:
                cache.clear()
            cache[(tag, key, cls, value)] = encoded
        out.append(encoded)
    return b"".join(out)


def _uint(tag: bytes, value: int | None) -> bytes:
    return tag + _varint(value) if value else b""


def _scope(scope: Any) -> bytes:
    if scope is None:
        return b""
    return (
        _string(b"\x0a", scope.name)
        + _string(b"\x12", scope.version)
        + _attributes(b"\x1a", scope.attributes)
    )


class _Grouped:
    """Items grouped by resource, then instrumentation scope, in first-seen order (as the SDK
    does). Hashing an SDK ``Resource`` serializes it to JSON, so each distinct resource and scope
    object is looked up once per batch and remembered by identity."""

    def __init__(self) -> None:
        self._groups: dict[Any, dict[Any, list[bytes]]] = {}
        self._by_id: dict[tuple[int, int], list[bytes]] = {}

    def add(self, resource: Any, scope: Any, encoded: bytes) -> None:
        key = (id(resource), id(scope))  # the batch's items keep both alive: ids stay unique
        items = self._by_id.get(key)
        if items is None:
            items = self._groups.setdefault(resource, {}).setdefault(scope or None, [])
            self._by_id[key] = items
        items.append(encoded)

    def request(self) -> bytes:
        """``Export*ServiceRequest`` bytes (ScopeSpans and ScopeLogs both carry items in field 2)."""
        out = []
        for resource, scopes in self._groups.items():
            scoped = []
            for scope, items in scopes.items():
                body = _field(b"\x0a", _scope(scope)) + b"".join(
                    [b"\x12" + _varint(len(item)) + item for item in items]
                )
                if scope is not None:
                    body += _string(b"\x1a", scope.schema_url)
                scoped.append(_field(b"\x12", body))
            header = _field(b"\x0a", _attributes(b"\x0a", resource.attributes))
            out.append(
                _field(b"\x0a", header + b"".join(scoped) + _string(b"\x1a", resource.schema_url))
            )
        return b"".join(out)


def _span_flags(context: Any) -> bytes:
    flags = _HAS_IS_REMOTE | (_IS_REMOTE if context is not None and context.is_remote else 0)
    return _FIXED32(flags)


def _trace_state(trace_state: Any) -> str | None:
    if trace_state is None:
        return None
    return ",".join(f"{key}={value}" for key, value in trace_state.items())


def _event(event: Any) -> bytes:
    return (
        (b"\x09" + _FIXED64(event.timestamp) if event.timestamp else b"")
        + _string(b"\x12", event.name)
        + _attributes(b"\x1a", event.attributes)
        + _uint(b"\x20", event.dropped_attributes)
    )


def _link(link: Any) -> bytes:
    ctx = link.context
    encoded: bytes = (
        b"\x0a\x10"
        + ctx.trace_id.to_bytes(16, "big")
        + b"\x12\x08"
        + ctx.span_id.to_bytes(8, "big")
        + _attributes(b"\x22", link.attributes)
        + _uint(b"\x28", link.dropped_attributes)
        + b"\x35"
        + _span_flags(ctx)
    )
    return encoded


def _status(status: Any) -> bytes:
    if status is None:
        return b""
    description = status.description
    code = status.status_code
    if not description:
        fixed = _STATUS.get(id(code))
        if fixed is not None:
            return fixed
    return _field(b"\x7a", _string(b"\x12", description) + _uint(b"\x18", code.value))


# Keyed by the enum members' identity: hashing an Enum member runs Enum.__hash__ in Python, and
# .value is a Python-level property; id() is neither. The members are singletons.
_STATUS = {id(code): _field(b"\x7a", _uint(b"\x18", code.value)) for code in StatusCode}
_KIND = {id(kind): _uint(b"\x30", _SPAN_KIND[kind.value]) for kind in SpanKind}


def encode_span(span: Any) -> bytes:
    """One ``Span`` message (without its field tag) from an SDK ``ReadableSpan``."""
    ctx = span.get_span_context()
    parent = span.parent
    trace_state = ctx.trace_state
    start, end = span.start_time, span.end_time
    kind = span.kind
    parts = [
        b"\x0a\x10",
        ctx.trace_id.to_bytes(16, "big"),
        b"\x12\x08",
        ctx.span_id.to_bytes(8, "big"),
    ]
    if trace_state:  # an empty TraceState is falsy: the common case costs one len()
        parts.append(_string(b"\x1a", _trace_state(trace_state)))
    if parent:
        parts.append(b"\x22\x08" + parent.span_id.to_bytes(8, "big"))
    parts += [
        _string(b"\x2a", span.name),
        _KIND.get(id(kind)) or _uint(b"\x30", _SPAN_KIND[kind.value]),
        b"\x39" + _FIXED64(start) if start else b"",
        b"\x41" + _FIXED64(end) if end else b"",
        _attributes(b"\x4a", span.attributes),
    ]
    dropped = span.dropped_attributes
    if dropped:
        parts.append(b"\x50" + _varint(dropped))
    events = span.events
    if events:
        parts.append(b"".join(_field(b"\x5a", _event(e)) for e in events))
    dropped = span.dropped_events
    if dropped:
        parts.append(b"\x60" + _varint(dropped))
    links = span.links
    if links:
        parts.append(b"".join(_field(b"\x6a", _link(link)) for link in links))
    dropped = span.dropped_links
    if dropped:
        parts.append(b"\x70" + _varint(dropped))
    parts += [
        _status(span.status),
        _REMOTE_PARENT if parent is not None and parent.is_remote else _LOCAL_PARENT,
    ]
    return b"".join(parts)


_LOCAL_PARENT = b"\x85\x01" + _FIXED32(_HAS_IS_REMOTE)
_REMOTE_PARENT = b"\x85\x01" + _FIXED32(_HAS_IS_REMOTE | _IS_REMOTE)


def encode_spans(spans: Sequence[Any]) -> bytes:
    """``ExportTraceServiceRequest`` bytes for a batch of SDK spans."""
    grouped = _Grouped()
    for span in spans:
        grouped.add(span.resource, span.instrumentation_scope, encode_span(span))
    return grouped.request()


class LogLine:
    """A log record this service builds itself, without the SDK's objects: the access line
    (``access_log`` says why). Its fields are OTLP's own; ``encode_logs`` takes it beside the
    SDK's log records and writes the bytes the SDK would for the same record (tests compare)."""

    __slots__ = (
        "attributes",
        "body",
        "instrumentation_scope",
        "resource",
        "severity_number",
        "severity_text",
        "span_id",
        "timestamp",
        "trace_flags",
        "trace_id",
    )

    def __init__(
        self,
        resource: Resource,
        scope: InstrumentationScope,
        timestamp: int,
        severity: tuple[int, str],  # (SeverityNumber value, text): see ``severity``
        body: str,
        attributes: dict[str, Any],
        span: SpanContext,
    ) -> None:
        self.resource, self.instrumentation_scope = resource, scope
        self.timestamp = timestamp  # also its observed timestamp: one instant, one clock read
        self.severity_number, self.severity_text = severity
        self.body, self.attributes = body, attributes
        self.trace_id, self.span_id, self.trace_flags = (
            span.trace_id,
            span.span_id,
            span.trace_flags,
        )


def severity(number: SeverityNumber) -> tuple[int, str]:
    """A ``LogLine``'s severity fields, computed once by its maker (an enum's ``.value`` and
    ``.name`` are Python-level properties, not worth paying per line)."""
    return number.value, number.name


def _log_line(line: LogLine) -> bytes:
    body = line.body
    if body.__class__ is str:
        raw = body.encode()
        any_value = b"\x0a" + _varint(len(raw)) + raw
        body_field = b"\x2a" + _varint(len(any_value)) + any_value
    else:
        body_field = _field(b"\x2a", _any_value(body))
    severity = (line.severity_number, line.severity_text)
    fixed = _SEVERITY_FIELDS.get(severity)
    if fixed is None:
        fixed = _uint(b"\x10", severity[0]) + _string(b"\x1a", severity[1])
        if len(_SEVERITY_FIELDS) < 64:
            _SEVERITY_FIELDS[severity] = fixed
    timestamp = _FIXED64(line.timestamp)
    return b"".join(
        (
            b"\x09",
            timestamp,
            fixed,
            body_field,
            _attributes(b"\x32", line.attributes),
            b"\x45" + _FIXED32(line.trace_flags) if line.trace_flags else b"",
            b"\x4a\x10" + line.trace_id.to_bytes(16, "big") if line.trace_id else b"",
            b"\x52\x08" + line.span_id.to_bytes(8, "big") if line.span_id else b"",
            b"\x59",
            timestamp,
        )
    )


_SEVERITY_FIELDS: dict[tuple[int, str], bytes] = {}  # a handful: the levels in use


def encode_log(record: Any) -> bytes:
    """One ``LogRecord`` message from a ``LogLine`` or an SDK log record (``ReadableLogRecord``
    or ``ReadWriteLogRecord``: both carry the API ``LogRecord`` as ``log_record``)."""
    if record.__class__ is LogLine:
        return _log_line(record)
    lr = record.log_record
    severity = lr.severity_number.value if lr.severity_number is not None else None
    return b"".join(
        (
            b"\x09" + _FIXED64(lr.timestamp) if lr.timestamp else b"",
            _uint(b"\x10", severity),
            _string(b"\x1a", lr.severity_text),
            _field(b"\x2a", _any_value(lr.body)),
            _attributes(b"\x32", lr.attributes),
            _uint(b"\x38", record.dropped_attributes),
            b"\x45" + _FIXED32(int(lr.trace_flags)) if lr.trace_flags else b"",
            b"\x4a\x10" + lr.trace_id.to_bytes(16, "big") if lr.trace_id else b"",
            b"\x52\x08" + lr.span_id.to_bytes(8, "big") if lr.span_id else b"",
            b"\x59" + _FIXED64(lr.observed_timestamp) if lr.observed_timestamp else b"",
            _string(b"\x62", lr.event_name),
        )
    )


def encode_logs(records: Sequence[Any]) -> bytes:
    """``ExportLogsServiceRequest`` bytes for a batch of ``LogLine``s and SDK log records."""
    grouped = _Grouped()
    for record in records:
        grouped.add(record.resource, record.instrumentation_scope, encode_log(record))
    return grouped.request()
