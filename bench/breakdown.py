"""Where (b)'s extra instructions per request go: each piece of its request telemetry, counted.

``bench.instructions`` counts whole requests; its ablations (b-metrics, b-noexport, b-nolog) split
them in three. This splits further. Each step is one piece of the work (b) does per request,
run exactly as the demo runs it — the demo's own objects (``TelemetryMiddleware``, ``AccessLog``,
the SDK tracer ``setup_telemetry`` builds, ``otlp_wire``, ``OtlpGrpc``) — in a fresh Python under
``valgrind --tool=callgrind``: after a warm-up, ``--calls`` calls of the step; a step's cost is
its process's instructions minus those of the ``noop`` step (same setup, same loop, nothing
called), divided by the calls. Every thread of the process is counted (gRPC's included).

    python -m bench.breakdown                 # every step, 2000 calls each (~5 min)
    python -m bench.breakdown --steps span,access
    python -m bench.breakdown --quick         # smoke run: two steps, 100 calls

The ``middleware`` steps run the whole ``TelemetryMiddleware`` around an ASGI app that only
sends a 200 response (no Starlette, no routing, no event loop: the coroutine is driven by
hand), so they are (b)'s request telemetry without the DB span and without export; the other
steps are its parts. Costs in isolation differ from costs inside a busy server by what the
server adds around them (GC passes over a larger heap, the GIL handed to the exporter
threads), which is why ``bench.instructions`` remains the figure to compare changes with.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from bench.common import free_port, table
from bench.harness import start_sink

# step -> what it is (one call = one request's worth)
STEPS: dict[str, str] = {
    "noop": "the loop alone (subtracted from every step)",
    "middleware": "TelemetryMiddleware as (b) runs it: everything below but DB span and export",
    "middleware-metrics": "TelemetryMiddleware as b-metrics runs it (NoOp tracer, no access line)",
    "request-id": "request id from headers (made when absent) + its contextvar set/reset",
    "gauge": "in-flight gauge inc + dec (cached child)",
    "histogram": "duration histogram observe, no exemplar (cached child)",
    "histogram-exemplar": "duration histogram observe with the trace_id exemplar",
    "span": "server span: start_span with its 4 start attributes + end (queued for export)",
    "span-context": "server span made current: set_span_in_context + attach/detach",
    "span-attributes": "server span's name, http.route and status set at the end",
    "traceparent": "traceparent + x-request-id response headers",
    "db-span": "DB CLIENT span: start_span with its 4 attributes + end (queued for export)",
    "access-json": "access line: its JSON, write + flush to /dev/null, log_records counter",
    "access-otlp": "access line + its OTLP copy (LogLine queued)",
    "encode-spans": "encoding one request's two spans (in batches of 32 requests)",
    "encode-log": "encoding one request's access LogLine (in batches of 32 requests)",
    "grpc-call": "one OTLP/gRPC export call of 64 encoded spans to the local sink (per CALL)",
}
QUICK = ("noop", "histogram")
BATCH = 32  # requests per export batch in the encode steps


def _settings(otlp: str | None, *, tracing: bool, access: str) -> Any:
    from demo_service.settings import Settings

    return Settings(
        database_path=":memory:",
        otel_disabled=not tracing,
        otlp_endpoint=otlp,
        sampler_ratio=1.0,
        access_log=access,
        export_interval=3600.0,  # the queues are drained by hand (or not at all)
        export_queue_size=10**7,
        export_batch_size=10**7,
    )


class _Drive:
    """Runs an ASGI app on one request without an event loop (nothing in it really awaits)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.scope: dict[str, Any] = {
            "type": "http",
            "method": "GET",
            "path": "/profiles/1",
            "scheme": "http",
            "http_version": "1.1",
            "client": ("127.0.0.1", 50000),
            "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")],
        }

    def __call__(self) -> None:
        coro = self.app(dict(self.scope), _receive, _send)
        try:
            coro.send(None)
        except StopIteration:
            return
        raise RuntimeError("the app awaited something real")


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


class _Route:
    path_format = "/profiles/{profile_id}"


async def _ok(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    scope["route"] = _Route()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"{}"})


def _middleware(
    metrics: Any, telemetry: Any, devnull: Any, *, tracing: bool, access: str
) -> Callable[[], None]:
    from opentelemetry import trace

    from demo_service.access_log import AccessLog
    from demo_service.middleware import TelemetryMiddleware

    mw = TelemetryMiddleware(
        _ok,
        metrics=metrics,
        tracer=telemetry.tracer if tracing else trace.NoOpTracer(),
        access_log=AccessLog(devnull, metrics, telemetry.log_queue, telemetry.resource),
        unmatched_route="unmatched",
        log_access=access,
    )
    return _Drive(mw)


