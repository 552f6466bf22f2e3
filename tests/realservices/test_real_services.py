"""obsgen on services instrumented by third-party libraries, not by obsgen's demo.

Each app runs under real uvicorn with the library's defaults, real Prometheus scrapes it and
loads the rules `obsgen build` made from a plain preset spec, and `obsgen verify` must find
data (or an honest "empty") for every panel and rule: a query that finds no data on such a
service is a bug. Every recording rule must produce series, and a burst of 5xx must fire the
availability page.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from obsgen.build import build
from obsgen.cli import main
from obsgen.durations import parse_duration
from obsgen.spec import load_file
from tests.conftest import require_module
from tests.harness.processes import PrometheusServer, free_port, prometheus, running

SPEC = """\
apiVersion: obsgen/v1
services:
  - name: orders
    convention: {preset}
    slos:
      - {{name: availability, type: availability, objective: 99.9, period: 30d}}
      - {{name: latency, type: latency, objective: 99, threshold_seconds: 0.5, period: 30d}}
"""
PRESETS = {"instrumentator": "prometheus-fastapi-instrumentator", "otel-prometheus": "otel"}
MODULES = {
    "instrumentator": "prometheus_fastapi_instrumentator",
    "otel-prometheus": "opentelemetry.exporter.prometheus",
}
FAIL_EVERY = 4  # a quarter of POST /orders fail with 503: a 12.5% overall error ratio
PAGE = "AvailabilityErrorBudgetBurnPageFast"


def _traffic(base: str, stop: threading.Event) -> None:
    """User traffic with some 5xx, a 404 and probes, until ``stop`` (bounded by the test)."""
    requests = [
        ("POST", "/orders"),
        ("GET", "/items/7"),
        ("GET", "/no-such-page"),
        ("GET", "/healthz"),
    ]
    while not stop.is_set():
        for method, path in requests:
            request = urllib.request.Request(
                base + path, method=method, data=b"" if method == "POST" else None
            )
            try:
                urllib.request.urlopen(request, timeout=2).close()
            except OSError:
                pass  # 4xx/5xx are the point
        stop.wait(0.05)


@pytest.fixture(scope="module", params=list(PRESETS))
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, PrometheusServer, dict[str, bytes]]]:
    kind = request.param
    require_module(MODULES[kind], "test")
    workdir = tmp_path_factory.mktemp(kind)
    spec = workdir / "obsgen.yaml"
    spec.write_text(SPEC.format(preset=PRESETS[kind]))
    tree = build(load_file(spec)).tree
    rules = []
    for path, content in tree.items():
        if path.startswith("prometheus/rules/"):
            rules.append(workdir / Path(path).name)
            rules[-1].write_bytes(content)
    port = free_port()
    app = ["python3", "-m", "tests.realservices.apps", kind, str(port)]
    stop = threading.Event()
    with (
        running(
            app,
            workdir / "app.log",
            f"http://127.0.0.1:{port}/healthz",
            env={"FAIL_EVERY": str(FAIL_EVERY)},
        ),
        prometheus(workdir / "prom", {"orders": f"127.0.0.1:{port}"}, rules) as prom,
    ):
        thread = threading.Thread(
            target=_traffic, args=(f"http://127.0.0.1:{port}", stop), daemon=True
        )
        thread.start()
        try:
            yield spec, prom, tree
        finally:
            stop.set()
            thread.join(10)


def _recorded(tree: dict[str, bytes]) -> list[str]:
    """A selector per recording rule: its record name and its own labels (service, slo)."""
    return sorted(
        {
            rule["record"]
            + "{"
            + ", ".join(f'{k}="{v}"' for k, v in sorted(rule["labels"].items()))
            + "}"
            for path, content in tree.items()
            if path.startswith("prometheus/rules/") and path.endswith(".recording.yaml")
            for group in yaml.safe_load(content)["groups"]
            for rule in group["rules"]
        }
    )


def _all_recorded(prom: PrometheusServer, tree: dict[str, bytes]) -> bool:
    """Every recording rule of every SLO has produced a series (what verify's panels read)."""
    return all(prom.query(selector) for selector in _recorded(tree))


def verified(spec: Path, prom: PrometheusServer) -> list[dict[str, str]]:
    """`obsgen verify` of ``spec`` against ``prom``: its rows, after asserting that none is
    "no data" or "error" and that the command exits 0."""
    result = CliRunner().invoke(
        main,
        ["verify", "-c", str(spec), "--prometheus", prom.url, "--rate-interval", "1m", "--json"],
    )
    rows: list[dict[str, str]] = json.loads(result.stdout)["results"]
    failures = [
        (r["source"], r["item"], r["status"], r["detail"])
        for r in rows
        if r["status"] in ("no data", "error")
    ]
    assert not failures, failures
    assert result.exit_code == 0
    return rows


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(1)


def test_every_recording_rule_produces_series(
    live: tuple[Path, PrometheusServer, dict[str, bytes]],
) -> None:
    _, prom, tree = live
    records = _recorded(tree)
    assert records
    _wait(
        lambda: all(prom.query(r) for r in records),
        60,
        "every recording rule to produce series",
    )


def test_verify_finds_data_for_every_panel_and_rule(
    live: tuple[Path, PrometheusServer, dict[str, bytes]],
) -> None:
    spec, prom, tree = live
    _wait(
        lambda: _all_recorded(prom, tree),
        60,
        "the recording rules",
    )
    rows = verified(spec, prom)
    assert sum(r["status"] == "data" for r in rows) > 20, "most queries must have data"


def test_the_sli_counts_user_traffic_only(
    live: tuple[Path, PrometheusServer, dict[str, bytes]],
) -> None:
    _, prom, _ = live
    query = 'slo:sli_error:ratio_rate5m{service="orders", slo="availability"}'
    _wait(lambda: prom.query(query), 60, "the availability ratio")
    ratio = float(prom.query(query)[0]["value"][1])  # type: ignore[index]
    # One POST in FAIL_EVERY fails; /healthz and Prometheus' scrapes of /metrics are left out,
    # so the ratio is 1/FAIL_EVERY of one request in three (POST, GET item, 404).
    assert 0.5 * (1 / FAIL_EVERY / 3) < ratio < 1.5 * (1 / FAIL_EVERY / 3), ratio


def test_a_burst_of_errors_fires_the_availability_page(
    live: tuple[Path, PrometheusServer, dict[str, bytes]],
) -> None:
    _, prom, tree = live
    rule = next(
        r
        for path, content in tree.items()
        if path.endswith(".alerts.yaml")
        for g in yaml.safe_load(content)["groups"]
        for r in g["rules"]
        if r["alert"] == PAGE
    )
    wait = parse_duration(rule.get("for", "0s"), allow_zero=True) + 60
    _wait(
        lambda: prom.query(f'ALERTS{{alertname="{PAGE}", alertstate="firing", service="orders"}}'),
        wait,
        f"{PAGE} to fire",
    )


def test_a_discovered_spec_matches_the_instrumentation_and_finds_data(
    live: tuple[Path, PrometheusServer, dict[str, bytes]], tmp_path: Path
) -> None:
    spec, prom, tree = live
    _wait(
        lambda: _all_recorded(prom, tree),
        60,
        "the recording rules",
    )
    runner = CliRunner()
    out = tmp_path / "discovered.yaml"
    result = runner.invoke(
        main, ["init", "--from-prometheus", prom.url, "--selector", "job=orders", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    discovered = load_file(out).services[0]
    assert discovered.convention.name == load_file(spec).services[0].convention.name
    assert discovered.convention.buckets == load_file(spec).services[0].convention.buckets
    assert not discovered.pushed
    verified(out, prom)


def test_discovery_of_a_selector_without_request_metrics_is_a_clear_error(
    live: tuple[Path, PrometheusServer, dict[str, bytes]], tmp_path: Path
) -> None:
    _, prom, _ = live
    result = CliRunner().invoke(
        main,
        [
            "init",
            "--from-prometheus",
            prom.url,
            "--selector",
            "job=nobody",
            "-o",
            str(tmp_path / "x.yaml"),
        ],
    )
    assert result.exit_code == 2
    assert "none of the known request metrics" in result.output
    assert not (tmp_path / "x.yaml").exists()
