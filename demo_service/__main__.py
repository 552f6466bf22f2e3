"""``python -m demo_service [--host H] [--port P]``: uvicorn with a readiness drain on SIGTERM."""

from __future__ import annotations

import argparse
import os
import socket
import time
from types import FrameType

import uvicorn

from demo_service.app import create_app
from demo_service.runtime import Runtime
from demo_service.settings import Settings


class DrainingServer(uvicorn.Server):
    """First SIGTERM/SIGINT: readiness 503 for ``drain`` seconds while serving, then stop.

    The pause lets a load balancer see the failing probe and stop routing before the listening
    socket closes; uvicorn then finishes in-flight requests and runs the lifespan shutdown.
    Only uvicorn's public ``Server`` methods are overridden: the first signal is held, and handed
    to ``Server.handle_exit`` when the drain ends (uvicorn then stops, and re-raises it on exit
    as it always does); a second signal during the drain is handed over at once.
    """

    def __init__(self, config: uvicorn.Config, runtime: Runtime, drain: float) -> None:
        super().__init__(config)
        self._runtime = runtime
        self._drain = drain
        self._drain_until: float | None = None
        self._held: int | None = None  # the signal that started the drain

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_until is None and self._drain > 0:
            self._held = sig
            self._runtime.start_draining()
            self._drain_until = time.monotonic() + self._drain
            return
        self._held = None  # handed over now: uvicorn records it once
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Start the grace clock when uvicorn stops accepting, before it waits for requests."""
        self._runtime.stopping_since = time.monotonic()
        self._runtime.start_draining()
        await super().shutdown(sockets)

    async def on_tick(self, counter: int) -> bool:
        if self._held is not None and time.monotonic() >= (self._drain_until or 0.0):
            sig, self._held = self._held, None
            super().handle_exit(sig, None)
        return await super().on_tick(counter)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo_service", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("DEMO_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=None,  # our JSON logging is configured in the lifespan
        access_log=False,  # the middleware logs requests (with trace ids) when asked to
        timeout_graceful_shutdown=max(1, int(settings.shutdown_grace_seconds)),
        server_header=False,
    )
    server = DrainingServer(config, app.state.runtime, settings.shutdown_drain_seconds)
    server.run()


if __name__ == "__main__":
    main()
