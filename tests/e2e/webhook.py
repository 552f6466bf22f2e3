"""A stdlib webhook receiver that records what Alertmanager delivers, per receiver path.

The game day points the spec's page and ticket receivers at ``/page`` and ``/ticket`` here, so
routing is checked where a pager would see it: which endpoint got which alert, firing or resolved.
It also accepts OTLP/HTTP exports (``/v1/traces``, ``/v1/logs``) as a stand-in collector, so the
demo service exports telemetry as in the Docker stack and its export counters exist.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One alert as one webhook call carried it."""

    path: str  # receiver endpoint hit: "page" or "ticket"
    receiver: str  # Alertmanager's receiver name from the payload
    status: str  # firing | resolved (the alert's own status)
    labels: dict[str, str]
    received: float  # time.time() when the call arrived
    starts_at: float  # when Prometheus saw the alert start firing (epoch seconds)
    group_key: str = ""  # Alertmanager's aggregation group: one incident for a pager

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


def _epoch(rfc3339: str) -> float:
    """Alertmanager's nanosecond RFC 3339 timestamps as epoch seconds (0.0 when absent)."""
    if not rfc3339:
        return 0.0
    head, _, rest = rfc3339.partition(".")
    fraction = "".join(c for c in rest if c.isdigit())[:6] if rest else ""
    stamp = datetime.fromisoformat(head.rstrip("Z")).replace(tzinfo=UTC)
    return stamp.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


@dataclass
class Webhook:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    otlp_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, path: str, payload: dict[str, Any]) -> None:
        now = time.time()
        with self.lock:
            for alert in payload.get("alerts", []):
                self.deliveries.append(
                    Delivery(
                        path,
                        str(payload.get("receiver", "")),
                        str(alert.get("status", "")),
                        dict(alert.get("labels", {})),
                        now,
                        _epoch(str(alert.get("startsAt", ""))),
                        str(payload.get("groupKey", "")),
                    )
                )

    def since(self, start: float) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.received >= start]


@contextlib.contextmanager
def webhook() -> Iterator[Webhook]:
    """Serve on a free 127.0.0.1 port until the context exits."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    hook = Webhook(f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/v1/"):
                with hook.lock:
                    hook.otlp_requests += 1
            else:
                hook.record(self.path.strip("/"), json.loads(body or b"{}"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
