"""Metrics pushed, not scraped: the OTel SDK → the real Collector → Prometheus 3's OTLP receiver.

The spec says `metrics_from: otlp`; the rules obsgen builds for that mode must find data
(Prometheus names the pushed series as a scrape of the OTel exporter would), the service's
liveness comes from `target_info` (there is no `up`), and a burst of 5xx fires the page.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from obsgen.build import build
from obsgen.spec import load_file
from tests.conftest import require_tool
from tests.harness.processes import PrometheusServer, free_port, prometheus, running
from tests.realservices.test_real_services import (
    FAIL_EVERY,
    PAGE,
    _all_recorded,
    _traffic,
    _wait,
    verified,
)

SPEC = """\
apiVersion: obsgen/v1
services:
  - name: orders
    convention: otel
    metrics_from: otlp
    slos:
      - {name: availability, type: availability, objective: 99.9, period: 30d}
      - {name: latency, type: latency, objective: 99, threshold_seconds: 0.5, period: 30d}
"""


def _collector_config(otlp_port: int, health_port: int, prometheus_url: str) -> dict[str, object]:
    """The stack's Collector components, with a metrics pipeline to Prometheus' OTLP receiver."""
    return {
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{health_port}"}},
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{otlp_port}"}}}},
        "processors": {"batch": {"timeout": "1s"}},
        "exporters": {
            "otlp_http/prometheus": {
                "endpoint": f"{prometheus_url}/api/v1/otlp",
                "tls": {"insecure": True},
            }
        },
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {
                "metrics": {
                    "receivers": ["otlp"],
                    "processors": ["batch"],
                    "exporters": ["otlp_http/prometheus"],
                }
            },
        },
    }


def _prometheus_3() -> None:
    version = subprocess.run(
        [require_tool("prometheus"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    assert "version 3." in version, f"the OTLP receiver needs Prometheus 3; found: {version[:80]}"


@pytest.fixture(scope="module")
def pushed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, PrometheusServer, dict[str, bytes]]]:
    collector = require_tool("otelcol")
    _prometheus_3()
    workdir = tmp_path_factory.mktemp("otlp")
    spec = workdir / "obsgen.yaml"
    spec.write_text(SPEC)
    tree = build(load_file(spec)).tree
    rules = []
    for path, content in tree.items():
        if path.startswith("prometheus/rules/"):
            rules.append(workdir / Path(path).name)
            rules[-1].write_bytes(content)
    otlp_port, health_port, app_port = free_port(), free_port(), free_port()
    stop = threading.Event()
    with prometheus(workdir / "prom", {}, rules, extra_args=["--web.enable-otlp-receiver"]) as prom:
        (workdir / "otelcol.yaml").write_text(
            yaml.safe_dump(_collector_config(otlp_port, health_port, prom.url))
        )
        app_env = {
            "FAIL_EVERY": str(FAIL_EVERY),
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            "OTLP_METRICS_ENDPOINT": f"http://127.0.0.1:{otlp_port}/v1/metrics",
        }
        with (
            running(
                [collector, f"--config={workdir / 'otelcol.yaml'}"],
                workdir / "otelcol.log",
                f"http://127.0.0.1:{health_port}/",
            ),
            running(
                ["python3", "-m", "tests.realservices.apps", "otel-otlp", str(app_port)],
                workdir / "app.log",
                f"http://127.0.0.1:{app_port}/healthz",
                env=app_env,
            ),
        ):
            thread = threading.Thread(
                target=_traffic, args=(f"http://127.0.0.1:{app_port}", stop), daemon=True
            )
            thread.start()
            try:
                yield spec, prom, tree
            finally:
                stop.set()
                thread.join(10)


def test_pushed_series_carry_the_job_and_target_info_prometheus_gives_otlp(pushed) -> None:  # type: ignore[no-untyped-def]
    _, prom, _ = pushed
    _wait(
        lambda: prom.query('http_server_request_duration_seconds_count{job="orders"}'),
        60,
        "pushed request metrics",
    )
    assert prom.query('target_info{job="orders"}'), "resource attributes arrive as target_info"
    assert not prom.query('up{job="orders"}'), "nothing scrapes a pushing service"


def test_the_rules_for_pushed_metrics_find_data(pushed) -> None:  # type: ignore[no-untyped-def]
    spec, prom, tree = pushed
    _wait(
        lambda: _all_recorded(prom, tree),
        90,
        "every recording rule to produce series",
    )
    names = {r["item"] for r in verified(spec, prom)}
    assert "TargetMissing" in names and "TargetDown" not in names


def test_a_pushing_service_is_not_missing_and_its_errors_page(pushed) -> None:  # type: ignore[no-untyped-def]
    _, prom, _ = pushed
    _wait(
        lambda: prom.query(f'ALERTS{{alertname="{PAGE}", alertstate="firing", service="orders"}}'),
        90,
        f"{PAGE} to fire",
    )
    time.sleep(2)
    assert not prom.query('ALERTS{alertname="TargetMissing", service="orders"}')
