"""Issue 8 (1), counted: CPU instructions per request of each variant, split by thread.

Wall-clock figures on a shared VM move by ±20 % between runs (bench/README.md); instruction
counts do not. Each variant's real server (``bench.server``: uvicorn, h11, the same app as the wrk
figures) runs under ``valgrind --tool=callgrind``, which counts every instruction every thread
executes whatever else the machine does. After a warm-up the counters are zeroed, exactly
``--requests`` GETs go out over keep-alive connections, and the counters are dumped. Instructions
are not time — cache misses, system calls and the GIL's hand-offs are not in them — so this
complements the wrk figures, it does not replace them; it is what to compare a change with.

    python -m bench.instructions                      # README figures: 2000 requests a variant
    python -m bench.instructions --variants a,b       # a subset; ablations of b too
    python -m bench.instructions --quick              # smoke run: a and b, 60 requests
    python -m bench.instructions --variants a,b --keep /tmp/cg   # dumps for callgrind_annotate
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.apps import ABLATIONS, VARIANTS
from bench.common import free_port, table
from bench.harness import (
    LOAD_CPU,
    SERVER_CPU,
    Server,
    create_profile,
    pinned,
    start_sink,
    wait_http,
)
from bench.overhead import PATH

RATIOS = [("b", "a", 0.80), ("c", "a", 0.90), ("b", "d", 2.0), ("b", "e", None)]  # issue 17 (4)
EXPORT_SETTLE = 3.0  # s: six of the exporters' 0.5 s intervals, so every queued item is counted
# Variants whose exporters wake every 5 s (the SDK's BatchSpanProcessor default in d and e; the
# "-5s" ablations): their queues settle within 8 s (a wake-up, then a slow export).
SLOW_EXPORT = {"d": 8.0, "e": 8.0, "b-5s": 8.0, "c-5s": 8.0}
GROUPS = ("event loop", "OTLP export", "DB", "gRPC core", "other")


def classify(index: int, text: str) -> str:
    """Which kind of thread one callgrind part is, from the functions it ran (callgrind knows
    threads by number only): the first is the event loop; DB threads step SQLite; Python
    threads that call into gRPC are the two OTLP exporters; threads without the interpreter
    are gRPC's own C++ threads."""
    if index == 1:
        return "event loop"
    if "sqlite3_step" in text:
        return "DB"
    if "_PyEval_EvalFrameDefault" not in text:
        return "gRPC core" if "grpc" in text else "other"
    return "OTLP export" if "cygrpc" in text else "other"


def read_dump(prefix: Path) -> Counter[str]:
    """Instructions per thread group in the first dump (``<prefix>.1-NN``, one per thread)."""
    groups: Counter[str] = Counter()
    for part in sorted(prefix.parent.glob(prefix.name + ".1-*")):
        text = part.read_text(errors="replace")
        total = next(
            int(line.split()[1])
            for line in text.splitlines()
            if line.startswith(("summary:", "totals:"))
        )
        groups[classify(int(part.name.rsplit("-", 1)[1]), text)] += total
    if not groups:
        raise RuntimeError(f"callgrind wrote no dump at {prefix}.1-*")
    return groups


