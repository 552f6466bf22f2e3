"""Fixtures for the stack checks: parsed configs, a contract-shaped build tree, the real build.

No Docker engine runs here, so these tests read every file the stack consists of and check it
with the real tools (promtool, amtool, the compose-spec JSON schema) and against each other.
"""

from __future__ import annotations

import json
import os
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


def write_contract_build(root: Path, service: str = SERVICE) -> Path:
    """A minimal build/ tree in the generator's contract layout, for checks that must run
    before the generator lands (and to prove the cross-check catches a broken tree)."""
    build = root / "build"
    dashboards = build / "dashboards"
    dashboards.mkdir(parents=True)
    for kind in ("executive", "oncall", "debug"):
        dashboard = {
            "uid": f"{service}-{kind}",
            "title": f"{service} {kind}",
            "panels": [
                {
                    "type": "timeseries",
                    "datasource": {"type": "prometheus", "uid": "prometheus"},
                    "targets": [
                        {
                            "datasource": {"type": "prometheus", "uid": "prometheus"},
                            "expr": f'sum(rate(http_server_request_duration_seconds_count{{job="{service}"}}[5m]))',
                        }
                    ],
                }
            ],
        }
        (dashboards / f"{service}-{kind}.json").write_text(json.dumps(dashboard), encoding="utf-8")

    provisioning = build / "grafana" / "provisioning"
    (provisioning / "dashboards").mkdir(parents=True)
    (provisioning / "datasources").mkdir(parents=True)
    (provisioning / "dashboards" / "obsgen.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": 1,
                "providers": [
                    {
                        "name": "obsgen",
                        "type": "file",
                        "disableDeletion": True,
                        "allowUiUpdates": False,
                        "options": {"path": "/var/lib/grafana/dashboards/obsgen"},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    (provisioning / "datasources" / "obsgen.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": 1,
                "datasources": [
                    {
                        "name": "Prometheus",
                        "type": "prometheus",
                        "uid": "prometheus",
                        "url": "http://prometheus:9090",
                        "access": "proxy",
                        "isDefault": True,
                        "jsonData": {
                            "exemplarTraceIdDestinations": [
                                {"name": "trace_id", "datasourceUid": "tempo"}
                            ]
                        },
                    },
                    {
                        "name": "Loki",
                        "type": "loki",
                        "uid": "loki",
                        "url": "http://loki:3100",
                        "access": "proxy",
                        "jsonData": {
                            "derivedFields": [
                                {
                                    "name": "trace_id",
                                    "matcherRegex": '"trace_id":"(\\w+)"',
                                    "url": "$${__value.raw}",
                                    "datasourceUid": "tempo",
                                }
                            ]
                        },
                    },
                    {
                        "name": "Tempo",
                        "type": "tempo",
                        "uid": "tempo",
                        "url": "http://tempo:3200",
                        "access": "proxy",
                        "jsonData": {
                            "tracesToLogsV2": {"datasourceUid": "loki"},
                            "tracesToMetrics": {"datasourceUid": "prometheus"},
                            "serviceMap": {"datasourceUid": "prometheus"},
                        },
                    },
                    {
                        "name": "Alertmanager",
                        "type": "alertmanager",
                        "uid": "alertmanager",
                        "url": "http://alertmanager:9093",
                        "access": "proxy",
                        "jsonData": {"implementation": "prometheus"},
                    },
                ],
            }
        ),
        encoding="utf-8",
    )

    rules = build / "prometheus" / "rules"
    rules.mkdir(parents=True)
    (rules / f"{service}-recording.yaml").write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": f"{service}-sli",
                        "rules": [
                            {
                                "record": "job:http_server_requests:rate5m",
                                "expr": f'sum by (job) (rate(http_server_request_duration_seconds_count{{job="{service}"}}[5m]))',
                            }
                        ],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    (build / "alertmanager").mkdir(parents=True)
    (build / "alertmanager" / "alertmanager.yml").write_text(
        yaml.safe_dump(
            {
                "route": {"receiver": "default", "group_by": ["alertname", "service"]},
                "receivers": [{"name": "default"}],
            }
        ),
        encoding="utf-8",
    )
    (build / "runbooks").mkdir(parents=True)
    (build / "runbooks" / "README.md").write_text("# Runbooks\n", encoding="utf-8")
    return build


@pytest.fixture
def contract_build(tmp_path: Path) -> Path:
    return write_contract_build(tmp_path)
