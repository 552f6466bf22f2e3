"""The game-day stack: demo service, Prometheus and Alertmanager on 127.0.0.1, wired by obsgen.

Everything is built from a variant of the bundled spec (receivers → the test's webhook, short
Alertmanager timings, no mute windows) with `obsgen.build`, in memory, then written to the
stack's work directory. Prometheus loads time-compressed copies of the rule files
(:mod:`tests.e2e.compress`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from alerts.slo_alerts import alert_name
from obsgen.build import build
from obsgen.durations import parse_duration
from obsgen.model import Project
from obsgen.spec import load_text
from tests.e2e.compress import TIME_COMPRESSION, compress_rule_file
from tests.e2e.webhook import Webhook, webhook
from tests.harness.processes import (
    AlertmanagerServer,
    PrometheusServer,
    alertmanager,
    free_port,
    prometheus,
    running,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO_SPEC = ROOT / "obsgen" / "specs" / "demo.yaml"
FAULT_TOKEN = "gameday-fault-token"
JOB = "profiles"


@dataclass(frozen=True)
class StackConfig:
    """How the stack runs: the compressed game day, or real time as the Docker stack does."""

    interval: str  # Prometheus scrape and rule evaluation interval
    compress: bool  # load time-compressed copies of the rule files (tests.e2e.compress)
    alertmanager: dict[str, str]  # spec `alerting` timings overriding the generated ones
    resend_delay: str | None  # Prometheus --rules.alert.resend-delay (None: its default, 1m)


# 1 s scrapes of 60x-compressed rules; Alertmanager flushes every second.
COMPRESSED = StackConfig(
    "1s", True, {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}, "1s"
)
# The generated rules as they are, scraped and evaluated every 10 s (stack/prometheus), the
# generated group_wait (30 s); group_interval cut from 5m to 30s so that any update of an
# incident a pager would get shows up within a short watch.
REALTIME = StackConfig("10s", False, {"group_interval": "30s", "repeat_interval": "1h"}, None)


def gameday_spec_text(webhook_url: str, config: StackConfig = COMPRESSED) -> str:
    """The bundled spec with webhook receivers, the config's Alertmanager timings and no mute
    windows.

    Mute windows are dropped so a run on a Tuesday afternoon does not silence the tickets.
    """
    data: dict[str, Any] = yaml.safe_load(DEMO_SPEC.read_text())
    alerting = data.setdefault("alerting", {})
    alerting["receivers"] = {
        kind: {
            "name": kind,
            "webhook_configs": [{"url": f"{webhook_url}/{kind}", "send_resolved": True}],
        }
        for kind in ("page", "ticket")
    }
    alerting.update(config.alertmanager)
    alerting.pop("mute_windows", None)
    return yaml.safe_dump(data, sort_keys=False)


@dataclass(frozen=True)
class Artifacts:
    project: Project
    tree: dict[str, bytes]
    out_dir: Path

    def rule_files(self) -> list[str]:
        return sorted(
            p for p in self.tree if p.startswith("prometheus/rules/") and p.endswith(".yaml")
        )

    def alert_rules(self) -> dict[str, dict[str, Any]]:
        """Every generated alerting rule by name (the game day reads names from here)."""
        rules: dict[str, dict[str, Any]] = {}
        for path in self.rule_files():
            for group in yaml.safe_load(self.tree[path]).get("groups", []):
                rules.update({r["alert"]: r for r in group.get("rules", []) if "alert" in r})
        return rules


def build_artifacts(webhook_url: str, out_dir: Path, config: StackConfig = COMPRESSED) -> Artifacts:
    """Build the game-day spec in memory and write the tree (plus a copy of the spec) out."""
    text = gameday_spec_text(webhook_url, config)
    project = load_text(text, "gameday.yaml")
    tree = build(project).tree
    for path, content in tree.items():
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    (out_dir / "gameday.yaml").write_text(text)
    return Artifacts(project, tree, out_dir)


class DemoService:
    """`python -m demo_service` on a fixed port, stoppable and restartable (target-down)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.starts = 0
        self._stack: contextlib.ExitStack | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, otlp_endpoint: str) -> None:
        """Start (again) on the same port; telemetry goes to ``otlp_endpoint`` over OTLP/HTTP."""
        self.starts += 1
        env = {
            "DEMO_FAULT_TOKEN": FAULT_TOKEN,
            "DEMO_SHUTDOWN_DRAIN_SECONDS": "0",
            "DEMO_SHUTDOWN_GRACE_SECONDS": "2",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        stack = contextlib.ExitStack()
        stack.enter_context(
            running(
                [sys.executable, "-m", "demo_service", "--port", str(self.port)],
                self.workdir / f"demo-service-{self.starts}.log",
                f"{self.url}/readyz",
                env=env,
            )
        )
        self._stack = stack

    def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()


@dataclass
class Stack:
    artifacts: Artifacts
    service: DemoService
    prometheus: PrometheusServer
    alertmanager: AlertmanagerServer
    webhook: Webhook
    workdir: Path

    def alerts(self) -> list[dict[str, Any]]:
        """Prometheus's pending and firing alerts (labels, state, activeAt)."""
        return [
            a
            for a in _prometheus_alerts(self.prometheus)
            if a.get("state") in ("pending", "firing")
        ]

    def firing(self) -> set[str]:
        """Names of the alerts Prometheus fires (sends to Alertmanager); pending ones are not."""
        return {a["labels"]["alertname"] for a in self.alerts() if a.get("state") == "firing"}

    def young_tickets(self) -> set[str]:
        """Ticket tiers whose compressed long window is longer than the stack has lived.

        ticket-slow's 3d window is 72 min compressed, yet the stack is ~3 min old: the tier judges
        that whole life, start-up included, where production judges 3 days. With no `for:` on the
        tiers, 1 % of requests over 0.25 s during start-up on a busy machine opens the latency
        ticket (seen once on Prometheus 3.13, load 5). That is a property of a young stack, not of
        a healthy service: such tickets are left out of the healthy verdict; pages never are.
        """
        found = self.prometheus.query(
            'time() - min_over_time(timestamp(up{job="profiles"})[2h:1s])'
        )
        age = float(found[0]["value"][1]) if found else 0.0  # type: ignore[index]
        project = self.artifacts.project
        return {
            alert_name(slo, tier)
            for service in project.services
            for slo in service.slos
            for tier in project.alerting.tiers
            if tier.severity == "ticket"
            and parse_duration(tier.long_window) / TIME_COMPRESSION > age
        }

    def inhibited(self) -> set[str]:
        """Names of the alerts Alertmanager holds muted by an inhibition rule."""
        held: list[dict[str, Any]] = [dict(a) for a in self.alertmanager.alerts()]
        return {
            str(a["labels"]["alertname"]) for a in held if a.get("status", {}).get("inhibitedBy")
        }


def _prometheus_alerts(server: PrometheusServer) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{server.url}/api/v1/alerts", timeout=10) as response:
        return list(json.loads(response.read())["data"]["alerts"])


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.5) -> Any:
    """Poll ``predicate`` until truthy or ``timeout``; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


@contextlib.contextmanager
def gameday_stack(workdir: Path, config: StackConfig = COMPRESSED) -> Iterator[Stack]:
    """Webhook, build, demo service, Alertmanager, Prometheus; all stopped on exit."""
    with contextlib.ExitStack() as exit_stack:
        hook = exit_stack.enter_context(webhook())
        artifacts = build_artifacts(hook.url, workdir / "build", config)
        am_config = artifacts.tree.get("alertmanager/alertmanager.yml")
        if am_config is None:
            raise AssertionError(
                "the build has no alertmanager/alertmanager.yml: the game day "
                "needs the generated routing (alerts family)"
            )
        service = DemoService(workdir / "service")
        service.workdir.mkdir(parents=True, exist_ok=True)
        service.start(hook.url)
        exit_stack.callback(service.stop)
        am = exit_stack.enter_context(alertmanager(workdir / "alertmanager", am_config.decode()))
        rules_dir = workdir / ("compressed-rules" if config.compress else "rules")
        rules_dir.mkdir(parents=True, exist_ok=True)
        rule_files = []
        for path in artifacts.rule_files():
            target = rules_dir / Path(path).name
            text = artifacts.tree[path].decode()
            target.write_text(compress_rule_file(text) if config.compress else text)
            rule_files.append(target)
        resend = (
            [f"--rules.alert.resend-delay={config.resend_delay}"] if config.resend_delay else []
        )
        prom = exit_stack.enter_context(
            prometheus(
                workdir / "prometheus",
                {JOB: service.target},
                rule_files,
                alertmanager=am.url.removeprefix("http://"),
                interval=config.interval,
                extra_args=resend,
            )
        )
        yield Stack(artifacts, service, prom, am, hook, workdir)


def keep_logs(workdir: Path, destination: Path) -> list[Path]:
    """Copy every process log (and the built artifacts) of a failed run to ``destination``."""
    copied = []
    destination.mkdir(parents=True, exist_ok=True)
    for log in sorted(workdir.rglob("*.log")):
        target = destination / log.relative_to(workdir).as_posix().replace("/", "__")
        shutil.copyfile(log, target)
        copied.append(target)
    for folder in ("build", "compressed-rules", "rules"):
        if (workdir / folder).is_dir():
            shutil.copytree(workdir / folder, destination / folder, dirs_exist_ok=True)
    return copied
