"""The native stack's own files agree with the compose file: same versions, the Collector built
with exactly the components its config uses, configs rewritten only in hosts, ports and paths."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stack.native import nativestack as ns
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
        ("tempo", "TEMPO_VERSION"),
        ("loki", "LOKI_VERSION"),
        ("grafana", "GRAFANA_VERSION"),
    ],
)
def test_the_native_build_pins_the_release_compose_runs(compose, service, key):
    tag = compose["services"][service]["image"].rsplit(":", 1)[1]
    assert tag.removeprefix("v") == ns.versions()[key]


def test_each_go_module_version_is_the_pinned_release():
    v = ns.versions()
    # Prometheus v3.X.Y is tagged as module version v0.3XX.Y.
    major, minor, patch = v["PROMETHEUS_VERSION"].split(".")
    assert v["PROMETHEUS_MODULE"].endswith(f"@v0.{major}{int(minor):02d}.{patch}")
    assert v["ALERTMANAGER_MODULE"].endswith(f"@v{v['ALERTMANAGER_VERSION']}")
    assert v["LOKI_MODULE"].endswith(f"/v3@v{v['LOKI_VERSION']}")
    assert v["OTELCOL_BUILDER"].endswith(f"@v{v['OTELCOL_VERSION']}")


def _used_components(config: dict[str, Any]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind in KINDS:
        for name in config.get(kind) or {}:
            used[kind].add(name.split("/", 1)[0])
    return used


def test_the_collector_manifest_lists_exactly_the_components_the_config_uses():
    config = load_yaml(COLLECTOR_FILE)
    manifest = load_yaml(BUILDER_FILE)
    version = ns.versions()["OTELCOL_VERSION"]
    for kind, types in _used_components(config).items():
        modules = {entry["gomod"].split()[0].rsplit("/", 1)[1] for entry in manifest.get(kind, [])}
        assert modules == {MODULE_OF_TYPE[t] for t in types}, kind
        for entry in manifest.get(kind, []):
            assert entry["gomod"].split()[1] == f"v{version}", entry
    assert manifest["dist"]["version"] == version


def _layout(tmp_path: Path, build: Path) -> ns.Layout:
    return ns.Layout(build, tmp_path / "run", ns.random_ports())


COMPOSE_HOSTS = re.compile(
    r"\b(?:prometheus|alertmanager|otel-collector|tempo|loki|demo-service|grafana):\d+"
)


def test_the_collector_copy_differs_only_in_addresses(tmp_path, contract_build):
    layout = _layout(tmp_path, contract_build)
    original = load_yaml(COLLECTOR_FILE)
    copy = yaml.safe_load(ns.collector_config(layout))
    assert "0.0.0.0" not in yaml.safe_dump(copy)
    assert not COMPOSE_HOSTS.search(yaml.safe_dump(copy))
    # Same components, pipelines and settings; only endpoint/host/port values differ.
    assert copy["service"]["pipelines"] == original["service"]["pipelines"]
    assert copy["processors"] == original["processors"]
    assert set(copy["exporters"]) == set(original["exporters"])
    grpc = copy["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert grpc == f"127.0.0.1:{layout.ports['otlp_grpc']}"


def test_every_backend_config_copy_points_only_at_loopback(tmp_path, contract_build):
    layout = _layout(tmp_path, contract_build)
    texts = {
        "tempo": ns.tempo_config(layout),
        "loki": ns.loki_config(layout),
        "prometheus": ns.prometheus_config(layout),
    }
    for name, text in texts.items():
        values = yaml.safe_dump(yaml.safe_load(text))  # without the comments
        assert not COMPOSE_HOSTS.search(values), name
        assert "0.0.0.0" not in values, name
        assert "/var/tempo" not in values and ": /loki" not in values, name


def test_a_config_that_drifts_from_what_the_rewrite_expects_fails_loudly():
    with pytest.raises(ValueError, match="expected 1x 'tempo:4317', found 0x"):
        ns.rewrite("endpoint: tempo:4318\n", [("tempo:4317", "127.0.0.1:1", 1)], "test")


def test_the_native_flags_are_composes_with_paths_mapped():
    argv = ns.map_flags(
        ["--config.file=/etc/p.yml", "--storage.tsdb.retention.time=7d"], {"config.file": "/x"}
    )
    assert argv == ["--config.file=/x", "--storage.tsdb.retention.time=7d"]
    with pytest.raises(ValueError, match="no"):
        ns.map_flags(["--a=1"], {"b": "2"})


BUILD = REPO / "stack" / "native" / "build"


def test_the_build_script_names_each_components_cache_directory() -> None:
    proc = subprocess.run(
        [str(BUILD), "--path", "prometheus", "loki"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert proc.stdout.strip() == f"{ns.home('prometheus')}/bin:{ns.home('loki')}/bin"


def test_the_build_script_refuses_an_unknown_component_before_building_anything() -> None:
    proc = subprocess.run(
        [str(BUILD), "prometheus", "jaeger"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown component 'jaeger'" in proc.stderr
    assert "building" not in proc.stderr


def test_a_second_build_of_a_built_component_builds_nothing() -> None:
    require_tool("promtool")  # built (by ./scripts/test in CI)
    marker = ns.home("prometheus") / ".built"
    before = marker.stat().st_mtime_ns
    proc = subprocess.run(
        [str(BUILD), "prometheus"], capture_output=True, text=True, timeout=30, check=True
    )
    assert "already built" in proc.stderr
    assert marker.stat().st_mtime_ns == before
