"""The Prometheus exposition: names from the convention, bounded labels, exemplars, runtime."""

from __future__ import annotations

import re
import time
import uuid
from typing import get_type_hints

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from demo_service.metrics import RUNTIME, ServiceMetrics
from obsgen.conventions import DB_STATE_LABEL, DEMO_SERVICE, LOG_LEVEL_LABEL, OTEL
from tests.demo_service.conftest import TOKEN

RT = DEMO_SERVICE.runtime
OPENMETRICS = {"Accept": "application/openmetrics-text; version=1.0.0"}


def _series(text: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {
        (s.name, tuple(sorted(s.labels.items())))
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_every_convention_metric_is_exposed_under_its_contract_name(start_service):
    svc = start_service()
    with svc.client() as c:
        assert (
            c.post("/profiles", json={"name": "Ada", "email": "ada@example.org"}).status_code == 201
        )
        time.sleep(0.2)  # let the job run and the lag monitor sample
        text = c.get("/metrics").text
    names = {fam.name for fam in text_string_to_metric_families(text)}
    expected = {
        OTEL.duration_histogram,
        OTEL.active_requests,
        RT.event_loop_lag,
        RT.db_connection_count,
        RT.db_connection_max,
        RT.db_connection_pending,
        RT.db_connection_wait_time,
        RT.db_operation_duration,
        RT.queue_depth,
        RT.queue_capacity,
        RT.job_duration,
        RT.build_info,
        RT.startup_duration,
        RT.process_resident_memory,
        RT.process_start_time,
    }
    # The text parser strips `_total` from counter family names.
    counters = {RT.jobs, RT.log_records, RT.telemetry_dropped, RT.process_cpu_seconds}
    missing = expected - names
    missing |= {c for c in counters if c.removesuffix("_total") not in names}
    assert not missing, f"not exposed: {sorted(missing)}"
    assert f'{RT.jobs}{{outcome="success"}} 1.0' in text
    assert f'{RT.db_connection_count}{{{DB_STATE_LABEL}="idle"}}' in text
    assert re.search(rf'{RT.build_info}{{commit="[^"]+",version="[^"]+"}} 1.0', text)
    assert svc.sample(RT.startup_duration) > 0
    assert svc.sample(RT.log_records, {LOG_LEVEL_LABEL: "info"}) >= 1  # "started", "created"


def test_request_histogram_uses_route_template_method_and_status(start_service):
    svc = start_service()
    with svc.client() as c:
        pid = c.post("/profiles", json={"name": "Bo", "email": "bo@example.org"}).json()["id"]
        c.get(f"/profiles/{pid}")
        c.get("/profiles/999999")
    labels = {
        OTEL.route_label: "/profiles/{profile_id}",
        OTEL.method_label: "GET",
        OTEL.status_label: "200",
    }
    assert svc.sample(OTEL.count(), labels) == 1
    assert svc.sample(OTEL.count(), {**labels, OTEL.status_label: "404"}) == 1
    buckets = [
        float(s.labels["le"])
        for fam in svc.registry.collect()
        if fam.name == OTEL.duration_histogram
        for s in fam.samples
        if s.name == OTEL.bucket()
        and s.labels[OTEL.route_label] == "/profiles/{profile_id}"
        and s.labels[OTEL.status_label] == "200"
    ]
    assert tuple(b for b in buckets if b != float("inf")) == OTEL.buckets


def test_random_url_flood_adds_zero_series(start_service):
    svc = start_service()
    with svc.client() as c:
        c.get("/no-such-thing")  # creates the one `unmatched` series
        c.get("/metrics")  # and the scrape's own series
        before = _series(c.get("/metrics").text)
        for _ in range(200):
            c.get(f"/{uuid.uuid4().hex}/{uuid.uuid4().hex}")
        c.request("BREW", f"/{uuid.uuid4().hex}")  # unknown method collapses too
        c.request("BREW", f"/{uuid.uuid4().hex}")
        after = _series(c.get("/metrics").text)
    http_new = {s for s in after - before if s[0].startswith(OTEL.duration_histogram)}
    # Only the one `_OTHER` method series set may appear; no path ever becomes a label value.
    assert all(dict(s[1]).get(OTEL.method_label) == "_OTHER" for s in http_new), http_new
    assert (
        svc.sample(
            OTEL.count(),
            {
                OTEL.route_label: OTEL.unmatched_route,
                OTEL.method_label: "GET",
                OTEL.status_label: "404",
            },
        )
        == 201
    )
    assert not any(v.startswith("/") and len(v) > 30 for _, labels in after for _, v in labels), (
        "a raw path leaked into a label"
    )


def test_exemplar_carries_the_trace_id_of_the_request(start_service):
    svc = start_service()
    with svc.client() as c:
        r = c.get("/profiles", params={"limit": 1})
        trace_id = r.headers["traceparent"].split("-")[1]
        om = c.get("/metrics", headers=OPENMETRICS)
        plain = c.get("/metrics").text
    assert om.headers["content-type"].startswith("application/openmetrics-text")
    line = next(
        l
        for l in om.text.splitlines()
        if l.startswith(OTEL.bucket()) and 'http_route="/profiles"' in l and "# {" in l
    )
    assert f'trace_id="{trace_id}"' in line
    assert "trace_id" not in plain  # classic text format cannot carry exemplars


def test_blocked_event_loop_shows_as_a_large_lag_sample(start_service):
    svc = start_service({"DEMO_FAULT_TOKEN": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with svc.client() as c:
        assert (
            c.put("/admin/faults", json={"loop_block_seconds": 0.4}, headers=auth).status_code
            == 200
        )
        c.get("/profiles")
        c.delete("/admin/faults", headers=auth)
        time.sleep(0.15)
    big = svc.sample(f"{RT.event_loop_lag}_count") - svc.sample(
        f"{RT.event_loop_lag}_bucket", {"le": "0.25"}
    )
    assert big >= 1, "a 0.4 s block must land above the 0.25 s lag bucket"


def test_db_outage_fails_requests_with_5xx_and_shows_pool_waiters(start_service):
    svc = start_service(
        {
            "DEMO_FAULT_TOKEN": TOKEN,
            "DEMO_DB_POOL_SIZE": "2",
            "DEMO_DB_ACQUIRE_TIMEOUT": "0.3",
        }
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    import concurrent.futures as cf

    with svc.client() as c:
        c.put(
            "/admin/faults", json={"db_outage": True, "db_outage_hang_seconds": 0.4}, headers=auth
        )
        with cf.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: svc.client().get("/profiles/1").status_code, range(8)))
        ready = c.get("/readyz").status_code
        c.delete("/admin/faults", headers=auth)
        healed = c.get("/readyz").status_code
    assert codes and all(code == 503 for code in codes), codes
    assert ready == 503 and healed == 200
    assert svc.sample(f"{RT.db_connection_wait_time}_bucket", {"le": "0.25"}) < svc.sample(
        f"{RT.db_connection_wait_time}_count"
    ), "some requests must have waited for a connection"


def test_probes_and_scrapes_stay_out_of_the_request_histogram(start_service):
    """A readiness 503 while draining is not a server error: it must not burn SLO budget."""
    svc = start_service()
    with svc.client() as c:
        c.get("/healthz")
        svc.app.state.runtime.start_draining()
        assert c.get("/readyz").status_code == 503
        c.get("/metrics")
        assert c.get("/profiles").status_code == 200  # still served while draining
    routes = {
        s.labels[OTEL.route_label]
        for fam in svc.registry.collect()
        for s in fam.samples
        if s.name == OTEL.count()
    }
    assert routes == {"/profiles"}


def test_every_declared_instrument_is_created_with_its_kind_and_presets():
    """ServiceMetrics builds its runtime instruments from a table: none may be missed."""
    registry = CollectorRegistry()
    metrics = ServiceMetrics(registry)
    declared = get_type_hints(ServiceMetrics)
    assert len(declared) == 2 + len(RUNTIME)
    for attr, kind in declared.items():
        assert isinstance(getattr(metrics, attr), kind), attr
    assert registry.get_sample_value(f"{RT.telemetry_exported}", {"signal": "logs"}) == 0.0
    assert registry.get_sample_value(f"{RT.jobs}", {"outcome": "dropped"}) == 0.0
