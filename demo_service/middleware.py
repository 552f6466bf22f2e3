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
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
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

    def _duration_child(self, route: str, method: str, status: int) -> Any:
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:  # bounded: routes x known methods x status codes
            child = self._children[key] = self.metrics.request_duration.labels(
                route, method, str(status)
            )
        return child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.excluded:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        if method not in _KNOWN_METHODS:
            method = "_OTHER"
        active = self._active.get(method)
        if active is None:
            active = self._active[method] = self.metrics.active_requests.labels(method)
        active.inc()

        rid_raw: bytes | None = None
        carrier: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                rid_raw = value
            elif name in _TRACE_HEADERS:
                carrier[name.decode()] = value.decode("latin-1")
        request_id = _request_id(rid_raw)
        rid_token = request_id_var.set(request_id)

        parent = _PROPAGATOR.extract(carrier) if carrier else None
        span = self.tracer.start_span(
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
        ctx_token = otel_context.attach(trace.set_span_in_context(span, parent))
        # W3C traceparent out, formatted directly (the propagator is slower).
        sc = span.get_span_context()
        out_headers = [
            (_REQUEST_ID, request_id.encode()),
            (b"traceparent", b"00-%032x-%016x-%02x" % (sc.trace_id, sc.span_id, sc.trace_flags)),
        ]
        state = _Exchange(self, scope, method, started, span, request_id)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state.status = message["status"]
                message["headers"] = [*message.get("headers", ()), *out_headers]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Record before the last byte leaves: whoever got the response sees the metric.
                state.finish()
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            state.finish()  # no-op unless the app raised or never completed a response
            active.dec()
            otel_context.detach(ctx_token)
            request_id_var.reset(rid_token)

    def record(
        self, scope: Scope, method: str, status: int, started: float, span: Span, request_id: str
    ) -> None:
        """Histogram sample (exemplar when sampled), span name/status, access line; end span.

        Never raises (see ``_Exchange.finish``); the span ends whatever happens before."""
        try:
            self._record(scope, method, status, started, span, request_id)
        finally:
            span.end()

    def _record(
        self, scope: Scope, method: str, status: int, started: float, span: Span, request_id: str
    ) -> None:
        route_obj = scope.get("route")
        route = getattr(route_obj, "path_format", None) or self.unmatched
        elapsed = time.perf_counter() - started
        child = self._duration_child(route, method, status)
        ctx = span.get_span_context()
        sampled = ctx.trace_flags.sampled
        if sampled:
            child.observe(elapsed, {"trace_id": format(ctx.trace_id, "032x")})
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
        mode = self.log_access
        if status >= 500 or mode == "all" or (mode == "sampled" and (sampled or not ctx.is_valid)):
            self.access_log.write(method, route, status, round(elapsed * 1000, 2), ctx, request_id)


class _Exchange:
    """Per-request state shared by ``send_wrapper`` and the ``finally`` clause."""

    __slots__ = ("done", "method", "mw", "request_id", "scope", "span", "started", "status")

    def __init__(
        self,
        mw: TelemetryMiddleware,
        scope: Scope,
        method: str,
        started: float,
        span: Span,
        request_id: str,
    ) -> None:
        self.mw, self.scope, self.method, self.started, self.span = mw, scope, method, started, span
        self.request_id = request_id
        self.status = 500  # an exception before the response starts becomes a 500
        self.done = False

    def finish(self) -> None:
        if not self.done:
            self.done = True
            try:
                self.mw.record(
                    self.scope, self.method, self.status, self.started, self.span, self.request_id
                )
            except Exception:  # telemetry must never fail the request it describes
                log.exception("request telemetry failed")