def _capture() -> Any:
    """A span processor keeping what the demo's export queue receives (public ``on_end``)."""
    from opentelemetry.sdk.trace import SpanProcessor

    class Capture(SpanProcessor):
        def __init__(self) -> None:
            self.spans: list[Any] = []

        def on_end(self, span: Any) -> None:
            self.spans.append(span)

    return Capture()


def build(otlp: str) -> dict[str, Callable[[], None]]:
    """Every step's callable, all set up in every process (so ``noop`` has the same setup)."""
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import SpanKind
    from prometheus_client import CollectorRegistry

    from demo_service import otlp_wire
    from demo_service.access_log import OTLP_SCOPE, AccessLog
    from demo_service.logs import request_id_var
    from demo_service.metrics import ServiceMetrics
    from demo_service.middleware import _incoming as incoming  # ours
    from demo_service.otlp_grpc import TRACES_METHOD, OtlpGrpc
    from demo_service.otlp_wire import LogLine, severity
    from demo_service.tracing import setup_telemetry

    logging.getLogger().setLevel(logging.INFO)  # as the demo's configure_logging (info)
    metrics = ServiceMetrics(CollectorRegistry())
    telemetry = setup_telemetry(_settings(otlp, tracing=True, access="sampled"), metrics)
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    tracer = telemetry.tracer
    child = metrics.request_duration.labels("/profiles/{profile_id}", "GET", "200")
    active = metrics.active_requests.labels("GET")
    server_attrs = {
        "http.request.method": "GET",
        "url.scheme": "http",
        "network.protocol.version": "1.1",
        "client.address": "127.0.0.1",
    }
    sql = "SELECT id, name, email, bio, avatar_bytes FROM profiles WHERE id = ?"
    db_attrs = {
        "db.system.name": "sqlite",
        "db.operation.name": "SELECT",
        "db.collection.name": "profiles",
        "db.query.text": sql,
    }
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")]
    span0 = tracer.start_span("GET", kind=SpanKind.SERVER, attributes=server_attrs)
    ctx0 = span0.get_span_context()
    out: list[Any] = []
    route = "/profiles/{profile_id}"

    def noop() -> None:
        return None

    def request_id() -> None:
        rid, _carrier = incoming(headers)
        request_id_var.reset(request_id_var.set(rid))

    def gauge() -> None:
        active.inc()
        active.dec()

    def histogram() -> None:
        child.observe(0.0123)

    def histogram_exemplar() -> None:
        child.observe(0.0123, {"trace_id": format(ctx0.trace_id, "032x")})

    def span() -> None:
        tracer.start_span("GET", kind=SpanKind.SERVER, attributes=dict(server_attrs)).end()

    def span_context() -> None:
        token = otel_context.attach(trace.set_span_in_context(span0, None))
        otel_context.detach(token)

    def span_attributes() -> None:
        s = tracer.start_span("GET", kind=SpanKind.SERVER, attributes=dict(server_attrs))
        s.update_name(f"GET {route}")
        s.set_attributes({"http.route": route, "http.response.status_code": 200})
        s.end()

    def traceparent() -> None:
        sc = span0.get_span_context()
        out[:] = [
            (b"content-length", b"2"),
            (b"x-request-id", b"0123456789abcdef"),
            (b"traceparent", b"00-%032x-%016x-%02x" % (sc.trace_id, sc.span_id, sc.trace_flags)),
        ]

    def db_span() -> None:
        tracer.start_span("SELECT profiles", kind=SpanKind.CLIENT, attributes=dict(db_attrs)).end()

    quiet = AccessLog(devnull, metrics, None, telemetry.resource)
    full = AccessLog(devnull, metrics, telemetry.log_queue, telemetry.resource)

    def access_json() -> None:
        quiet.write("GET", route, 200, 4.56, ctx0, "0123456789abcdef")

    def access_otlp() -> None:
        full.write("GET", route, 200, 4.56, ctx0, "0123456789abcdef")

    # Export side: one batch of BATCH requests' spans and access lines, as (b) queues them.
    capture = _capture()
    provider = TracerProvider(resource=telemetry.resource, shutdown_on_exit=False)
    provider.add_span_processor(capture)
    sdk_tracer = provider.get_tracer("demo_service", "bench")
    lines: list[Any] = []
    for _ in range(BATCH):
        s = sdk_tracer.start_span("GET", kind=SpanKind.SERVER, attributes=dict(server_attrs))
        d = sdk_tracer.start_span(
            "SELECT profiles",
            context=trace.set_span_in_context(s),
            kind=SpanKind.CLIENT,
            attributes=dict(db_attrs),
        )
        d.end()
        s.update_name(f"GET {route}")
        s.set_attributes({"http.route": route, "http.response.status_code": 200})
        s.end()
        sc = s.get_span_context()
        lines.append(
            LogLine(
                telemetry.resource or Resource.get_empty(),
                OTLP_SCOPE,
                time.time_ns(),
                severity(SeverityNumber.INFO),
                '{"timestamp": "2026-12-02T10:00:00.000Z", "level": "info", "message": '
                f'"GET {route} 200", "logger": "demo_service.access", '
                f'"trace_id": "{sc.trace_id:032x}", "span_id": "{sc.span_id:016x}", '
                '"request_id": "0123456789abcdef", "http_status": 200, "duration_ms": 4.56}',
                {
                    "logger.name": "demo_service.access",
                    "request_id": "0123456789abcdef",
                    "http_status": 200,
                    "duration_ms": 4.56,
                },
                sc,
            )
        )
    spans = capture.spans
    state = {"n": 0}

    def encode_spans() -> None:
        if state["n"] % BATCH == 0:
            otlp_wire.encode_spans(spans)
        state["n"] += 1

    def encode_log() -> None:
        if state["n"] % BATCH == 0:
            otlp_wire.encode_logs(lines)
        state["n"] += 1

    rpc = OtlpGrpc(otlp, TRACES_METHOD, 5.0)
    request = otlp_wire.encode_spans(spans)

    def grpc_call() -> None:
        if not rpc.send(request):
            raise RuntimeError("the sink refused an export")

    return {
        "noop": noop,
        "middleware": _middleware(metrics, telemetry, devnull, tracing=True, access="sampled"),
        "middleware-metrics": _middleware(metrics, telemetry, devnull, tracing=False, access="off"),
        "request-id": request_id,
        "gauge": gauge,
        "histogram": histogram,
        "histogram-exemplar": histogram_exemplar,
        "span": span,
        "span-context": span_context,
        "span-attributes": span_attributes,
        "traceparent": traceparent,
        "db-span": db_span,
        "access-json": access_json,
        "access-otlp": access_otlp,
        "encode-spans": encode_spans,
        "encode-log": encode_log,
        "grpc-call": grpc_call,
    }


