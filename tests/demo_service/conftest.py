"""Fixtures: the service under real uvicorn on 127.0.0.1, and a real OTLP gRPC receiver.

The receiver is built from the official opentelemetry-proto service stubs, so what the tests
see is exactly what a collector would be sent.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import uvicorn
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from prometheus_client import CollectorRegistry

from demo_service.app import create_app
from demo_service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-fault-token-9f8e7d"
# Short intervals so the whole module stays fast.
FAST_ENV = {
    "OTEL_BSP_SCHEDULE_DELAY": "50",
    "DEMO_SHUTDOWN_GRACE_SECONDS": "2",
    "DEMO_SHUTDOWN_DRAIN_SECONDS": "0.5",
    "DEMO_LOOP_LAG_INTERVAL": "0.05",
    "DEMO_JOB_SECONDS": "0.001",
    "DEMO_OTLP_TIMEOUT_SECONDS": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver:
    """Collects every OTLP export request; ``spans()``/``logs()`` flatten them."""

    port: int
    traces: list[Any] = field(default_factory=list)
    log_requests: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spans(self) -> list[Any]:
        with self.lock:
            reqs = list(self.traces)
        return [
            span
            for req in reqs
            for rs in req.resource_spans
            for ss in rs.scope_spans
            for span in ss.spans
        ]

    def logs(self) -> list[Any]:
        with self.lock:
            reqs = list(self.log_requests)
        return [
            rec
            for req in reqs
            for rl in req.resource_logs
            for sl in rl.scope_logs
            for rec in sl.log_records
        ]

    def resource_attrs(self) -> dict[str, str]:
        with self.lock:
            req = self.traces[0]
        return {a.key: a.value.string_value for a in req.resource_spans[0].resource.attributes}

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.02)
        return predicate()


def body(record: Any) -> dict[str, Any]:
    """An OTLP log record's body: the same JSON line the service writes to stdout."""
    try:
        doc: dict[str, Any] = json.loads(record.body.string_value)
    except ValueError:
        return {}
    return doc


def message(record: Any) -> str:
    return str(body(record).get("message", ""))


class _Traces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, rx: Receiver) -> None:
        self.rx = rx

    def Export(self, request: Any, context: Any) -> Any:
        with self.rx.lock:
            self.rx.traces.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


class _Logs(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, rx: Receiver) -> None:
        self.rx = rx

    def Export(self, request: Any, context: Any) -> Any:
        with self.rx.lock:
            self.rx.log_requests.append(request)
        return logs_service_pb2.ExportLogsServiceResponse()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    port = server.add_insecure_port("127.0.0.1:0")
    rx = Receiver(port)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Traces(rx), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_Logs(rx), server)
    server.start()
    yield rx
    server.stop(0)


class LockedStream(io.StringIO):
    """stdout stand-in shared by the server thread and the test."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def write(self, s: str) -> int:
        with self._lock:
            return super().write(s)

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            text = self.getvalue()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@dataclass
class Running:
    url: str
    registry: CollectorRegistry
    logs: LockedStream
    app: Any
    server: uvicorn.Server

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kw)

    def sample(self, name: str, labels: dict[str, str] | None = None) -> float:
        value = self.registry.get_sample_value(name, labels or {})
        return 0.0 if value is None else value


def settings_for(env: dict[str, str]) -> Settings:
    return Settings.from_env({**FAST_ENV, **env})


@pytest.fixture
def start_service() -> Iterator[Any]:
    """Start the app under a real uvicorn.Server in a thread; stopped at teardown."""
    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def _start(env: dict[str, str] | None = None) -> Running:
        registry = CollectorRegistry()
        stream = LockedStream()
        app = create_app(settings_for(env or {}), registry, stream)
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "service did not start"
            time.sleep(0.02)
        return Running(url, registry, stream, app, server)

    yield _start
    for server, thread in started:
        server.should_exit = True
        thread.join(10)


@dataclass
class Process:
    proc: subprocess.Popen[str]
    url: str

    def output(self) -> list[dict[str, Any]]:
        out = self.proc.stdout.read() if self.proc.stdout else ""
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def start_process() -> Iterator[Any]:
    """``python -m demo_service`` as a real process, for signal handling."""
    procs: list[subprocess.Popen[str]] = []

    def _start(env: dict[str, str] | None = None) -> Process:
        port = free_port()
        full_env = {**os.environ, **FAST_ENV, **(env or {}), "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "demo_service", "--port", str(port)],
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            assert proc.poll() is None, "service exited during start-up"
            try:
                if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "service did not start"
            time.sleep(0.05)
        return Process(proc, url)

    yield _start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
