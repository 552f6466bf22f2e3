"""Pure-ASGI request-body limit for every route: 413 with a short body, never the input echoed.

Why: without one, a single 100 MB ``POST /profiles`` was read whole, answered with a 422 echoing
it, and cost the process ~600 MB (more than the compose memory limit). The declared
``content-length`` is checked when the app first reads the body, and the bytes actually received
are counted (a chunked upload declares none). Checking at the first read rather than on arrival
lets the router match first, so the 413 is measured and traced under its route template; a
route that never reads its body never buffers it either (uvicorn stops reading the socket).

The error is an ``HTTPException`` raised from ``receive``: FastAPI passes those through its body
parsing to its exception handler (``{"detail": ...}``); if it reaches this middleware instead,
the middleware answers 413 itself, unless a response has already started.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BODY_HEADERS = (b"content-length", b"transfer-encoding")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodyLimitMiddleware:
    """Refuses request bodies larger than ``max_bytes`` on every HTTP route."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        has_body = False
        for name, value in scope["headers"]:
            if name in _BODY_HEADERS:
                has_body = True
                if name == b"content-length":
                    declared = value
        if not has_body:  # HTTP/1.1 without either header has no body: nothing to count
            await self.app(scope, receive, send)
            return
        await _LimitedExchange(self, declared, receive, send).run(scope)


class _LimitedExchange:
    """One request's count of body bytes, and whether its response has started."""

    __slots__ = ("declared", "limit", "mw", "receive", "received", "send", "started")

    def __init__(
        self, mw: BodyLimitMiddleware, declared: bytes | None, receive: Receive, send: Send
    ) -> None:
        self.mw, self.limit, self.declared = mw, mw.max_bytes, declared
        self.receive, self.send = receive, send
        self.received = 0
        self.started = False

    async def run(self, scope: Scope) -> None:
        try:
            await self.mw.app(scope, self.limited_receive, self.tracked_send)
        except BodyTooLarge as exc:
            if self.started:
                raise
            await self.send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await self.send({"type": "http.response.body", "body": exc.detail.encode()})

    async def limited_receive(self) -> Message:
        if self.declared is not None:
            declared, self.declared = self.declared, None  # checked once, at the first read
            if not declared.isdigit() or int(declared) > self.limit:
                raise BodyTooLarge(self.limit)
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyTooLarge(self.limit)
        return message

    async def tracked_send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)
