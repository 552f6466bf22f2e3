"""Start, wait for, and stop the stack's processes: each in its own process group, ready when its
health URL answers 200, stopped with SIGTERM and, after a grace period, SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Spec:
    """How to start one component: argv, environment, and the URL that answers 200 when ready."""

    name: str
    argv: list[str]
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0


def wait_ready(spec: Spec, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``spec.ready_url`` answers 200; fail with the log's tail if the process dies."""
    deadline = time.monotonic() + spec.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{spec.name} exited ({process.returncode}) before it was ready; {log}:\n"
                + log.read_text(errors="replace")[-4000:]
            )
        with contextlib.suppress(OSError), urllib.request.urlopen(spec.ready_url, timeout=2) as r:
            if r.status == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(
        f"{spec.name}: {spec.ready_url} not ready after {spec.timeout}s; {log}:\n"
        + log.read_text(errors="replace")[-4000:]
    )


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process group, SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running(spec: Spec, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``spec`` with output to ``log``; yield once ready; always stop it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            spec.argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **spec.env},
            start_new_session=True,
        )
    try:
        wait_ready(spec, process, log)
        yield process
    finally:
        stop(process)
