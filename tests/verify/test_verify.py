"""`obsgen verify` against a real Prometheus scraping a real prometheus_client exporter."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry, Histogram, start_http_server

from obsgen.build import build
from obsgen.cli import main
from obsgen.conventions import OTEL
from obsgen.spec import load_file
from obsgen.verify.backends import Http, Prometheus
from obsgen.verify.collect import Query, scopes
from obsgen.verify.run import DATA, EMPTY, ERROR, NO_DATA, Backends, run_query
from tests.harness.processes import PrometheusServer, free_port, prometheus


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """Prometheus scraping an exporter with OTel-convention HTTP metrics, rules loaded."""
    registry = CollectorRegistry()
    histogram = Histogram(
        OTEL.duration_histogram,
        "HTTP server duration",
        [OTEL.route_label, OTEL.method_label, OTEL.status_label],
        buckets=OTEL.buckets,
        registry=registry,
    )
    port = free_port()
    server, _thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    workdir = tmp_path_factory.mktemp("verify")
    project = load_file(None)
    slos = [slo for service in project.services for slo in service.slos]
    tree = build(project).tree
    rule_files = []
    for path, content in tree.items():
        if path.startswith("prometheus/rules/"):
            (workdir / Path(path).name).write_bytes(content)
            rule_files.append(workdir / Path(path).name)
    try:
        with prometheus(workdir / "prom", {"profiles": f"127.0.0.1:{port}"}, rule_files) as prom:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # traffic until a 5m rate has two samples
                for _ in range(20):
                    histogram.labels("/profiles/{profile_id}", "GET", "200").observe(0.02)
                # each SLO's group evaluates on its own; wait until every group has run once
                # with traffic (the budget rule is the last of a group and reads the others)
                if len(prom.query("slo:period_error_budget_remaining:ratio")) == len(slos):
                    break
                time.sleep(0.5)
            yield prom
    finally:
        server.shutdown()


def query(text: str) -> Query:
    return Query("test", "panel", "prometheus", text, scopes(load_file(None))[0])


def backends(prom: PrometheusServer) -> Backends:
    return Backends(Prometheus(Http(prom.url)), rate_interval="1m")


@pytest.mark.parametrize(
    ("description", "text", "status"),
    [
        (
            "a query over existing series answers with data",
            'sum(rate(http_server_request_duration_seconds_count{job=~"$service"}[$__rate_interval]))',
            DATA,
        ),
        (
            "a 5xx filter on a healthy service is empty, not a failure",
            'sum(rate(http_server_request_duration_seconds_count{job="$service", http_response_status_code=~"5.."}[1m]))',
            EMPTY,
        ),
        (
            "a misspelled metric is no data",
            'sum(rate(http_server_request_duration_second_count{job="$service"}[1m]))',
            NO_DATA,
        ),
        (
            "a label the service never has is no data",
            'sum(rate(http_server_request_duration_seconds_count{job="$service", http_routee="/x"}[1m]))',
            NO_DATA,
        ),
        (
            "a query Prometheus rejects is an error with its message",
            'histogram_quantile("x", up)',
            ERROR,
        ),
        ("an undefined variable is an error", 'up{job="$nope"}', ERROR),
    ],
)
def test_each_query_is_classified(
    live: PrometheusServer, description: str, text: str, status: str
) -> None:
    result = run_query(backends(live), query(text))
    assert result.status == status, (description, result)
    assert "$" not in result.query or status == ERROR


def test_verify_cli_runs_every_rule_and_reports_json(live: PrometheusServer) -> None:
    result = CliRunner().invoke(
        main, ["verify", "--prometheus", live.url, "--rate-interval", "1m", "--json"]
    )
    report = json.loads(result.stdout)
    assert "verifying the bundled demo spec" in result.stderr
    expected_rules = sum(
        1
        for path, content in build(load_file(None)).tree.items()
        if path.startswith("prometheus/rules/")
        for line in content.decode().splitlines()
        if line.lstrip().startswith(("- record:", "- alert:"))
    )
    from_files = [r for r in report["results"] if r["source"].startswith("prometheus/rules/")]
    assert len(from_files) == expected_rules
    # the fixture exports only the HTTP histogram: symptom alerts on runtime metrics
    # (process, event loop, DB pool, ...) legitimately find no series here
    on_http = [
        r for r in from_files if OTEL.duration_histogram in r["query"] or "slo:" in r["query"]
    ]
    assert len(on_http) > len(from_files) // 2
    assert all(r["status"] in (DATA, EMPTY) for r in on_http), [
        r for r in on_http if r["status"] not in (DATA, EMPTY)
    ]
    assert all(r["status"] != ERROR for r in from_files)
    health = [r for r in report["results"] if r["detail"].startswith("ok:")]
    assert len(health) == expected_rules, "rule health of every loaded rule is reported"
    assert result.exit_code == (0 if report["ok"] else 1)


def test_verify_exits_1_and_names_the_failure_when_prometheus_is_unreachable() -> None:
    result = CliRunner().invoke(main, ["verify", "--prometheus", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    assert "error" in result.output and "FAILED" in result.output


def test_verify_build_checks_a_built_directory_without_the_spec(
    live: PrometheusServer, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "deployed"
    assert runner.invoke(main, ["build", "-o", str(out)]).exit_code == 0
    from_dir = runner.invoke(
        main,
        [
            "verify",
            "--build",
            str(out),
            "--prometheus",
            live.url,
            "--rate-interval",
            "1m",
            "--json",
        ],
    )
    from_spec = runner.invoke(
        main, ["verify", "--prometheus", live.url, "--rate-interval", "1m", "--json"]
    )
    rows = json.loads(from_dir.stdout)["results"]
    assert [(r["source"], r["item"]) for r in rows] == [
        (r["source"], r["item"]) for r in json.loads(from_spec.stdout)["results"]
    ]
    assert "bundled demo spec" not in from_dir.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--build", "{tmp}/nowhere"], "no such directory"),
        (["--build", "{tmp}"], "not a directory written by `obsgen build`"),
        (["--build", "{tmp}", "-c", "x.yaml"], "either -c SPEC or --build DIR"),
    ],
    ids=["a missing directory", "a directory obsgen did not write", "both a spec and a build"],
)
def test_verify_build_refuses_what_it_cannot_verify(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        main,
        ["verify", "--prometheus", "http://127.0.0.1:9", *[a.format(tmp=tmp_path) for a in args]],
    )
    assert result.exit_code == 2 and message in result.output, result.output
