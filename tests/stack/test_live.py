"""The stack, live: the pinned binaries (stack/native/build) run with the same config files as
compose (stack/native/nativestack.py), the demo service sending to them.

One request's trace id is followed through everything: the demo service's /metrics exemplar,
Prometheus's exemplar storage, the Collector, and Loki (its access log line). Tempo is not here:
its release tag is not a Go module version the proxy serves (see stack/native/versions), so the
Collector's trace exporter has nothing to send to, which must not disturb the logs pipeline.
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
from tests.conftest import require_tool

OPENMETRICS = {"Accept": "application/openmetrics-text; version=1.0.0"}
EXEMPLAR = re.compile(
    r'^http_server_request_duration_seconds_bucket\{[^}]*http_route="/profiles"[^}]*\}'
    r'.*# \{[^}]*trace_id="([0-9a-f]{32})"'
)
COMPONENTS = ["alertmanager", "prometheus", "loki", "otelcol", "demo-service"]


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
def live(tmp_path_factory: pytest.TempPathFactory, generated_build: Path) -> Iterator[ns.Layout]:
    for tool in ("prometheus", "alertmanager", "otelcol", "loki"):
        require_tool(tool)
    layout = ns.Layout(generated_build, tmp_path_factory.mktemp("native"), ns.random_ports())
    with ns.stack(layout, COMPONENTS):
        yield layout


@pytest.fixture(scope="module")
def traced_request(live: ns.Layout) -> str:
    """One request to the demo service; the trace id its /metrics exemplar carries."""
    status, _ = get(f"{live.url('demo')}/profiles?limit=1")
    assert status == 200
    _, metrics = get(f"{live.url('demo')}/metrics", OPENMETRICS)
    ids = [m.group(1) for line in metrics.splitlines() if (m := EXEMPLAR.match(line))]
    assert ids, "no /profiles bucket carries a trace_id exemplar"
    return ids[-1]


def test_the_real_collector_accepts_its_config(tmp_path: Path) -> None:
    layout = ns.Layout(tmp_path, tmp_path, ns.random_ports())
    config = tmp_path / "otel-collector.yaml"
    config.write_text(ns.collector_config(layout), encoding="utf-8")
    proc = subprocess.run(
        [require_tool("otelcol"), "validate", f"--config={config}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_real_collector_rejects_an_exporter_it_does_not_have(tmp_path: Path) -> None:
    layout = ns.Layout(tmp_path, tmp_path, ns.random_ports())
    config = tmp_path / "otel-collector.yaml"
    text = ns.collector_config(layout).replace("otlp_http/loki", "lokiexporter/loki")
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


def test_every_component_runs_the_pinned_release(live: ns.Layout) -> None:
    _, build = get(f"{live.url('prometheus')}/api/v1/status/buildinfo")
    assert json.loads(build)["data"]["version"] == ns.versions()["PROMETHEUS_VERSION"]
    _, status = get(f"{live.url('alertmanager')}/api/v2/status")
    assert json.loads(status)["versionInfo"]["version"] == ns.versions()["ALERTMANAGER_VERSION"]
    _, loki = get(f"{live.url('loki')}/loki/api/v1/status/buildinfo")
    assert json.loads(loki)["version"] == ns.versions()["LOKI_VERSION"]


def test_prometheus_loads_the_generated_rules_and_scrapes_every_target(live: ns.Layout) -> None:
    _, rules = get(f"{live.url('prometheus')}/api/v1/rules")
    groups = json.loads(rules)["data"]["groups"]
    assert groups and all(g["rules"] for g in groups)
    assert all(r["health"] != "err" for g in groups for r in g["rules"]), groups

    def scraped() -> list[dict[str, Any]] | None:
        _, body = get(f"{live.url('prometheus')}/api/v1/targets")
        targets = json.loads(body)["data"]["activeTargets"]
        up = {t["labels"]["job"] for t in targets if t["health"] == "up"}
        return targets if {"profiles", "otel-collector", "loki", "alertmanager"} <= up else None

    eventually(
        scraped, 40, "Prometheus did not scrape the demo service, Collector, Loki and itself"
    )


def test_prometheus_keeps_the_exemplar_of_a_request(live: ns.Layout, traced_request: str) -> None:
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


def test_the_access_log_line_of_a_request_reaches_loki_by_its_trace_id(
    live: ns.Layout, traced_request: str
) -> None:
    def found() -> list[Any]:
        query = urllib.parse.urlencode(
            {
                "query": f'{{service_name="profiles"}} | trace_id="{traced_request}"',
                "start": str(int((time.time() - 600) * 1e9)),
                "end": str(int((time.time() + 60) * 1e9)),
                "limit": "10",
            }
        )
        status, body = get(f"{live.url('loki')}/loki/api/v1/query_range?{query}")
        assert status == 200, body
        return [v for stream in json.loads(body)["data"]["result"] for v in stream["values"]]

    lines = eventually(found, 40, f"Loki has no log line with trace_id {traced_request}")
    assert any("/profiles" in line for _, line in lines), lines


def test_verify_finds_every_prometheus_and_loki_query_live(
    live: ns.Layout, traced_request: str, generated_build: Path
) -> None:
    """`obsgen verify --build` on the stack: every panel and rule query has data or is honestly
    empty (an error-level log filter on a healthy service), none is "no data" or an error.
    Trace panels are skipped: there is no Tempo (see the module docstring)."""
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
                "--loki",
                live.url("loki"),
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
    loki = [r for r in found if r["backend"] == "loki"]
    assert loki and {r["status"] for r in loki} <= {"data", "empty"}
    assert any(r["status"] == "data" for r in loki), loki
