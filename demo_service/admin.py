"""``/admin/faults``: read, set and clear injected faults. Mounted only when a token exists."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

log = logging.getLogger("demo_service.admin")


def require_token(request: Request) -> None:
    """Bearer token, compared in constant time; the token itself is never logged, and refusals
    at most once per ``DEMO_REFUSED_LOG_INTERVAL_SECONDS`` (with how many were suppressed)."""
    runtime = request.app.state.runtime
    expected: str = runtime.settings.fault_token
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        runtime.refused_log.log(logging.WARNING, "fault API call refused: missing or wrong token")
        raise HTTPException(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/admin", dependencies=[Depends(require_token)], include_in_schema=False)


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    return request.app.state.runtime.faults.as_dict()  # type: ignore[no-any-return]


@router.put("/faults")
async def set_faults(request: Request, changes: dict[str, Any]) -> dict[str, Any]:
    """Partial update: only the named faults change."""
    faults = request.app.state.runtime.faults
    try:
        faults.update(changes)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    log.warning("faults changed", extra={"faults": faults.as_dict()})
    return faults.as_dict()  # type: ignore[no-any-return]


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    faults = request.app.state.runtime.faults
    faults.reset()
    log.warning("faults cleared")
    return faults.as_dict()  # type: ignore[no-any-return]
