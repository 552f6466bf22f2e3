"""Fixtures for the stack checks: parsed configs, a contract-shaped build tree, the real build.

No Docker engine runs here, so these tests read every file the stack consists of and check it
with the real tools (promtool, amtool, the compose-spec JSON schema) and against each other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "stack"
COMPOSE_FILE = STACK / "docker-compose.yml"
COLLECTOR_FILE = REPO / "collector" / "otel-collector.yaml"
PROMETHEUS_FILE = STACK / "prometheus" / "prometheus.yml"
TEMPO_FILE = STACK / "tempo" / "tempo.yaml"
LOKI_FILE = STACK / "loki" / "loki.yaml"
DEMO_DOCKERFILE = STACK / "demo-service.Dockerfile"

# The generator's output contract (the stack bind-mounts these; see README.md, "The stack").
BUILD_OUTPUTS = (
    "build/dashboards",
    "build/grafana/provisioning",
    "build/prometheus/rules",
    "build/alertmanager/alertmanager.yml",
    "build/runbooks",
)
SERVICE = "profiles"  # the bundled spec's service; Prometheus selects it with job="profiles"


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="session")
def collector() -> dict[str, Any]:
    return load_yaml(COLLECTOR_FILE)


@pytest.fixture(scope="session")
def prometheus() -> dict[str, Any]:
    return load_yaml(PROMETHEUS_FILE)


@pytest.fixture(scope="session")
def tempo() -> dict[str, Any]:
    return load_yaml(TEMPO_FILE)


@pytest.fixture(scope="session")
def loki() -> dict[str, Any]:
    return load_yaml(LOKI_FILE)


@pytest.fixture(scope="session")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real `obsgen build` output of the bundled spec, in a temporary directory."""
    out = tmp_path_factory.mktemp("obsgen-build") / "build"
    proc = subprocess.run(
        [sys.executable, "-m", "obsgen", "build", "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, f"obsgen build failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def require_outputs(build: Path, *outputs: str) -> None:
    """Every output the stack mounts must exist: a missing one is a broken contract."""
    missing = [o for o in outputs if not (build.parent / o).exists()]
    assert not missing, f"obsgen build does not write {missing}, which the stack mounts"


@pytest.fixture
def contract_build(tmp_path: Path, generated_build: Path) -> Path:
    """A private copy of the real build, for tests that break it on purpose."""
    return Path(shutil.copytree(generated_build, tmp_path / "build"))
