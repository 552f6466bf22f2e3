"""The overhead variants: the demo service's app and routes, with different telemetry.

Every variant starts from ``demo_service.app.create_app`` so routes, handlers, DB pool and
lifespan are identical; only the request telemetry differs:

a  bare        demo telemetry off (NoOp tracer) and its TelemetryMiddleware removed
b  obsgen      the demo as shipped: histogram + exemplars, one SERVER span (+ DB CLIENT span)
               at 100 % sampling, one JSON access log line (also exported as an OTLP log)
c  obsgen-10   b with parent-based 10 % trace-id sampling
d  common      a + prometheus-fastapi-instrumentator + opentelemetry-instrumentation-fastapi
               (defaults: server span plus its receive/send internal spans), SDK batch exporter
e  native      a + FastAPI's built-in OpenTelemetry tracing (internal operation spans off,
               private provider, SDK batch exporter) + one prometheus_client histogram beside it

All exporters send OTLP/gRPC to ``otlp`` (a local sink process) when given. The DB pool's own
metrics (wait time, used/idle gauges, query duration) stay in every variant: they are part of
the app, not of the request telemetry being compared.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CollectorRegistry, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demo_service.app import create_app
from demo_service.middleware import TelemetryMiddleware
from demo_service.settings import Settings
from obsgen.conventions import OTEL

# Ablations of (b), for finding where its overhead goes: `overhead.py --variants a,b,b-nolog,...`
ABLATIONS: dict[str, str] = {
    "b-nolog": "b without the per-request JSON/OTLP access log",
    "b-noexport": "b without OTLP export (spans made, never exported; no OTLP logs)",
    "b-metrics": "b's middleware with tracing off (histogram, gauge, no span/log)",
    "b-5s": "b exporting every 5 s (the SDK's default delay, as d and e) instead of 0.5 s",
    "c-5s": "c exporting every 5 s instead of 0.5 s",
}
VARIANTS: dict[str, str] = {
    "a": "bare (no request telemetry)",
    "b": "obsgen full telemetry, 100% sampling",
    "c": "obsgen full telemetry, 10% parent-based",
    "d": "instrumentator + otel-instrumentation-fastapi",
    "e": "FastAPI native OTel + Prometheus histogram",
}


def _settings(
    database_path: str,
    otlp: str | None,
    *,
    telemetry: bool,
    ratio: float,
    access_log: str | None = None,
    export_interval: float = 0.5,
) -> Settings:
    return Settings(
        database_path=database_path,
        otel_disabled=not telemetry,
        otlp_endpoint=otlp if telemetry else None,
        sampler_ratio=ratio,
        # (b)/(c): one JSON line per request, as the issue specifies
        access_log=("sampled" if telemetry else "off") if access_log is None else access_log,
        shutdown_grace_seconds=5.0,
        shutdown_drain_seconds=0.0,
        export_interval=export_interval,
    )


def _sdk_provider(otlp: str | None) -> Any:
    """A private SDK tracer provider with the stock batch processor, as users wire it today."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "profiles"}))
    if otlp:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp)))
    return provider


def _bare(
    database_path: str, log_stream: TextIO | None, native: TelemetryConfig | None = None
) -> FastAPI:
    app = create_app(
        _settings(database_path, None, telemetry=False, ratio=1.0), None, log_stream, native
    )
    # The middleware stack is built lazily on the first request, so removing it here is clean.
    app.user_middleware = [
        m
        for m in app.user_middleware
        if m.cls is not TelemetryMiddleware  # type: ignore[comparison-overlap]
    ]
    return app


class RouteHistogram:
    """The one Prometheus histogram a user adds beside FastAPI's native tracing (variant e)."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.hist = Histogram(
            OTEL.duration_histogram,
            "HTTP server request duration.",
            [OTEL.route_label, OTEL.method_label, OTEL.status_label],
            buckets=OTEL.buckets,
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path_format", "unmatched")
            self.hist.labels(route, scope["method"], str(status)).observe(
                time.perf_counter() - started
            )


def make_app(
    variant: str, database_path: str, otlp: str | None, log_stream: TextIO | None
) -> FastAPI:
    """The app of one variant (see the module docstring)."""
    if variant == "a":
        return _bare(database_path, log_stream)
    if variant in ("b", "c"):
        ratio = 1.0 if variant == "b" else 0.1
        return create_app(
            _settings(database_path, otlp, telemetry=True, ratio=ratio), None, log_stream
        )
    if variant in ABLATIONS:
        settings = {
            "b-nolog": _settings(database_path, otlp, telemetry=True, ratio=1.0, access_log="off"),
            "b-noexport": _settings(database_path, None, telemetry=True, ratio=1.0),
            "b-metrics": _settings(
                database_path, None, telemetry=False, ratio=1.0, access_log="off"
            ),
            "b-5s": _settings(database_path, otlp, telemetry=True, ratio=1.0, export_interval=5.0),
            "c-5s": _settings(database_path, otlp, telemetry=True, ratio=0.1, export_interval=5.0),
        }[variant]
        return create_app(settings, None, log_stream)
    if variant == "d":
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from prometheus_fastapi_instrumentator import Instrumentator

        app = _bare(database_path, log_stream)
        Instrumentator(registry=CollectorRegistry()).instrument(app)
        FastAPIInstrumentor.instrument_app(app, tracer_provider=_sdk_provider(otlp))
        return app
    if variant == "e":
        # FastAPI's public constructor argument, through create_app (which turns it off).
        app = _bare(
            database_path,
            log_stream,
            {
                "tracer_provider": _sdk_provider(otlp),
                "tracing": True,
                "metrics": False,
                "logs": True,
                "operation_spans": False,
            },
        )
        app.add_middleware(RouteHistogram, registry=CollectorRegistry())
        return app
    raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
