"""The profiles API: CRUD, one slower search, one size-limited streaming upload."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from demo_service.logs import request_id_var
from demo_service.runtime import Runtime

log = logging.getLogger("demo_service.api")


class ProfileIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    bio: str = Field(default="", max_length=2000)


class Profile(ProfileIn):
    id: int
    avatar_bytes: int = 0


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def apply_faults(request: Request) -> None:
    """Injected latency, loop blocking and errors hit the API routes only, never the probes."""
    faults = request.app.state.runtime.faults
    if faults.active:
        await faults.apply_to_request()


RuntimeDep = Annotated[Runtime, Depends(runtime)]
router = APIRouter(prefix="/profiles", tags=["profiles"], dependencies=[Depends(apply_faults)])
_COLUMNS = "id, name, email, bio, avatar_bytes"


async def _get(rt: Runtime, profile_id: int) -> Profile:
    rows = await rt.db.run("SELECT", f"SELECT {_COLUMNS} FROM profiles WHERE id = ?", (profile_id,))
    if not rows:
        raise HTTPException(404, "profile not found")
    return Profile(**rows[0])


@router.post("", status_code=201)
async def create_profile(body: ProfileIn, rt: RuntimeDep) -> Profile:
    rows = await rt.db.run(
        "INSERT",
        "INSERT INTO profiles (name, email, bio) VALUES (?, ?, ?)",
        (body.name, body.email, body.bio),
    )
    profile = Profile(id=rows[0]["id"], **body.model_dump())
    log.info("profile created", extra={"profile_id": profile.id})

    async def welcome_email() -> None:
        await asyncio.sleep(rt.settings.job_seconds)  # stands in for an SMTP call
        log.info("welcome email sent", extra={"profile_id": profile.id})

    rt.worker.submit("welcome_email", welcome_email, request_id_var.get())
    return profile


@router.get("")
async def list_profiles(
    rt: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Profile]:
    rows = await rt.db.run(
        "SELECT",
        f"SELECT {_COLUMNS} FROM profiles ORDER BY id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [Profile(**r) for r in rows]


@router.get("/search")
async def search_profiles(
    q: Annotated[str, Query(min_length=1, max_length=100)], rt: RuntimeDep
) -> list[Profile]:
    """Deliberately the slow endpoint: a full scan with LIKE, then a simulated ranking step."""
    rows = await rt.db.run(
        "SELECT",
        f"SELECT {_COLUMNS} FROM profiles WHERE name LIKE ? OR bio LIKE ? LIMIT 50",
        (f"%{q}%", f"%{q}%"),
    )
    await asyncio.sleep(0.05)  # ranking model stand-in: gives the latency panels a slow route
    return [Profile(**r) for r in rows]


@router.get("/{profile_id}")
async def get_profile(profile_id: int, rt: RuntimeDep) -> Profile:
    return await _get(rt, profile_id)


@router.put("/{profile_id}")
async def update_profile(profile_id: int, body: ProfileIn, rt: RuntimeDep) -> Profile:
    rows = await rt.db.run(
        "UPDATE",
        "UPDATE profiles SET name = ?, email = ?, bio = ? WHERE id = ?",
        (body.name, body.email, body.bio, profile_id),
    )
    if not rows or rows[0]["rowcount"] == 0:
        raise HTTPException(404, "profile not found")
    return await _get(rt, profile_id)


@router.delete("/{profile_id}", status_code=204)
async def delete_profile(profile_id: int, rt: RuntimeDep) -> Response:
    rows = await rt.db.run("DELETE", "DELETE FROM profiles WHERE id = ?", (profile_id,))
    if not rows or rows[0]["rowcount"] == 0:
        raise HTTPException(404, "profile not found")
    return Response(status_code=204)


@router.put("/{profile_id}/avatar")
async def upload_avatar(profile_id: int, request: Request, rt: RuntimeDep) -> Profile:
    """Streams the body chunk by chunk and stops at the limit: a huge upload costs no memory."""
    limit = rt.settings.upload_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"avatar larger than {limit} bytes")
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise HTTPException(413, f"avatar larger than {limit} bytes")
    rows = await rt.db.run(
        "UPDATE", "UPDATE profiles SET avatar_bytes = ? WHERE id = ?", (received, profile_id)
    )
    if not rows or rows[0]["rowcount"] == 0:
        raise HTTPException(404, "profile not found")
    return await _get(rt, profile_id)
