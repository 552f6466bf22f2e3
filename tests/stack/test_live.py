"""The stack, live: the pinned binaries (stack/native/build) run with the same config files as
compose (stack/native/), the demo service sending to them.

One request's trace id is followed through everything: the demo service's /metrics exemplar,
Prometheus's exemplar storage, and, through the real Collector and its compose pipelines, the
request's trace in Jaeger and its access log line in VictoriaLogs. Those two stand in for Tempo
and Loki, which are AGPL-licensed modules this project's machines must not use: they prove the
Collector delivers both signals with their trace ids, not that Tempo and Loki store them, and
the LogQL and TraceQL panel queries are not run here (tests/stack checks Loki's and Tempo's
configs statically; README.md, "What is checked where").
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stack.native import nativestack as ns
from stack.native.configs import Layout, collector_config, random_ports
from stack.native.pins import versions
from tests.conftest import require_tool

OPENMETRICS = {"Accept": "application/openmetrics-text; version=1.0.0"}
EXEMPLAR = re.compile(
    r'^http_server_request_duration_seconds_bucket\{[^}]*http_route="/profiles"[^}]*\}'
    r'.*# \{[^}]*trace_id="([0-9a-f]{32})"'
)
COMPONENTS = ["alertmanager", "prometheus", "victorialogs", "jaeger", "otelcol", "demo-service"]


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode(errors="replace")


def eventually(
    probe: Callable[[], Any], timeout: float, what: str, why: Callable[[], Any] = lambda: ""
) -> Any:
    """Poll ``probe`` every half second until it returns something truthy; fail after ``timeout``
    (with ``why()``, what the last attempt saw)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout}s: {why()}")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, generated_build: Path) -> Iterator[Layout]:
    for tool in ("prometheus", "alertmanager", "otelcol", "victoria-logs", "jaeger"):
        require_tool(tool)
    layout = Layout(generated_build, tmp_path_factory.mktemp("native"), random_ports())
    with ns.stack(layout, COMPONENTS):
        yield layout


@pytest.fixture(scope="module")
def traced_request(live: Layout) -> str:
    """One request to the demo service; the trace id its /metrics exemplar carries."""
    status, _ = get(f"{live.url('demo')}/profiles?limit=1")
    assert status == 200
    _, metrics = get(f"{live.url('demo')}/metrics", OPENMETRICS)
    ids = [m.group(1) for line in metrics.splitlines() if (m := EXEMPLAR.match(line))]
    assert ids, "no /profiles bucket carries a trace_id exemplar"
    return ids[-1]


