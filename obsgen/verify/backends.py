"""Small read-only HTTP clients for Prometheus, Loki, Tempo and Alertmanager (stdlib only).

Every call has a timeout and turns transport and API failures into :class:`BackendError` with
the backend's own message, which `obsgen verify` prints next to the query.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class BackendError(Exception):
    """The backend refused or failed a request; the message is the backend's own."""


@dataclass(frozen=True)
class Http:
    base_url: str
    timeout: float = 10.0

    def get(self, path: str, params: dict[str, str] | list[tuple[str, str]] | None = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        url = f"{self.base_url.rstrip('/')}{path}{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            try:
                message = json.loads(body).get("error") or body
            except (ValueError, AttributeError):
                message = body.strip() or exc.reason
            raise BackendError(f"HTTP {exc.code}: {message}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise BackendError(f"{url}: {getattr(exc, 'reason', exc)}") from None


@dataclass(frozen=True)
class Prometheus:
    http: Http

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; the result vector (scalars become one sample)."""
        data = self.http.get("/api/v1/query", {"query": expr})
        if data.get("status") != "success":
            raise BackendError(data.get("error", "query failed"))
        result = data["data"]
        if result["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": result["result"]}]
        return list(result["result"])

    def series(self, match: str, lookback_seconds: int = 3600) -> list[dict[str, str]]:
        now = time.time()
        data = self.http.get(
            "/api/v1/series",
            [("match[]", match), ("start", str(now - lookback_seconds)), ("end", str(now))],
        )
        return list(data.get("data") or [])

    def label_values(self, label: str, match: str | None = None) -> list[str]:
        params = [("match[]", match)] if match else []
        data = self.http.get(f"/api/v1/label/{urllib.parse.quote(label)}/values", params)
        return list(data.get("data") or [])

    def rules(self) -> list[dict[str, Any]]:
        return list(self.http.get("/api/v1/rules")["data"]["groups"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(self.http.get("/api/v1/alerts")["data"]["alerts"])


@dataclass(frozen=True)
class Loki:
    http: Http

    def query(self, expr: str, lookback_seconds: int = 3600) -> int:
        """Number of streams or series the LogQL query returns over the lookback."""
        now = time.time_ns()
        data = self.http.get(
            "/loki/api/v1/query_range",
            {
                "query": expr,
                "start": str(now - lookback_seconds * 10**9),
                "end": str(now),
                "limit": "10",
            },
        )
        if data.get("status") != "success":
            raise BackendError(data.get("error", "query failed"))
        return len(data["data"]["result"])


@dataclass(frozen=True)
class Tempo:
    http: Http

    def search(self, traceql: str, lookback_seconds: int = 3600) -> int:
        """Number of traces a TraceQL search finds over the lookback."""
        now = int(time.time())
        data = self.http.get(
            "/api/search",
            {"q": traceql, "start": str(now - lookback_seconds), "end": str(now), "limit": "20"},
        )
        return len(data.get("traces") or [])