def child(step: str, calls: int, warmup: int, otlp: str) -> None:
    fn = build(otlp)[step]
    for _ in range(warmup):
        fn()
    for _ in range(calls):
        fn()


def count(step: str, calls: int, warmup: int, otlp: str, workdir: Path) -> int:
    """Instructions of one child process (all threads)."""
    out = workdir / f"cg.{step}"
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.breakdown",
            "--child",
            step,
            "--calls",
            str(calls),
            "--warmup",
            str(warmup),
            "--otlp",
            otlp,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=900,
    )
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, not figures")
    parser.add_argument("--steps", default=None, help=f"comma-separated of {', '.join(STEPS)}")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--otlp", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.calls, args.warmup, args.otlp)
        return
    if shutil.which("valgrind") is None:
        parser.error("valgrind not found (apt-get install valgrind)")
    calls = args.calls or (100 if args.quick else 2000)
    steps = args.steps.split(",") if args.steps else list(QUICK if args.quick else STEPS)
    if "span-attributes" in steps and "span" not in steps:
        steps.append("span")
    steps = ["noop", *(s for s in steps if s != "noop")]
    for step in steps:
        if step not in STEPS:
            parser.error(f"unknown step {step!r}")
    sink_port = free_port()
    sink = start_sink(sink_port)
    otlp = f"http://127.0.0.1:{sink_port}"
    totals: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-breakdown-") as tmp:
            for step in steps:
                totals[step] = count(step, calls, args.warmup, otlp, Path(tmp))
    finally:
        sink.terminate()
        sink.wait()
    base = totals["noop"]
    per = {s: (n - base) / calls for s, n in totals.items() if s != "noop"}
    if "span-attributes" in per:
        per["span-attributes"] -= per["span"]
    print(
        f"instructions per call: {calls} calls after {args.warmup} warm-up calls, minus the "
        "noop step's, whole process under callgrind, k = 1000"
    )
    print(
        table(
            ["step", "what", "per call"],
            [[s, STEPS[s], f"{v / 1000:.1f}k"] for s, v in per.items()],
        )
    )


if __name__ == "__main__":
    main()
