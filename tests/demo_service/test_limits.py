"""Issue 14 (4): what a hostile caller or a careless setting must not get out of the demo —
unbounded bodies, secrets from paths or URLs in telemetry, a log flood through the fault API.
Under real uvicorn on 127.0.0.1 (conftest's ``start_service``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from demo_service.redact import REDACTED, redact_text
from demo_service.throttle import LogThrottle
from tests.demo_service.conftest import TOKEN

MARKER = "ECHO-ME-NOT"
LIMIT = 2000


def _chunks(total: int) -> Iterator[bytes]:
    """A body without content-length (chunked): only counting the bytes can stop it."""
    sent = 0
    while sent < total:
        yield b"x" * 500
        sent += 500


def _huge_profile() -> bytes:
    return ('{"name": "a", "email": "a@b.c", "bio": "' + MARKER * 2000 + '"}').encode()


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        pytest.param("POST", "/profiles", _huge_profile(), id="a JSON body past the limit"),
        pytest.param("POST", "/profiles", _chunks(10_000), id="a chunked body past the limit"),
        pytest.param("PUT", "/profiles/1", _huge_profile(), id="an update past the limit"),
        pytest.param("PUT", "/profiles/1/avatar", _chunks(10_000), id="an upload past it"),
        pytest.param("PUT", "/admin/faults", _huge_profile(), id="the fault API past it"),
    ],
)
def test_every_route_answers_413_with_a_short_body_that_echoes_nothing(
    start_service: Any, method: str, path: str, content: Any
) -> None:
    svc = start_service({"DEMO_MAX_BODY_BYTES": str(LIMIT), "DEMO_FAULT_TOKEN": TOKEN})
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with svc.client() as c:
        c.post("/profiles", json={"name": "Al", "email": "al@example.org"})
        r = c.request(method, path, content=content, headers=headers)
        assert c.get("/healthz").status_code == 200  # the service is fine afterwards
    assert r.status_code == 413
    assert len(r.content) < 100 and MARKER not in r.text
    assert str(LIMIT) in r.text  # says what the limit is


def test_bodies_within_the_limit_pass_and_413s_are_measured_by_route(start_service: Any) -> None:
    svc = start_service({"DEMO_MAX_BODY_BYTES": str(LIMIT)})
    with svc.client() as c:
        ok = c.post("/profiles", json={"name": "Al", "email": "al@example.org", "bio": "b" * 1500})
        big = c.post("/profiles", content=_huge_profile(), headers={"Content-Type": "x/json"})
    assert (ok.status_code, big.status_code) == (201, 413)
    labels = {"http_route": "/profiles", "http_request_method": "POST"}
    assert (
        svc.sample(
            "http_server_request_duration_seconds_count",
            {**labels, "http_response_status_code": "413"},
        )
        == 1
    )


def test_a_validation_error_does_not_echo_the_input(start_service: Any) -> None:
    svc = start_service()
    with svc.client() as c:
        r = c.post("/profiles", json={"name": MARKER, "email": "not-an-email-" + MARKER})
    assert r.status_code == 422
    assert MARKER not in r.text
    assert r.json()["detail"][0]["loc"] == ["body", "email"]


def test_raw_paths_never_reach_span_attributes(receiver: Any, start_service: Any) -> None:
    """A path can carry a secret (``/reset/token/...``); spans carry the route template only."""
    svc = start_service({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
    secret = "s3cr3t-reset-token-42"
    with svc.client() as c:
        pid = c.post("/profiles", json={"name": "Bo", "email": "bo@example.org"}).json()["id"]
        assert c.get(f"/profiles/{pid}").status_code == 200
        assert c.get(f"/reset/token/{secret}").status_code == 404
    names = {"GET /profiles/{profile_id}", "GET"}  # the 404 span keeps the bare method name
    receiver.wait_for(lambda: names <= {s.name for s in receiver.spans()})
    spans = receiver.spans()
    assert secret not in str(spans)
    server = {s.name: {a.key: a.value for a in s.attributes} for s in spans}
    assert names <= set(server)
    assert "url.path" not in server["GET /profiles/{profile_id}"]
    assert server["GET /profiles/{profile_id}"]["http.route"].string_value == (
        "/profiles/{profile_id}"
    )


def test_endpoint_userinfo_is_redacted_in_the_started_line_and_exports_still_go(
    receiver: Any, start_service: Any
) -> None:
    password = "hunter2-otlp"
    endpoint = receiver.endpoint.replace("http://", f"http://otel:{password}@")
    svc = start_service({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
    with svc.client() as c:
        assert c.get("/profiles").status_code == 200
    started = next(r for r in svc.logs.records() if r["message"] == "started")
    assert started["otlp_endpoint"] == receiver.endpoint.replace("http://", f"http://{REDACTED}@")
    assert password not in svc.logs.getvalue()
    assert receiver.wait_for(lambda: [s for s in receiver.spans() if s.name == "GET /profiles"])


@pytest.mark.parametrize(
    "text",
    [
        "connecting to http://otel:pw-1@collector:4317/v1",
        "db at postgresql://app:pw-1@db.internal:5432/profiles failed",
        "HTTPS://u%40corp:pw-1@h",
    ],
)
def test_userinfo_of_any_url_in_a_log_message_is_masked(text: str) -> None:
    out = redact_text(text)
    assert "pw-1" not in out and f"{REDACTED}@" in out


def test_refused_fault_calls_log_once_per_interval(start_service: Any) -> None:
    svc = start_service({"DEMO_FAULT_TOKEN": TOKEN, "DEMO_REFUSED_LOG_INTERVAL_SECONDS": "60"})
    with svc.client() as c:
        codes = {
            c.get("/admin/faults", headers={"Authorization": "Bearer no"}).status_code
            for _ in range(25)
        }
    refused = [r for r in svc.logs.records() if r["message"].startswith("fault API call refused")]
    assert codes == {401}
    assert len(refused) == 1 and refused[0]["level"] == "warning"


def test_the_throttle_reports_what_it_suppressed(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    throttle = LogThrottle(logging.getLogger("t.throttle"), 10.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, "t.throttle"):
        written = [throttle.log(logging.WARNING, "refused") for _ in range(5)]
        now[0] += 9.9
        written.append(throttle.log(logging.WARNING, "refused"))
        now[0] += 0.1
        written.append(throttle.log(logging.WARNING, "refused"))
    assert written == [True, False, False, False, False, False, True]
    assert [r.__dict__["suppressed"] for r in caplog.records] == [0, 5]
