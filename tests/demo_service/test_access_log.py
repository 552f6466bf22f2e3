"""The per-request access line: stdout JSON and OTLP record, same text, counted, level-gated."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from typing import Any

import httpx
import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs as sdk_encode_logs
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import INVALID_SPAN, set_span_in_context
from prometheus_client import CollectorRegistry

from demo_service import otlp_wire
from demo_service.access_log import LOGGER_NAME, OTLP_SCOPE, AccessLog
from demo_service.app import create_app
from demo_service.metrics import ServiceMetrics
from demo_service.middleware import TelemetryMiddleware
from demo_service.otlp_wire import LogLine, severity
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
        settings_for(
            {
                "DEMO_ACCESS_LOG": "all",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "20",
            }
        ),
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


@pytest.mark.parametrize(
    ("status", "in_span"),
    [
        pytest.param(200, True, id="an info line in a sampled span encodes as the SDK's emit"),
        pytest.param(503, True, id="an error line encodes as the SDK's emit"),
        pytest.param(200, False, id="a line without a trace encodes as the SDK's emit"),
    ],
)
def test_the_access_record_is_the_record_the_sdk_would_have_emitted(
    status: int, in_span: bool
) -> None:
    """The access line's LogLine bypasses Logger.emit for speed; what leaves the process must
    not change.
    Oracle: the SDK's own emit of the same line (the call AccessLog made before), encoded by the
    SDK's encoder."""
    resource = Resource.create({"service.name": "profiles", "service.version": "1.2.3"})
    provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    emitted: list[Any] = []

    class Keep(LogRecordProcessor):
        def on_emit(self, log_record: Any) -> None:
            emitted.append(log_record)

        def shutdown(self) -> None:
            return None

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            return True

    provider.add_log_record_processor(Keep())
    tracer = TracerProvider(resource=resource).get_tracer("demo_service")
    span = tracer.start_span("GET /x") if in_span else INVALID_SPAN
    ctx = span.get_span_context()
    error = status >= 500
    line = f'{{"message": "GET /x {status}"}}'
    attrs = {
        "logger.name": LOGGER_NAME,
        "request_id": "r-1",
        "http_status": status,
        "duration_ms": 1.25,
    }
    now = time.time_ns()
    provider.get_logger("demo_service").emit(
        timestamp=now,
        observed_timestamp=now,
        context=set_span_in_context(span),
        severity_number=SeverityNumber.ERROR if error else SeverityNumber.INFO,
        severity_text=logging.getLevelName(logging.ERROR if error else logging.INFO),
        body=line,
        attributes=dict(attrs),
    )
    level = severity(SeverityNumber.ERROR if error else SeverityNumber.INFO)
    ours = LogLine(resource, OTLP_SCOPE, now, level, line, dict(attrs), ctx)
    expected = sdk_encode_logs(emitted).SerializeToString()
    assert otlp_wire.encode_logs([ours]) == expected
    # and next to SDK records of the same logger, both land under one resource and scope
    both = otlp_wire.encode_logs([emitted[0], ours])
    assert both == sdk_encode_logs([emitted[0], emitted[0]]).SerializeToString()


@pytest.mark.parametrize(
    ("method", "route", "status", "duration_ms", "request_id", "in_span"),
    [
        pytest.param("GET", "/profiles/{profile_id}", 200, 4.56, "0123456789abcdef", True),
        pytest.param("_OTHER", "unmatched", 404, 0.0, "req-1", True),
        pytest.param("POST", '/caf\u00e9/"quoted"\\{x}', 503, 1234.5, "r", True),
        pytest.param("DELETE", "/x", 500, 1e-05, '\u00e9\u2028\n"', False),
    ],
)
def test_the_line_is_what_json_dumps_writes_for_the_same_fields(
    method: str, route: str, status: int, duration_ms: float, request_id: str, in_span: bool
) -> None:
    """The line is assembled from parts encoded once per method, route and status; it must be
    byte for byte the json.dumps of the documented fields (what it was built with before)."""
    stream = io.StringIO()
    logger = logging.getLogger(LOGGER_NAME)
    level = logger.level
    logger.setLevel(logging.INFO)
    access = AccessLog(stream, ServiceMetrics(CollectorRegistry()))
    span = TracerProvider().get_tracer("t").start_span("x") if in_span else INVALID_SPAN
    ctx = span.get_span_context()
    try:
        for _ in range(2):  # the second line comes from the cached parts
            access.write(method, route, status, duration_ms, ctx, request_id)
    finally:
        logger.setLevel(level)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    for line in lines:
        doc = json.loads(line)
        assert list(doc) == [
            "timestamp",
            "level",
            "message",
            "logger",
            "trace_id",
            "span_id",
            "request_id",
            "http_status",
            "duration_ms",
        ]
        assert doc["message"] == f"{method} {route} {status}"
        assert doc["level"] == ("error" if status >= 500 else "info")
        assert doc["trace_id"] == (format(ctx.trace_id, "032x") if in_span else "")
        assert (doc["request_id"], doc["http_status"], doc["duration_ms"]) == (
            request_id,
            status,
            duration_ms,
        )
        assert line == json.dumps(doc)
