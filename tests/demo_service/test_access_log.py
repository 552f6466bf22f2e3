"""The per-request access line: stdout JSON and OTLP record, same text, counted, level-gated."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from demo_service.access_log import AccessLog
from demo_service.app import create_app
from demo_service.middleware import TelemetryMiddleware
from tests.demo_service.conftest import TOKEN, body, settings_for


def _access(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("logger") == "demo_service.access"]


def test_access_line_on_stdout_and_otlp_with_route_template_and_ids(receiver, start_service):
    svc = start_service(
        {"DEMO_ACCESS_LOG": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
    )
    with svc.client() as c:
        pid = c.post("/profiles", json={"name": "Al", "email": "al@example.org"}).json()["id"]
        r = c.get(f"/profiles/{pid}", headers={"X-Request-ID": "req-access-1"})
    assert r.status_code == 200
    trace_hex, span_hex = r.headers["traceparent"].split("-")[1:3]
    lines = [l for l in _access(svc.logs.records()) if l["request_id"] == "req-access-1"]
    assert len(lines) == 1
    line = lines[0]
    assert line["message"] == "GET /profiles/{profile_id} 200"  # the template, not the id
    assert line["level"] == "info" and line["http_status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert (line["trace_id"], line["span_id"]) == (trace_hex, span_hex)
    assert line["timestamp"].endswith("Z") and len(line["timestamp"]) == 24

    def exported() -> list[Any]:
        return [x for x in receiver.logs() if body(x).get("request_id") == "req-access-1"]

    recs = receiver.wait_for(exported)
    assert len(recs) == 1
    assert body(recs[0]) == line  # the OTLP body is the very stdout line
    assert recs[0].severity_text == "INFO" and recs[0].trace_id.hex() == trace_hex
    attrs = {a.key: a.value for a in recs[0].attributes}
    assert attrs["logger.name"].string_value == "demo_service.access"
    assert attrs["http_status"].int_value == 200
    # Both requests' lines are counted, so the log-flood alert sees access logging.
    assert svc.sample("log_records_total", {"level": "info"}) >= 2


def test_5xx_is_logged_at_error_even_with_access_logging_off(start_service):
    svc = start_service({"DEMO_FAULT_TOKEN": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with svc.client() as c:
        assert c.get("/profiles").status_code == 200
        c.put("/admin/faults", json={"error_rate": 1.0}, headers=auth)
        assert c.get("/profiles").status_code == 500
    lines = _access(svc.logs.records())
    assert [(l["level"], l["message"]) for l in lines] == [("error", "GET /profiles 500")]
    assert svc.sample("log_records_total", {"level": "error"}) >= 1


def test_log_level_warning_keeps_error_lines_and_drops_info_lines(start_service):
    svc = start_service(
        {"DEMO_ACCESS_LOG": "true", "DEMO_LOG_LEVEL": "WARNING", "DEMO_FAULT_TOKEN": TOKEN}
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with svc.client() as c:
        assert c.get("/profiles").status_code == 200
        c.put("/admin/faults", json={"error_rate": 1.0}, headers=auth)
        assert c.get("/profiles").status_code == 500
    levels = {l["level"] for l in _access(svc.logs.records())}
    assert levels == {"error"}


def test_access_lines_follow_the_trace_sampling_decision(start_service):
    """At sampling 0 no success line is written (it would have no trace); a 5xx always is."""
    svc = start_service(
        {"DEMO_ACCESS_LOG": "true", "OTEL_TRACES_SAMPLER_ARG": "0", "DEMO_FAULT_TOKEN": TOKEN}
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with svc.client() as c:
        for _ in range(5):
            assert c.get("/profiles").status_code == 200
        c.put("/admin/faults", json={"error_rate": 1.0}, headers=auth)
        assert c.get("/profiles").status_code == 500
    lines = _access(svc.logs.records())
    assert [l["http_status"] for l in lines] == [500]


def test_with_tracing_off_every_request_gets_its_line(start_service):
    svc = start_service({"DEMO_ACCESS_LOG": "true", "OTEL_SDK_DISABLED": "true"})
    with svc.client() as c:
        for _ in range(3):
            assert c.get("/profiles").status_code == 200
    lines = _access(svc.logs.records())
    assert len(lines) == 3 and all(l["trace_id"] == "" for l in lines)


class _BrokenStdout:
    """stdout whose reader went away: every write fails as a closed pipe does."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_broken_stdout_never_fails_a_request(receiver):
    registry = CollectorRegistry()
    app = create_app(
        settings_for({"DEMO_ACCESS_LOG": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}),
        registry,
        _BrokenStdout(),  # type: ignore[arg-type]
    )
    # Only the access line writes to this stream: logging's own handlers get a working one.
    mw = next(m for m in app.user_middleware if m.cls is TelemetryMiddleware)
    assert isinstance(mw.kwargs["access_log"], AccessLog)
    transport = httpx.ASGITransport(app=app)

    async def run() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return [(await c.get("/healthz")).status_code, (await c.get("/nope")).status_code]

    assert asyncio.run(run()) == [200, 404]
    assert registry.get_sample_value("log_records_total", {"level": "info"}) == 1


UNSAMPLED_PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"


def test_sampled_mode_follows_an_upstream_callers_decision_and_all_logs_every_request(
    start_service,
):
    """With DEMO_ACCESS_LOG=true the sampler decides, and ParentBased follows a caller that did
    not sample; `all` writes the line regardless."""
    lines = {}
    for mode in ("true", "all"):
        svc = start_service({"DEMO_ACCESS_LOG": mode})
        with svc.client() as c:
            assert c.get("/profiles", headers={"traceparent": UNSAMPLED_PARENT}).status_code == 200
            assert c.get("/profiles").status_code == 200
        lines[mode] = [l["trace_id"] for l in _access(svc.logs.records())]
    unsampled_trace = UNSAMPLED_PARENT.split("-")[1]
    assert unsampled_trace not in lines["true"] and len(lines["true"]) == 1
    assert lines["all"][0] == unsampled_trace and len(lines["all"]) == 2


def test_an_unknown_access_log_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="DEMO_ACCESS_LOG='sometimes'"):
        settings_for({"DEMO_ACCESS_LOG": "sometimes"})


class _RaisingStdout:
    """A stream that fails in a way logging's handlers would swallow, but not with OSError."""

    def write(self, text: str) -> int:
        raise RuntimeError("stream exploded")

    def flush(self) -> None:
        return None


def test_any_telemetry_error_leaves_the_request_alone_and_still_ends_the_span(receiver):
    registry = CollectorRegistry()
    app = create_app(
        settings_for({"DEMO_ACCESS_LOG": "all", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                      "OTEL_BSP_SCHEDULE_DELAY": "20"}),
        registry,
        _RaisingStdout(),  # type: ignore[arg-type]
    )
    transport = httpx.ASGITransport(app=app)

    async def run() -> int:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return (await c.get("/nope")).status_code

    assert asyncio.run(run()) == 404
    spans = receiver.wait_for(lambda: [s for s in receiver.spans() if s.name == "GET"])
    assert spans, "the span of the request whose access line failed was never ended"
