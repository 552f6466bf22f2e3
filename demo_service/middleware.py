"""Pure-ASGI telemetry middleware: one server span, the duration histogram, in-flight gauge.

Shaped like Starlette's ``middleware/gzip.py``: check ``scope["type"]``, pass anything else
through, wrap ``send``. The route label is the TEMPLATE FastAPI's router leaves in
``scope["route"]`` once it matched, so no second route lookup runs and unknown paths all collapse
to the convention's ``unmatched`` value: a random-URL flood adds zero series.
"""

from __future__ import annotations

import logging
import time
from random import getrandbits as _random_bits
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demo_service.access_log import AccessLog
from demo_service.logs import request_id_var
from demo_service.metrics import ServiceMetrics

_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)
_PROPAGATOR = TraceContextTextMapPropagator()
_REQUEST_ID = b"x-request-id"
_TRACE_HEADERS = (b"traceparent", b"tracestate")
log = logging.getLogger("demo_service")


def _request_id(raw: bytes | None) -> str:
    """Honour a sane client id (so calls correlate across services), else make one."""
    if raw and len(raw) <= 128 and raw.isascii() and raw.replace(b"-", b"").isalnum():
        return raw.decode()
    return f"{_random_bits(64):016x}"  # not a secret; os.urandom costs ~6 us per call


class TelemetryMiddleware:
    """Wraps an ASGI app. ``excluded`` paths (probes, scrapes) pass straight through: a readiness
    503 while draining is not a server error, and must not burn the availability SLO's budget."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServiceMetrics,
        tracer: trace.Tracer,
        access_log: AccessLog,
        unmatched_route: str,
        excluded: frozenset[str] = frozenset({"/healthz", "/readyz", "/metrics"}),
        log_access: str = "off",
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.tracer = tracer
        self.access_log = access_log
        self.unmatched = unmatched_route
        self.excluded = excluded
        self.log_access = log_access
        self._children: dict[tuple[str, str, int], Any] = {}
        self._active: dict[str, Any] = {}

    def duration_child(self, route: str, method: str, status: int) -> Any:
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:  # bounded: routes x known methods x status codes
            child = self._children[key] = self.metrics.request_duration.labels(
                route, method, str(status)
            )
        return child

    def active_child(self, method: str) -> Any:
        active = self._active.get(method)
        if active is None:  # bounded: known methods + _OTHER
            active = self._active[method] = self.metrics.active_requests.labels(method)
        return active

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.excluded:
            await self.app(scope, receive, send)
            return
        await _RequestTelemetry(self, scope, send).run(receive)


def _incoming(headers: list[tuple[bytes, bytes]]) -> tuple[str, dict[str, str]]:
    """The request id to use, and the W3C trace context headers, in one pass over headers."""
    rid_raw: bytes | None = None
    carrier: dict[str, str] = {}
    for name, value in headers:
        if name == _REQUEST_ID:
            rid_raw = value
        elif name in _TRACE_HEADERS:
            carrier[name.decode()] = value.decode("latin-1")
    return _request_id(rid_raw), carrier


class _RequestTelemetry:
    """One request's telemetry, in starlette's responder style: ``run`` starts the span and
    calls the app with ``send_with_telemetry``; ``finish`` records everything exactly once, when
    the last body byte goes out (so whoever got the response sees the metric) or, if the app
    raised or never completed a response, when it returns."""

    __slots__ = (
        "ctx",
        "done",
        "method",
        "mw",
        "request_id",
        "scope",
        "send",
        "span",
        "started",
        "status",
    )

    def __init__(self, mw: TelemetryMiddleware, scope: Scope, send: Send) -> None:
        self.started = time.perf_counter()
        self.mw, self.scope, self.send = mw, scope, send
        method = scope["method"]
        self.method = method if method in _KNOWN_METHODS else "_OTHER"
        self.status = 500  # an exception before the response starts becomes a 500
        self.done = False

    async def run(self, receive: Receive) -> None:
        mw, scope, method = self.mw, self.scope, self.method
        active = mw.active_child(method)
        active.inc()
        self.request_id, carrier = _incoming(scope["headers"])
        rid_token = request_id_var.set(self.request_id)
        parent = _PROPAGATOR.extract(carrier) if carrier else None
        self.span = span = mw.tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                # no url.path: a raw path can carry ids or tokens; http.route (the template) is
                # set once the router matched
                "url.scheme": scope.get("scheme", "http"),
                "network.protocol.version": scope.get("http_version", "1.1"),
                "client.address": (scope.get("client") or ("", 0))[0],
            },
        )
        self.ctx = span.get_span_context()  # read once: the header, exemplar and line need it
        ctx_token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            await mw.app(scope, receive, self.send_with_telemetry)
        finally:
            self.finish()  # no-op unless the app raised or never completed a response
            active.dec()
            otel_context.detach(ctx_token)
            request_id_var.reset(rid_token)

    async def send_with_telemetry(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            # W3C traceparent out, formatted directly (the propagator is slower).
            sc = self.ctx
            message["headers"] = [
                *message.get("headers", ()),
                (_REQUEST_ID, self.request_id.encode()),
                (
                    b"traceparent",
                    b"00-%032x-%016x-%02x" % (sc.trace_id, sc.span_id, sc.trace_flags),
                ),
            ]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            self.finish()
        await self.send(message)

    def finish(self) -> None:
        """Histogram sample, span name/status, access line, then the span ends; once."""
        if self.done:
            return
        self.done = True
        try:
            self._record()
        except Exception:  # telemetry must never fail the request it describes
            log.exception("request telemetry failed")
        finally:
            self.span.end()

    def _record(self) -> None:
        mw, method, status, span = self.mw, self.method, self.status, self.span
        route_obj = self.scope.get("route")
        route = getattr(route_obj, "path_format", None) or mw.unmatched
        elapsed = time.perf_counter() - self.started
        child = mw.duration_child(route, method, status)
        ctx = self.ctx
        sampled = ctx.trace_flags.sampled
        trace_hex = None
        if sampled:  # the trace id as hex: the exemplar's label and the access line's field
            trace_hex = f"{ctx.trace_id:032x}"
            child.observe(elapsed, {"trace_id": trace_hex})
        else:
            child.observe(elapsed)
        if span.is_recording():  # an unsampled span drops all of this: skip building it
            if route_obj is not None:
                span.update_name(f"{method} {route}")
                span.set_attributes({"http.route": route, "http.response.status_code": status})
            else:
                span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
                span.set_attribute("error.type", str(status))
        # "sampled": lines follow the trace's sampling decision (guide F7: sample logs), so
        # every line has a trace to open; with tracing off, every request. A 5xx always.
        mode = mw.log_access
        if status >= 500 or mode == "all" or (mode == "sampled" and (sampled or not ctx.is_valid)):
            duration_ms = round(elapsed * 1000, 2)
            mw.access_log.write(method, route, status, duration_ms, ctx, self.request_id, trace_hex)
