"""Redaction of credentials in logs, and the fault API's access rules."""

from __future__ import annotations

import logging

import pytest

from demo_service.redact import REDACTED, redact_text, redact_value
from tests.demo_service.conftest import TOKEN


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("calling upstream with Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("login password=hunter2 for bob", "hunter2"),
        ("cookie: session=s3cr3tcookie", "s3cr3tcookie"),
        ("retry with api_key=AKIA1234567890", "AKIA1234567890"),
        ("header token: tok_live_42", "tok_live_42"),
    ],
)
def test_secret_values_in_free_text_are_masked(text, secret):
    out = redact_text(text)
    assert secret not in out and REDACTED in out


def test_secret_named_fields_are_masked_and_others_kept():
    headers = {"Authorization": "Basic Zm9vOmJhcg==", "Cookie": "a=b", "Accept": "text/html"}
    out = redact_value("headers", headers)
    assert out == {"Authorization": REDACTED, "Cookie": REDACTED, "Accept": "text/html"}
    assert redact_value("client_secret", "xyz") == REDACTED
    assert redact_value("profile_id", 7) == 7


def test_secrets_never_reach_stdout_or_otlp_logs(receiver, start_service):
    svc = start_service({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
    with svc.client():
        logging.getLogger("demo_service.test").warning(
            "upstream call with Authorization: Bearer leaked-token-1",
            extra={"cookie": "sid=leaked-cookie-2", "password": "leaked-pw-3", "user": "bob"},
        )
    stdout = svc.logs.getvalue()
    line = next(r for r in svc.logs.records() if r["logger"] == "demo_service.test")
    assert line["cookie"] == REDACTED and line["password"] == REDACTED and line["user"] == "bob"
    recs = receiver.wait_for(
        lambda: [r for r in receiver.logs() if "upstream call" in r.body.string_value]
    )
    exported = str(recs)
    for leaked in ("leaked-token-1", "leaked-cookie-2", "leaked-pw-3"):
        assert leaked not in stdout and leaked not in exported
    assert "bob" in exported


def test_fault_api_is_404_when_no_token_is_configured(start_service):
    svc = start_service()
    with svc.client() as c:
        assert c.get("/admin/faults").status_code == 404
        r = c.put("/admin/faults", json={"error_rate": 1}, headers={"Authorization": "Bearer x"})
        assert r.status_code == 404
        assert c.get("/profiles").status_code == 200  # and nothing was injected


def test_fault_api_requires_the_token_and_never_logs_it(start_service):
    svc = start_service({"DEMO_FAULT_TOKEN": TOKEN})
    with svc.client() as c:
        assert c.get("/admin/faults").status_code == 401
        assert c.get("/admin/faults", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/admin/faults", headers={"Authorization": TOKEN}).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        bad = c.put("/admin/faults", json={"error_rat": 1}, headers=auth)
        assert bad.status_code == 422 and "error_rat" in bad.text
        assert c.put("/admin/faults", json={"error_rate": 2}, headers=auth).status_code == 422
        r = c.put("/admin/faults", json={"error_rate": 1.0, "latency_seconds": 0.05}, headers=auth)
        assert r.status_code == 200 and r.json()["error_rate"] == 1.0
        assert c.get("/profiles").status_code == 500
        assert c.get("/healthz").status_code == 200  # probes are never faulted
        assert c.delete("/admin/faults", headers=auth).json()["error_rate"] == 0.0
        assert c.get("/profiles").status_code == 200
    assert TOKEN not in svc.logs.getvalue()
    assert any(r["message"].startswith("fault API call refused") for r in svc.logs.records())


def test_upload_streams_with_a_size_limit(start_service):
    svc = start_service({"DEMO_UPLOAD_MAX_BYTES": "1000"})
    with svc.client() as c:
        pid = c.post("/profiles", json={"name": "Fi", "email": "fi@example.org"}).json()["id"]
        ok = c.put(f"/profiles/{pid}/avatar", content=b"x" * 600)
        assert ok.status_code == 200 and ok.json()["avatar_bytes"] == 600

        def chunks():  # no content-length: the limit must hold while streaming
            for _ in range(10):
                yield b"y" * 200

        assert c.put(f"/profiles/{pid}/avatar", content=chunks()).status_code == 413
        assert c.get(f"/profiles/{pid}").json()["avatar_bytes"] == 600


def test_crud_round_trip(start_service):
    svc = start_service()
    with svc.client() as c:
        pid = c.post("/profiles", json={"name": "Gus", "email": "g@example.org"}).json()["id"]
        upd = c.put(f"/profiles/{pid}", json={"name": "Gus", "email": "g@example.org", "bio": "hi"})
        assert upd.json()["bio"] == "hi"
        assert [p["id"] for p in c.get("/profiles/search", params={"q": "Gu"}).json()] == [pid]
        assert c.delete(f"/profiles/{pid}").status_code == 204
        assert c.get(f"/profiles/{pid}").status_code == 404
        assert c.post("/profiles", json={"name": "", "email": "nope"}).status_code == 422
        assert c.get("/docs").status_code == 404  # docs off unless DEMO_ENABLE_DOCS
