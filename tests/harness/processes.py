"""Real Prometheus / Alertmanager / demo-service processes on 127.0.0.1 for tests.

Each process gets a free port and its own data directory, is stopped when the context exits
(SIGTERM, then SIGKILL), and keeps its log file for the failure report.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.conftest import require_tool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(
    url: str,
    timeout: float = 30.0,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Wait until ``url`` answers 200; fail with the process log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process exited ({process.returncode}) before {url} was ready:\n"
                + (log.read_text()[-4000:] if log else "")
            )
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError(
        f"{url} not ready after {timeout}s:\n" + (log.read_text()[-4000:] if log else "")
    )


@contextlib.contextmanager
def running(
    argv: Sequence[str],
    log: Path,
    ready_url: str,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``argv`` with output to ``log``; yield once ``ready_url`` answers; always stop it."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    try:
        wait_http(ready_url, timeout, process, log)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass(frozen=True)
class PrometheusServer:
    url: str
    workdir: Path

    def query(self, expr: str) -> list[dict[str, object]]:
        params = urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{params}", timeout=10) as response:
            return list(json.loads(response.read())["data"]["result"])


@contextlib.contextmanager
def prometheus(
    workdir: Path,
    scrape_targets: dict[str, str],
    rule_files: Sequence[Path] = (),
    alertmanager: str | None = None,
    interval: str = "1s",
    extra_args: Sequence[str] = (),
) -> Iterator[PrometheusServer]:
    """A real Prometheus scraping ``{job: host:port}`` and evaluating ``rule_files`` every ``interval``.

    ``extra_args`` are appended to the command line (e.g. a short ``--rules.alert.resend-delay``).
    """
    binary = require_tool("prometheus")
    port = free_port()
    config: dict[str, object] = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]}
            for job, target in scrape_targets.items()
        ],
    }
    if alertmanager:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    argv = [
        binary,
        f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--enable-feature=exemplar-storage",
        "--web.enable-lifecycle",
        *extra_args,
    ]
    url = f"http://127.0.0.1:{port}"
    with running(argv, workdir / "prometheus.log", f"{url}/-/ready"):
        yield PrometheusServer(url, workdir)


@dataclass(frozen=True)
class AlertmanagerServer:
    url: str
    workdir: Path

    def alerts(self) -> list[dict[str, object]]:
        """Alerts Alertmanager currently holds (API v2), with their receivers and state."""
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=10) as response:
            return list(json.loads(response.read()))


@contextlib.contextmanager
def alertmanager(workdir: Path, config: str) -> Iterator[AlertmanagerServer]:
    """A real Alertmanager (clustering off) loading ``config`` (alertmanager.yml text).

    The config is checked by Alertmanager itself at start-up: a file it rejects fails the
    fixture with Alertmanager's own message from the log.
    """
    binary = require_tool("prometheus-alertmanager")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "alertmanager.yml").write_text(config)
    argv = [
        binary,
        f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=debug",
    ]
    url = f"http://127.0.0.1:{port}"
    with running(argv, workdir / "alertmanager.log", f"{url}/-/ready"):
        yield AlertmanagerServer(url, workdir)
