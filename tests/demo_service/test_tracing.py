"""Spans and logs as an OTLP collector receives them (a real gRPC receiver, official stubs)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from opentelemetry.proto.trace.v1 import trace_pb2

from demo_service.tracing import _root_sampler
from tests.demo_service.conftest import body, message

SERVER = trace_pb2.Span.SPAN_KIND_SERVER
CLIENT = trace_pb2.Span.SPAN_KIND_CLIENT
INCOMING_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING_PARENT = "00f067aa0ba902b7"


def _attrs(item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in item.attributes:
        v = kv.value
        out[kv.key] = (
            v.string_value
            if v.HasField("string_value")
            else (v.int_value if v.HasField("int_value") else v.bool_value)
        )
    return out


def _of_trace(spans: list[Any], trace_hex: str) -> list[Any]:
    return [s for s in spans if s.trace_id.hex() == trace_hex]


def test_request_yields_one_server_span_with_db_children(receiver, start_service):
    svc = start_service({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
    with svc.client() as c:
        pid = c.post("/profiles", json={"name": "Cy", "email": "cy@example.org"}).json()["id"]
        r = c.get(
            f"/profiles/{pid}",
            headers={
                "traceparent": f"00-{INCOMING_TRACE}-{INCOMING_PARENT}-01",
            },
        )
    assert r.headers["traceparent"].split("-")[1] == INCOMING_TRACE  # W3C context out
    receiver.wait_for(lambda: len(_of_trace(receiver.spans(), INCOMING_TRACE)) >= 2)
    time.sleep(0.1)  # anything extra (a second server span) would arrive in this window
    mine = _of_trace(receiver.spans(), INCOMING_TRACE)
    server = [s for s in mine if s.kind == SERVER]
    assert len(server) == 1, "exactly one server span (FastAPI's own telemetry must stay off)"
    span = server[0]
    assert span.name == "GET /profiles/{profile_id}"
    assert span.parent_span_id.hex() == INCOMING_PARENT
    attrs = _attrs(span)
    assert attrs["http.request.method"] == "GET"
    assert attrs["http.route"] == "/profiles/{profile_id}"
    assert attrs["http.response.status_code"] == 200
    assert "url.path" not in attrs  # the raw path may carry secrets (issue 14)
    children = [s for s in mine if s.kind == CLIENT]
    assert [c.name for c in children] == ["SELECT profiles"]
    assert children[0].parent_span_id == span.span_id
    assert _attrs(children[0])["db.system.name"] == "sqlite"
    assert len(mine) == 2, [s.name for s in mine]
    assert receiver.resource_attrs()["service.name"] == "profiles"


def test_background_job_span_joins_the_request_trace(receiver, start_service):
    svc = start_service({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
    with svc.client() as c:
        r = c.post("/profiles", json={"name": "Di", "email": "di@example.org"})
    trace_hex = r.headers["traceparent"].split("-")[1]

    def job() -> list[Any]:
        return [s for s in _of_trace(receiver.spans(), trace_hex) if s.name.startswith("job ")]

    jobs = receiver.wait_for(job)
    assert len(jobs) == 1
    server = next(s for s in _of_trace(receiver.spans(), trace_hex) if s.kind == SERVER)
    assert server.name == "POST /profiles"
    assert jobs[0].name == "job welcome_email"
    assert jobs[0].parent_span_id == server.span_id
    assert [l.span_id for l in jobs[0].links] == [server.span_id]


def test_5xx_marks_the_server_span_as_error(receiver, start_service):
    from tests.demo_service.conftest import TOKEN

    svc = start_service(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "DEMO_FAULT_TOKEN": TOKEN,
        }
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with svc.client() as c:
        c.put("/admin/faults", json={"error_rate": 1.0}, headers=auth)
        r = c.get("/profiles")
        ok = c.get("/healthz")
        c.delete("/admin/faults", headers=auth)
    assert r.status_code == 500 and ok.status_code == 200
    trace_hex = r.headers["traceparent"].split("-")[1]
    spans = receiver.wait_for(lambda: _of_trace(receiver.spans(), trace_hex))
    assert spans[0].status.code == trace_pb2.Status.STATUS_CODE_ERROR
    assert _attrs(spans[0])["http.response.status_code"] == 500


def test_log_records_carry_trace_and_request_ids_in_stdout_and_otlp(receiver, start_service):
    svc = start_service({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
    with svc.client() as c:
        r = c.post(
            "/profiles",
            json={"name": "Ed", "email": "ed@example.org"},
            headers={"X-Request-ID": "req-abc-123"},
        )
    assert r.headers["x-request-id"] == "req-abc-123"
    trace_hex = r.headers["traceparent"].split("-")[1]
    created = [l for l in svc.logs.records() if l["message"] == "profile created"]
    assert len(created) == 1
    line = created[0]
    assert line["trace_id"] == trace_hex and len(line["span_id"]) == 16
    assert line["request_id"] == "req-abc-123"
    assert {"timestamp", "level", "message", "logger"} <= set(line)

    def exported() -> list[Any]:
        return [l for l in receiver.logs() if message(l) == "profile created"]

    recs = receiver.wait_for(exported)
    assert len(recs) == 1
    assert recs[0].trace_id.hex() == trace_hex
    # The body is the stdout JSON line, so Loki's `| json` finds level and trace_id in it.
    assert body(recs[0])["level"] == "info" and body(recs[0])["trace_id"] == trace_hex
    assert recs[0].severity_text == "INFO"
    assert recs[0].span_id.hex() == line["span_id"]
    assert _attrs(recs[0])["request_id"] == "req-abc-123"
    # The job's log line is in the same trace, with the same request id.
    sent = receiver.wait_for(
        lambda: [l for l in receiver.logs() if message(l) == "welcome email sent"]
    )
    assert sent[0].trace_id.hex() == trace_hex
    assert receiver.wait_for(
        lambda: svc.sample("otel_export_exported_total", {"signal": "traces"}) >= 1
    )
    # ... and the same trace id is the exemplar on the request's histogram bucket.
    om = httpx.get(f"{svc.url}/metrics", headers={"Accept": "application/openmetrics-text"}).text
    assert any(
        'http_route="/profiles"' in l and f'trace_id="{trace_hex}"' in l for l in om.splitlines()
    )
    spans = receiver.wait_for(lambda: _of_trace(receiver.spans(), trace_hex))
    assert any(s.kind == SERVER for s in spans)


NATIVE_CHECK = """
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from demo_service.app import create_app
from demo_service.settings import Settings

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)  # what switches FastAPI's built-in telemetry on
with TestClient(create_app(Settings.from_env({}))) as client:
    assert client.get("/profiles").status_code == 200
