"""``create_app``: wires settings, registry, telemetry and routes into one FastAPI app."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CollectorRegistry

from demo_service import admin, api, ops
from demo_service.access_log import AccessLog
from demo_service.body_limit import BodyLimitMiddleware
from demo_service.db import Database
from demo_service.faults import DatabaseUnavailable, InjectedError
from demo_service.metrics import ServiceMetrics
from demo_service.middleware import TelemetryMiddleware
from demo_service.runtime import Runtime, lifespan
from demo_service.settings import Settings
from demo_service.throttle import LogThrottle
from demo_service.tracing import setup_telemetry
from demo_service.worker import Worker

log = logging.getLogger("demo_service")

# FastAPI's native telemetry would add its own request span and three internal spans per request
# whenever a global provider exists; this service does its own, so every switch is off.
NATIVE_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def _route(request: Request) -> str:
    """The matched route's template: a raw path may carry ids or tokens, and is never logged."""
    return getattr(request.scope.get("route"), "path_format", None) or "unmatched"


async def _injected(request: Request, exc: Exception) -> JSONResponse:
    log.error("injected failure", extra={"route": _route(request)})
    return JSONResponse({"detail": "internal error"}, status_code=500)


async def _db_down(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", exc, extra={"route": _route(request)})
    return JSONResponse({"detail": "database unavailable"}, status_code=503)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 without each error's ``input``: echoing the request body back (up to the
    body limit) only amplifies a bad or hostile request."""
    assert isinstance(exc, RequestValidationError)
    errors = [{k: e[k] for k in ("type", "loc", "msg") if k in e} for e in exc.errors()]
    return JSONResponse({"detail": errors}, status_code=422)


def create_app(
    settings: Settings | None = None,
    registry: CollectorRegistry | None = None,
    log_stream: TextIO | None = None,
    native_telemetry: TelemetryConfig | None = None,
) -> FastAPI:
    """A fresh app with its own registry (tests inject one; nothing global is touched).

    ``log_stream`` replaces stdout for the JSON logs (tests read them back from it).
    ``native_telemetry`` switches FastAPI's own telemetry back on over ``NATIVE_TELEMETRY_OFF``
    (FastAPI's public ``telemetry=`` argument; the benchmarks compare it with ours).
    """
    settings = settings or Settings.from_env()
    registry = registry if registry is not None else CollectorRegistry()
    metrics = ServiceMetrics(registry)
    telemetry = setup_telemetry(settings, metrics)
    docs = settings.enable_docs
    app = FastAPI(
        title=f"{settings.service_name} demo service",
        version=settings.version,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        telemetry={**NATIVE_TELEMETRY_OFF, **(native_telemetry or {})},
    )
    from demo_service.faults import Faults

    faults = Faults()
    app.state.runtime = Runtime(
        settings=settings,
        metrics=metrics,
        telemetry=telemetry,
        db=Database(
            settings.database_path,
            settings.db_pool_size,
            settings.db_acquire_timeout,
            metrics,
            telemetry.tracer,
            faults,
        ),
        worker=Worker(settings.queue_capacity, metrics, telemetry.tracer, faults),
        faults=faults,
        log_stream=log_stream,
        refused_log=LogThrottle(
            logging.getLogger("demo_service.admin"), settings.refused_log_interval
        ),
    )
    app.include_router(ops.router)
    app.include_router(api.router)
    if settings.fault_token:
        app.include_router(admin.router)
    app.add_exception_handler(InjectedError, _injected)
    app.add_exception_handler(DatabaseUnavailable, _db_down)
    app.add_exception_handler(RequestValidationError, _invalid)
    # Inside the telemetry middleware (added last, so outermost): a 413 is measured and traced.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        TelemetryMiddleware,
        metrics=metrics,
        tracer=telemetry.tracer,
        access_log=AccessLog(
            log_stream or sys.stdout, metrics, telemetry.log_queue, telemetry.resource
        ),
        unmatched_route=metrics.convention.unmatched_route,
        log_access=settings.access_log,
    )
    return app
