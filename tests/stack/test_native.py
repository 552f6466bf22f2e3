"""The native stack's own files agree with the compose file: same versions, the Collector built
with exactly the components its config uses, configs rewritten only in hosts, ports and paths;
and it builds no AGPL module (Loki, Tempo, Grafana): VictoriaLogs and Jaeger stand in."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stack.native import configs, pins
from tests.conftest import require_tool
from tests.stack.conftest import COLLECTOR_FILE, REPO, load_yaml

BUILDER_FILE = REPO / "collector" / "builder-config.yaml"
# Component type in a Collector config -> the Go module (last path element) that provides it.
MODULE_OF_TYPE = {
    "otlp": "otlpreceiver",
    "memory_limiter": "memorylimiterprocessor",
    "batch": "batchprocessor",
    "otlp_grpc": "otlpexporter",
    "otlp_http": "otlphttpexporter",
    "health_check": "healthcheckextension",
}
KINDS = ("receivers", "processors", "exporters", "extensions", "connectors")


@pytest.mark.parametrize(
    ("service", "key"),
    [
        ("prometheus", "PROMETHEUS_VERSION"),
        ("alertmanager", "ALERTMANAGER_VERSION"),
        ("otel-collector", "OTELCOL_VERSION"),
    ],
)
def test_the_native_build_pins_the_release_compose_runs(compose, service, key):
    tag = compose["services"][service]["image"].rsplit(":", 1)[1]
    assert tag.removeprefix("v") == pins.versions()[key]


def test_each_go_module_version_is_the_pinned_release():
    v = pins.versions()
    # Prometheus v3.X.Y is tagged as module version v0.3XX.Y.
    major, minor, patch = v["PROMETHEUS_VERSION"].split(".")
    assert v["PROMETHEUS_MODULE"].endswith(f"@v0.{major}{int(minor):02d}.{patch}")
    assert v["ALERTMANAGER_MODULE"].endswith(f"@v{v['ALERTMANAGER_VERSION']}")
    assert v["OTELCOL_BUILDER"].endswith(f"@v{v['OTELCOL_VERSION']}")
    assert v["VICTORIALOGS_MODULE"] == (
        f"github.com/VictoriaMetrics/VictoriaLogs@v{v['VICTORIALOGS_VERSION']}"
    )
    assert v["JAEGER_MODULE"] == f"github.com/jaegertracing/jaeger@v{v['JAEGER_VERSION']}"


def test_no_agpl_grafana_module_is_pinned_or_built():
    """Loki, Tempo and Grafana are AGPL modules this project's machines must not use; compose
    still pulls their images, but nothing here builds them."""
    assert not [value for value in pins.versions().values() if "github.com/grafana/" in value]
    assert "github.com/grafana/" not in (REPO / "stack" / "native" / "build").read_text()


def _used_components(config: dict[str, Any]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind in KINDS:
        for name in config.get(kind) or {}:
            used[kind].add(name.split("/", 1)[0])
    return used


def test_the_collector_manifest_lists_exactly_the_components_the_config_uses():
    config = load_yaml(COLLECTOR_FILE)
    manifest = load_yaml(BUILDER_FILE)
    version = pins.versions()["OTELCOL_VERSION"]
    for kind, types in _used_components(config).items():
        modules = {entry["gomod"].split()[0].rsplit("/", 1)[1] for entry in manifest.get(kind, [])}
        assert modules == {MODULE_OF_TYPE[t] for t in types}, kind
        for entry in manifest.get(kind, []):
            assert entry["gomod"].split()[1] == f"v{version}", entry
    assert manifest["dist"]["version"] == version


def _layout(tmp_path: Path, build: Path) -> configs.Layout:
    return configs.Layout(build, tmp_path / "run", configs.random_ports())


COMPOSE_HOSTS = re.compile(
    r"\b(?:prometheus|alertmanager|otel-collector|tempo|loki|demo-service|grafana):\d+"
)


def test_the_collector_copy_differs_only_in_addresses(tmp_path, contract_build):
    layout = _layout(tmp_path, contract_build)
    original = load_yaml(COLLECTOR_FILE)
    copy = yaml.safe_load(configs.collector_config(layout))
    assert "0.0.0.0" not in yaml.safe_dump(copy)
    assert not COMPOSE_HOSTS.search(yaml.safe_dump(copy))
    # Same components, pipelines and settings; only endpoint/host/port values differ.
    assert copy["service"]["pipelines"] == original["service"]["pipelines"]
    assert copy["processors"] == original["processors"]
    assert set(copy["exporters"]) == set(original["exporters"])
    grpc = copy["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert grpc == f"127.0.0.1:{layout.ports['otlp_grpc']}"


def test_the_collector_copy_sends_traces_to_jaeger_and_logs_to_victorialogs(
    tmp_path, contract_build
):
    layout = _layout(tmp_path, contract_build)
    exporters = yaml.safe_load(configs.collector_config(layout))["exporters"]
    # Compose's exporter names stay; only their endpoints move.
    assert (
        exporters["otlp_grpc/tempo"]["endpoint"] == f"127.0.0.1:{layout.ports['jaeger_otlp_grpc']}"
    )
    # The otlp_http exporter appends /v1/logs: VictoriaLogs' /insert/opentelemetry/v1/logs.
    assert exporters["otlp_http/loki"]["endpoint"] == (
        f"http://127.0.0.1:{layout.ports['victorialogs']}/insert/opentelemetry"
    )


def test_the_prometheus_copy_scrapes_the_stand_ins_where_compose_scrapes_tempo_and_loki(
    tmp_path, contract_build, prometheus
):
    layout = _layout(tmp_path, contract_build)
    copy = yaml.safe_load(configs.prometheus_config(layout))
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in copy["scrape_configs"]}
    compose_jobs = [job["job_name"] for job in prometheus["scrape_configs"]]
    renamed = {"tempo": "jaeger", "loki": "victoria-logs"}
    assert list(jobs) == [renamed.get(name, name) for name in compose_jobs]
    assert jobs["jaeger"] == [f"127.0.0.1:{layout.ports['jaeger_metrics']}"]
    assert jobs["victoria-logs"] == [f"127.0.0.1:{layout.ports['victorialogs']}"]
    for key in ("global", "storage", "rule_files"):
        assert copy[key] == prometheus[key], key


def test_every_config_copy_points_only_at_loopback(tmp_path, contract_build):
    layout = _layout(tmp_path, contract_build)
    texts = {
        "prometheus": configs.prometheus_config(layout),
        "collector": configs.collector_config(layout),
    }
    for name, text in texts.items():
        values = yaml.safe_dump(yaml.safe_load(text))  # without the comments
        assert not COMPOSE_HOSTS.search(values), name
        assert "0.0.0.0" not in values, name


def test_jaegers_config_takes_every_address_from_the_environment_and_gets_all_of_them():
    text = configs.JAEGER_CONFIG.read_text(encoding="utf-8")
    wanted = set(re.findall(r"\$\{env:([A-Z_]+)\}", text))
    env = configs.jaeger_env(configs.Layout(Path("b"), Path("w"), configs.default_ports()))
    assert wanted == set(env)
    assert all(v.startswith("127.0.0.1:") or v.isdigit() for v in env.values()), env
    assert "0.0.0.0" not in text and "localhost" not in text


def test_the_native_default_ports_never_collide():
    ports = configs.default_ports()
    assert len(set(ports.values())) == len(ports), ports


def test_a_config_that_drifts_from_what_the_rewrite_expects_fails_loudly():
    with pytest.raises(ValueError, match="expected 1x 'tempo:4317', found 0x"):
        configs.rewrite("endpoint: tempo:4318\n", [("tempo:4317", "127.0.0.1:1", 1)], "test")


def test_the_native_flags_are_composes_with_paths_mapped():
    argv = configs.map_flags(
        ["--config.file=/etc/p.yml", "--storage.tsdb.retention.time=7d"], {"config.file": "/x"}
    )
    assert argv == ["--config.file=/x", "--storage.tsdb.retention.time=7d"]
    with pytest.raises(ValueError, match="no"):
        configs.map_flags(["--a=1"], {"b": "2"})


BUILD = REPO / "stack" / "native" / "build"


def test_the_build_script_names_each_components_cache_directory() -> None:
    proc = subprocess.run(
        [str(BUILD), "--path", "prometheus", "victorialogs", "jaeger"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    homes = [pins.home(name) for name in ("prometheus", "victorialogs", "jaeger")]
    assert proc.stdout.strip() == ":".join(f"{home}/bin" for home in homes)


@pytest.mark.parametrize("name", ["loki", "tempo", "grafana", "nonesuch"])
def test_the_build_script_refuses_an_unknown_component_before_building_anything(name) -> None:
    proc = subprocess.run(
        [str(BUILD), "prometheus", name],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert f"unknown component '{name}'" in proc.stderr
    assert "building" not in proc.stderr


def test_a_second_build_of_a_built_component_builds_nothing() -> None:
    require_tool("promtool")  # built (by ./scripts/test in CI)
    marker = pins.home("prometheus") / ".built"
    before = marker.stat().st_mtime_ns
    proc = subprocess.run(
        [str(BUILD), "prometheus"], capture_output=True, text=True, timeout=30, check=True
    )
    assert "already built" in proc.stderr
    assert marker.stat().st_mtime_ns == before
