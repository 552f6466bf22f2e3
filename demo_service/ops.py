"""Probes and the scrape endpoint: liveness, readiness (DB reachable, not draining), metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import choose_encoder

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process and its event loop answer. Nothing else, or restarts cascade."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: 503 while draining or when the DB is unreachable, so traffic moves away."""
    rt = request.app.state.runtime
    if rt.draining:
        return JSONResponse({"status": "draining"}, status_code=503)
    if not await rt.db.ping():
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text, or OpenMetrics (which carries the exemplars) when the scraper asks."""
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(request.app.state.runtime.metrics.registry), media_type=content_type)
