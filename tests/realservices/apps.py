"""Small FastAPI services instrumented the way people do it today, not by obsgen's demo.

Run one with ``python -m tests.realservices.apps KIND PORT`` under real uvicorn. Each serves a
few user routes (one of which fails on demand with 5xx), a health probe, and ``/metrics``
written by the third-party library itself, with its defaults.
"""

from __future__ import annotations

import os
import sys

from fastapi import FastAPI, HTTPException, Response

KINDS = ("instrumentator", "otel-prometheus")
FAIL_EVERY = "FAIL_EVERY"  # env: fail every n-th /orders request (0: never)


def _routes(app: FastAPI) -> None:
    state = {"orders": 0}
    fail_every = int(os.environ.get(FAIL_EVERY, "0"))

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.post("/orders")
    async def order() -> dict[str, str]:
        state["orders"] += 1
        if fail_every and state["orders"] % fail_every == 0:
            raise HTTPException(status_code=503, detail="payment backend unavailable")
        return {"status": "created"}

    @app.get("/healthz")
    async def health() -> Response:
        return Response("ok")


def instrumentator_app() -> FastAPI:
    """prometheus-fastapi-instrumentator with its defaults, as its README shows."""
    from prometheus_fastapi_instrumentator import Instrumentator

    app = FastAPI()
    _routes(app)
    Instrumentator().instrument(app).expose(app)
    return app


def otel_prometheus_app() -> FastAPI:
    """opentelemetry-instrumentation-fastapi (stable HTTP semconv) exposed through the OTel
    Prometheus exporter on prometheus_client's default registry."""
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    from opentelemetry import metrics
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from prometheus_client import make_asgi_app

    provider = MeterProvider(
        resource=Resource.create({"service.name": "orders"}),
        metric_readers=[PrometheusMetricReader()],
    )
    metrics.set_meter_provider(provider)
    app = FastAPI()
    _routes(app)
    FastAPIInstrumentor.instrument_app(app, meter_provider=provider)
    app.mount("/metrics", make_asgi_app())
    return app


def main() -> None:
    import uvicorn

    kind, port = sys.argv[1], int(sys.argv[2])
    factory = {"instrumentator": instrumentator_app, "otel-prometheus": otel_prometheus_app}[kind]
    uvicorn.run(factory(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
