"""Processes the load benchmarks drive: pinned servers, the OTLP sink, and wrk runs.

The server under test is pinned to core 0 and everything else (wrk, the sink) to core 1, so
the server's throughput is one core's worth, as with one uvicorn worker in production.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

SERVER_CPU = "0"
LOAD_CPU = "1" if (os.cpu_count() or 1) > 1 else "0"
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def pinned(cpu: str, cmd: list[str]) -> list[str]:
    """``cmd`` under ``taskset -c cpu`` (unpinned where taskset is missing)."""
    taskset = shutil.which("taskset")
    return [taskset, "-c", cpu, *cmd] if taskset else cmd


def _get(url: str, timeout: float = 1.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Poll ``url`` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {err[-2000:]}")
        try:
            if _get(url) == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def start_sink(port: int) -> subprocess.Popen[bytes]:
    """The no-op OTLP/gRPC sink on the load core; returns once it is listening."""
    proc = subprocess.Popen(
        pinned(LOAD_CPU, [sys.executable, "-m", "bench.otlp_sink", "--port", str(port)]),
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"ready":
        raise RuntimeError("OTLP sink did not start")
    return proc


@dataclass
class Server:
    """One running variant on core 0."""

    variant: str
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 15.0) -> float:
        """SIGTERM and wait; returns seconds until the process exited."""
        started = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return time.perf_counter() - started


def start_server(variant: str, port: int, otlp: str | None) -> Server:
    """Start a variant, wait for readiness, create profile 1 (what the load reads)."""
    cmd = [sys.executable, "-m", "bench.server", variant, "--port", str(port)]
    if otlp:
        cmd += ["--otlp", otlp]
    proc = subprocess.Popen(
        pinned(SERVER_CPU, cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Server(variant, port, proc)
    wait_http(f"{server.base}/healthz", proc)
    create_profile(server.base)
    return server


def create_profile(base: str) -> None:
    """Profile 1, what every load reads."""
    body = json.dumps({"name": "Ada", "email": "ada@example.org", "bio": "bench"}).encode()
    req = urllib.request.Request(
        f"{base}/profiles", data=body, method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 201, resp.status


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(out: str) -> WrkResult:
    """Requests/s, p50 and p99 from ``wrk --latency`` output; non-2xx and socket errors summed."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _seconds(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _seconds(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(rps, p50 * 1000, p99 * 1000, errors + (int(non2xx.group(1)) if non2xx else 0))


def wrk(url: str, seconds: int, connections: int = 32) -> WrkResult:
    """One bounded closed-loop wrk run from the load core."""
    cmd = pinned(
        LOAD_CPU,
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", url],
    )
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    return parse_wrk(out)