print("GLOBAL_SPANS", len(exporter.get_finished_spans()))
"""


def test_fastapi_native_telemetry_stays_off_even_with_a_global_provider():
    import subprocess
    import sys

    from tests.demo_service.conftest import ROOT

    out = subprocess.run(
        [sys.executable, "-c", NATIVE_CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "GLOBAL_SPANS 0" in out.stdout, out.stdout + out.stderr


def test_sampling_ratio_zero_exports_no_spans_but_serves(receiver, start_service):
    svc = start_service(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_TRACES_SAMPLER_ARG": "0",
        }
    )
    with svc.client() as c:
        assert all(c.get("/profiles").status_code == 200 for _ in range(5))
        time.sleep(0.3)
        om = c.get("/metrics", headers={"Accept": "application/openmetrics-text"}).text
    assert receiver.spans() == []
    assert "trace_id" not in om  # unsampled requests leave no exemplar pointing nowhere


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        pytest.param(1.0, "AlwaysOnSampler", id="ratio 1 samples every root without arithmetic"),
        pytest.param(0.25, "TraceIdRatioBased{0.25}", id="a ratio below 1 keeps the ratio"),
        pytest.param(0.0, "TraceIdRatioBased{0.0}", id="ratio 0 samples no root"),
    ],
)
def test_root_sampler_follows_the_ratio(ratio: float, expected: str) -> None:
    assert _root_sampler(ratio).get_description() == expected


def test_db_spans_are_not_built_under_an_unsampled_parent_and_stay_roots_without_one() -> None:
    """The DB skips a span the parent-based sampler would drop anyway; nothing else."""
    from opentelemetry import context, trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    from demo_service.db import _unsampled_parent

    def under(span: Any) -> bool:
        token = context.attach(trace.set_span_in_context(span))
        try:
            return _unsampled_parent()
        finally:
            context.detach(token)

    def upstream(flags: int) -> Any:
        return NonRecordingSpan(SpanContext(1, 2, is_remote=True, trace_flags=TraceFlags(flags)))

    assert not _unsampled_parent()  # a query outside any request: a root, sampled as usual
    assert under(upstream(0))
    assert not under(upstream(1))
    assert not under(TracerProvider().get_tracer("t").start_span("recording"))


def test_an_unsampled_upstream_request_is_served_and_exports_no_span(receiver, start_service):
    svc = start_service({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
    with svc.client() as c:
        pid = c.post("/profiles", json={"name": "Un", "email": "un@example.org"}).json()["id"]
        r = c.get(
            f"/profiles/{pid}", headers={"traceparent": f"00-{INCOMING_TRACE}-{INCOMING_PARENT}-00"}
        )
        assert r.status_code == 200
        time.sleep(0.3)
    assert _of_trace(receiver.spans(), INCOMING_TRACE) == []