def test_the_real_collector_accepts_its_config(tmp_path: Path) -> None:
    layout = Layout(tmp_path, tmp_path, random_ports())
    config = tmp_path / "otel-collector.yaml"
    config.write_text(collector_config(layout), encoding="utf-8")
    proc = subprocess.run(
        [require_tool("otelcol"), "validate", f"--config={config}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_real_collector_rejects_an_exporter_it_does_not_have(tmp_path: Path) -> None:
    layout = Layout(tmp_path, tmp_path, random_ports())
    config = tmp_path / "otel-collector.yaml"
    text = collector_config(layout).replace("otlp_http/loki", "lokiexporter/loki")
    config.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [require_tool("otelcol"), "validate", f"--config={config}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "lokiexporter" in proc.stdout + proc.stderr


def test_every_component_runs_the_pinned_release(live: Layout) -> None:
    pinned = versions()
    _, build = get(f"{live.url('prometheus')}/api/v1/status/buildinfo")
    assert json.loads(build)["data"]["version"] == pinned["PROMETHEUS_VERSION"]
    _, status = get(f"{live.url('alertmanager')}/api/v2/status")
    assert json.loads(status)["versionInfo"]["version"] == pinned["ALERTMANAGER_VERSION"]
    _, metrics = get(f"{live.url('victorialogs')}/metrics")
    assert f'vm_app_version{{version="victoria-logs-v{pinned["VICTORIALOGS_VERSION"]}"' in metrics
    _, metrics = get(f"{live.url('jaeger_metrics')}/metrics")
    assert f'service_version="v{pinned["JAEGER_VERSION"]}"' in metrics


def test_prometheus_loads_the_generated_rules_and_scrapes_every_target(live: Layout) -> None:
    _, rules = get(f"{live.url('prometheus')}/api/v1/rules")
    groups = json.loads(rules)["data"]["groups"]
    assert groups and all(g["rules"] for g in groups)
    assert all(r["health"] != "err" for g in groups for r in g["rules"]), groups
    jobs = {"profiles", "otel-collector", "jaeger", "victoria-logs", "alertmanager", "prometheus"}
    last: list[dict[str, Any]] = []

    def scraped() -> bool:
        _, body = get(f"{live.url('prometheus')}/api/v1/targets")
        last[:] = json.loads(body)["data"]["activeTargets"]
        return jobs <= {t["labels"]["job"] for t in last if t["health"] == "up"}

    eventually(scraped, 40, f"Prometheus did not scrape all of {sorted(jobs)}", lambda: last)


def test_prometheus_keeps_the_exemplar_of_a_request(live: Layout, traced_request: str) -> None:
    def exemplars() -> bool:
        query = urllib.parse.urlencode(
            {
                "query": "http_server_request_duration_seconds_bucket",
                "start": time.time() - 600,
                "end": time.time() + 60,
            }
        )
        _, body = get(f"{live.url('prometheus')}/api/v1/query_exemplars?{query}")
        return traced_request in body

    eventually(exemplars, 40, f"Prometheus held no exemplar with trace_id {traced_request}")


def _attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    """OTLP JSON ``[{"key": k, "value": {"stringValue": v}}]`` -> ``{k: v}``."""
    return {a["key"]: next(iter(a["value"].values()), None) for a in items}


def test_the_trace_of_a_request_reaches_jaeger_by_its_trace_id(
    live: Layout, traced_request: str
) -> None:
    """The Collector's traces pipeline (compose's, exporter ``otlp_grpc/tempo``) delivers the
    demo's spans of the request whose exemplar Prometheus holds."""
    last: list[str] = []

    def spans() -> list[tuple[dict[str, Any], dict[str, Any]]]:
        status, body = get(f"{live.url('jaeger_query')}/api/v3/traces/{traced_request}")
        last[:] = [f"{status} {body[:500]}"]
        if status != 200:  # 404 until the Collector's batch arrives
            return []
        return [
            (_attributes(rs["resource"]["attributes"]), span)
            for rs in json.loads(body)["result"]["resourceSpans"]
            for ss in rs["scopeSpans"]
            for span in ss["spans"]
        ]

    found = eventually(spans, 40, f"Jaeger has no trace {traced_request}", lambda: last)
    assert {resource["service.name"] for resource, _ in found} == {"profiles"}
    assert {span["traceId"] for _, span in found} == {traced_request}
    server = [s for _, s in found if s["kind"] in (2, "SPAN_KIND_SERVER")]
    assert len(server) == 1, found
    attributes = _attributes(server[0]["attributes"])
    assert attributes["http.route"] == "/profiles", attributes
    assert str(attributes["http.response.status_code"]) == "200", attributes


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def test_the_access_log_line_of_a_request_reaches_victorialogs_by_its_trace_id(
    live: Layout, traced_request: str
) -> None:
    """The Collector's logs pipeline (compose's, exporter ``otlp_http/loki``) delivers the
    request's access line; VictoriaLogs files the OTLP record's trace id as the field
    ``trace_id`` and its body, the demo's JSON line, as the message ``_msg``."""
    last: list[str] = []

    def records() -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"query": f'trace_id:="{traced_request}"', "limit": "20"})
        status, body = get(f"{live.url('victorialogs')}/select/logsql/query?{query}")
        assert status == 200, body
        last[:] = [body[:2000]]
        return [json.loads(line) for line in body.splitlines() if line.strip()]

    found = eventually(
        records, 40, f"VictoriaLogs has no record with trace_id {traced_request}", lambda: last
    )
    access = [r for r in found if _json(r["_msg"]).get("logger") == "demo_service.access"]
    assert len(access) == 1, found
    record, line = access[0], _json(access[0]["_msg"])
    assert line["message"] == "GET /profiles 200" and line["level"] == "info", line
    # The fields the debug dashboard's LogQL reads with `| json` are in the stored body.
    assert line["trace_id"] == record["trace_id"] == traced_request
    assert line["span_id"] == record["span_id"]
    assert record["service.name"] == "profiles"  # what Loki's OTLP ingest makes `service_name`
    assert record["severity_text"] == "INFO"


def test_verify_runs_every_prometheus_query_live_and_skips_log_and_trace_panels(
    live: Layout, traced_request: str, generated_build: Path
) -> None:
    """`obsgen verify --build` on the stack: every panel and rule query has data or is honestly
    empty, none is "no data" or an error. Its LogQL and TraceQL panels need Loki and Tempo,
    which do not run here: without --loki / --tempo they are reported as skipped, not passed."""
    from click.testing import CliRunner

    from obsgen.cli import main

    last: list[dict[str, Any]] = []

    def rows() -> list[dict[str, Any]] | None:
        # Traffic between scrapes, so the SLI rates are not zero: an idle service's ratios
        # have no sample at all, by design.
        for _ in range(10):
            get(f"{live.url('demo')}/profiles?limit=1")
        result = CliRunner().invoke(
            main,
            [
                "verify",
                "--build",
                str(generated_build),
                "--prometheus",
                live.url("prometheus"),
                "--rate-interval",
                "1m",
                "--json",
            ],
        )
        found = json.loads(result.stdout)["results"]
        bad = [r for r in found if r["status"] in ("no data", "error")]
        last[:] = bad
        return None if bad else found

    found = eventually(rows, 120, "obsgen verify without 'no data' or 'error'", lambda: last)
    by_backend: dict[str, set[str]] = {}
    for row in found:
        by_backend.setdefault(row["backend"], set()).add(row["status"])
    assert by_backend["prometheus"] <= {"data", "empty"}
    assert "data" in by_backend["prometheus"]
    assert by_backend["loki"] == {"skipped"} and by_backend["tempo"] == {"skipped"}, by_backend
