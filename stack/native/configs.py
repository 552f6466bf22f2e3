"""The config copies: compose's own files, with only what cannot be the same outside containers
rewritten, and the ports everything listens on.

Compose hostnames (``prometheus:9090``) become ``127.0.0.1:<port>`` and ``0.0.0.0`` binds become
``127.0.0.1``. Every rewrite must match its file exactly as many times as expected, so a config
that drifts fails here instead of running with a stale address. Command-line flags are compose's
own (the ``command:`` lists), with their paths mapped the same way.

Loki, Tempo and Grafana do not run natively (AGPL-licensed modules, which this project's machines
must not use; see stack/native/versions). VictoriaLogs and Jaeger take their places as the
Collector's log and trace destinations, so the Collector's and Prometheus's copies point the
compose entries that name Loki and Tempo at them (the entries keep compose's names where they
are names, e.g. the exporter ``otlp_http/loki``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stack.native.pins import REPO

COMPOSE_FILE = REPO / "stack" / "docker-compose.yml"
# Jaeger's config: written for the native stack (compose runs Tempo instead); addresses come from
# the environment, see ``jaeger_env``.
JAEGER_CONFIG = REPO / "stack" / "native" / "jaeger.yaml"

# Every port a component listens on. Compose's services keep compose's published ports;
# VictoriaLogs and Jaeger their own defaults, except where Jaeger's (a Collector too) would collide
# with the Collector's: OTLP gRPC 4317, health 13133 and metrics 8888 move up by 100.
PORTS = {
    "prometheus": 9090,
    "alertmanager": 9093,
    "otlp_grpc": 4317,
    "otlp_http": 4318,
    "collector_health": 13133,
    "collector_metrics": 8888,
    "victorialogs": 9428,
    "jaeger_query": 16686,
    "jaeger_query_grpc": 16685,
    "jaeger_otlp_grpc": 4417,
    "jaeger_health": 13233,
    "jaeger_metrics": 8988,
    "demo": 8000,
    "runbooks": 8088,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def default_ports() -> dict[str, int]:
    return dict(PORTS)


def random_ports() -> dict[str, int]:
    """A free port for everything (tests, so parallel runs never collide)."""
    return {name: free_port() for name in PORTS}


@dataclass(frozen=True)
class Layout:
    """Where things are: the ``obsgen build`` output the stack loads, the work directory for
    generated config copies, data and logs, and the ports."""

    build_dir: Path
    workdir: Path
    ports: Mapping[str, int]

    def url(self, port: str) -> str:
        return f"http://127.0.0.1:{self.ports[port]}"

    def address(self, port: str) -> str:
        return f"127.0.0.1:{self.ports[port]}"


def rewrite(text: str, replacements: Sequence[tuple[str, str, int]], what: str) -> str:
    """Apply ``(old, new, expected count)`` replacements; a count that differs is an error."""
    for old, new, count in replacements:
        found = text.count(old)
        if found != count:
            raise ValueError(f"{what}: expected {count}x {old!r}, found {found}x")
        text = text.replace(old, new)
    return text


def _compose_service(service: str) -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return dict(compose["services"][service])


def compose_command(service: str) -> list[str]:
    """The ``command:`` list of a compose service."""
    return [str(arg) for arg in _compose_service(service)["command"]]


def map_flags(argv: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """Replace the values of ``--flag=value`` / ``-flag=value`` arguments named in ``values``."""
    out = []
    for arg in argv:
        name = arg.lstrip("-").split("=", 1)[0]
        out.append(f"{arg.split('=', 1)[0]}={values[name]}" if name in values else arg)
    missing = set(values) - {a.lstrip("-").split("=", 1)[0] for a in argv}
    if missing:
        raise ValueError(f"compose command {list(argv)} has no {sorted(missing)}")
    return out


def prometheus_config(layout: Layout) -> str:
    """stack/prometheus/prometheus.yml with every scrape and alerting target on 127.0.0.1.

    Compose's ``tempo`` and ``loki`` scrape jobs become ``jaeger`` (its own metrics) and
    ``victoria-logs``: the stores that run here in their places."""
    text = (REPO / "stack" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    return rewrite(
        text,
        [
            ("alertmanager:9093", layout.address("alertmanager"), 2),
            ("demo-service:8000", layout.address("demo"), 1),
            ("otel-collector:8888", layout.address("collector_metrics"), 1),
            ("localhost:9090", layout.address("prometheus"), 1),
            ("job_name: tempo\n", "job_name: jaeger\n", 1),
            ('"tempo:3200"', f'"{layout.address("jaeger_metrics")}"', 1),
            ("job_name: loki\n", "job_name: victoria-logs\n", 1),
            ('"loki:3100"', f'"{layout.address("victorialogs")}"', 1),
        ],
        "prometheus.yml",
    )


def collector_config(layout: Layout) -> str:
    """collector/otel-collector.yaml with its binds on 127.0.0.1, its trace exporter aimed at
    Jaeger's OTLP gRPC receiver and its log exporter at VictoriaLogs' OTLP endpoint (the
    ``otlp_http`` exporter appends ``/v1/logs`` to it, as it does to Loki's ``/otlp``)."""
    p = layout.ports
    text = (REPO / "collector" / "otel-collector.yaml").read_text(encoding="utf-8")
    return rewrite(
        text,
        [
            ("endpoint: 0.0.0.0:13133", f"endpoint: {layout.address('collector_health')}", 1),
            ("endpoint: 0.0.0.0:4317", f"endpoint: {layout.address('otlp_grpc')}", 1),
            ("endpoint: 0.0.0.0:4318", f"endpoint: {layout.address('otlp_http')}", 1),
            ("endpoint: tempo:4317", f"endpoint: {layout.address('jaeger_otlp_grpc')}", 1),
            (
                "endpoint: http://loki:3100/otlp",
                f"endpoint: {layout.url('victorialogs')}/insert/opentelemetry",
                1,
            ),
            ("host: 0.0.0.0", "host: 127.0.0.1", 1),
            ("port: 8888", f"port: {p['collector_metrics']}", 1),
        ],
        "otel-collector.yaml",
    )


def jaeger_env(layout: Layout) -> dict[str, str]:
    """The ``${env:…}`` values stack/native/jaeger.yaml reads: its addresses, all on loopback."""
    return {
        "JAEGER_OTLP_GRPC_ENDPOINT": layout.address("jaeger_otlp_grpc"),
        "JAEGER_QUERY_HTTP_ENDPOINT": layout.address("jaeger_query"),
        "JAEGER_QUERY_GRPC_ENDPOINT": layout.address("jaeger_query_grpc"),
        "JAEGER_HEALTH_ENDPOINT": layout.address("jaeger_health"),
        "JAEGER_METRICS_PORT": str(layout.ports["jaeger_metrics"]),
    }


def demo_env(layout: Layout) -> dict[str, str]:
    """The demo service's compose environment: hosts and ports rewritten, ``${VAR:-}``
    interpolated from this environment (as compose does)."""
    service = _compose_service("demo-service")
    env = {k: str(v) for k, v in service["environment"].items()}
    for key, value in env.items():
        if value.startswith("${") and value.endswith(":-}"):
            env[key] = os.environ.get(value[2:-3], "")
    env["DEMO_HOST"] = rewrite(env["DEMO_HOST"], [("0.0.0.0", "127.0.0.1", 1)], "DEMO_HOST")
    env["DEMO_PORT"] = str(layout.ports["demo"])
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = rewrite(
        env["OTEL_EXPORTER_OTLP_ENDPOINT"],
        [("otel-collector:4317", layout.address("otlp_grpc"), 1)],
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env