def drive(port: int, requests: int, connections: int) -> None:
    """Exactly ``requests`` GETs over ``connections`` keep-alive connections; each must be 200."""
    os.sched_setaffinity(0, {int(LOAD_CPU)})
    errors: list[str] = []

    def one_connection(count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            for _ in range(count):
                conn.request("GET", PATH)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors.append(f"status {resp.status}")
        except OSError as exc:
            errors.append(repr(exc))
        finally:
            conn.close()

    share, extra = divmod(requests, connections)
    threads = [
        threading.Thread(target=one_connection, args=(share + (i < extra),))
        for i in range(connections)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")


def callgrind_control(flag: str, pid: int) -> None:
    """Zero or dump the counters of a running callgrind. Its exit code is 0 even when it
    reached no callgrind, so its words are checked instead."""
    out = subprocess.run(
        ["callgrind_control", flag, str(pid)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = out.stdout + out.stderr
    if "Error" in said or "not detected" in said:
        raise RuntimeError(f"callgrind_control {flag} {pid}: {said.strip()}")


def measure(
    variant: str, otlp: str, requests: int, warmup: int, connections: int, workdir: Path
) -> Counter[str]:
    """Instructions per request of one variant, by thread group."""
    prefix = workdir / f"cg.{variant}"
    for old in workdir.glob(prefix.name + ".*"):  # a kept directory's earlier dumps
        old.unlink()
    port = free_port()
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--separate-threads=yes",
        f"--callgrind-out-file={prefix}",
        sys.executable,
        "-m",
        "bench.server",
        variant,
        "--port",
        str(port),
        "--otlp",
        otlp,
    ]
    proc = subprocess.Popen(
        pinned(SERVER_CPU, cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Server(variant, port, proc)
    try:
        wait_http(f"{server.base}/healthz", proc, timeout=300)
        create_profile(server.base)
        drive(port, warmup, connections)
        # Both ends of the counted window are quiet: what the warm-up queued is exported before
        # the counters are zeroed, what the counted requests queued before they are dumped.
        settle = SLOW_EXPORT.get(variant, EXPORT_SETTLE)
        time.sleep(settle)
        callgrind_control("--zero", proc.pid)
        started = time.monotonic()
        drive(port, requests, connections)
        rate = requests / (time.monotonic() - started)
        # Export batches follow the clock (0.5 s intervals): under callgrind they hold ~50x
        # fewer requests than at full speed, so per-call export work weighs more per request.
        print(f"{variant}: {rate:.0f} req/s under callgrind", file=sys.stderr)
        time.sleep(settle)  # the exporters send what the last requests queued
        callgrind_control("--dump", proc.pid)
        deadline = time.monotonic() + 120
        while not list(workdir.glob(prefix.name + ".1-*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # every thread's part written
    finally:
        server.stop(timeout=120)
    counts = read_dump(prefix)
    return Counter({group: n // requests for group, n in counts.items()})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, not figures")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--variants", default=None, help=f"comma-separated; default all of {', '.join(VARIANTS)}"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="write the callgrind dumps here (cg.VARIANT.1-NN, one per thread; NN=01 is the "
        "event loop) for callgrind_annotate, instead of a temporary directory",
    )
    args = parser.parse_args(argv)
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} not found (apt-get install valgrind)")
    requests = args.requests or (60 if args.quick else 2000)
    warmup = 20 if args.quick else 200
    variants = (args.variants or ("a,b" if args.quick else ",".join(VARIANTS))).split(",")
    names = VARIANTS | ABLATIONS
    results: dict[str, Counter[str]] = {}
    sink_port = free_port()
    sink = start_sink(sink_port)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                tmp = str(args.keep)
            for variant in variants:
                results[variant] = measure(
                    variant,
                    f"http://127.0.0.1:{sink_port}",
                    requests,
                    warmup,
                    args.connections,
                    Path(tmp),
                )
    finally:
        sink.terminate()
        sink.wait()
    print(
        f"instructions per request: GET {PATH}, {requests} requests over {args.connections} "
        "keep-alive connections after a warm-up, whole server process under callgrind, k = 1000"
    )
    rows = []
    for v, counts in results.items():
        total = sum(counts.values())
        rows.append(
            [v, names[v], f"{total / 1000:.0f}k", *(f"{counts[g] / 1000:.0f}k" for g in GROUPS)]
        )
    print(table(["variant", "", "total", *GROUPS], rows))
    totals = {v: sum(c.values()) for v, c in results.items()}
    for num, den, target in RATIOS:
        if num in totals and den in totals:
            # work per request inverted, so it reads like a throughput ratio (higher is better)
            ratio = totals[den] / totals[num]
            verdict = (
                ""
                if target is None
                else f" (target ≥ {target}: {'met' if ratio >= target else 'MISSED'})"
            )
            print(f"ratio: ({num})/({den}) instructions-throughput = {ratio:.2f}{verdict}")


if __name__ == "__main__":
    main()
