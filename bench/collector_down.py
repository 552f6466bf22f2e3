"""Issue 8 (2): obsgen full telemetry (variant b) with the OTLP collector down vs up.

"Up" is the local no-op sink; "down" is a loopback port nobody listens on (connection refused
at once, the common case when a collector pod is gone). Rounds interleave the two. Per run:
requests/s, RSS growth from after warm-up to the end of the run (the bounded export queues
must not grow without limit), exported/dropped spans and logs from /metrics, and the time from
SIGTERM to process exit (the flush must respect the grace bound).

    python -m bench.collector_down            # README figures: 5 rounds x 10 s
    python -m bench.collector_down --quick    # smoke run: 1 round x 1 s
"""

from __future__ import annotations

import argparse
import re
import urllib.request

from bench.common import free_port, median, peak_rss_mb, rss_mb, table
from bench.harness import start_server, start_sink, wrk
from obsgen.conventions import DEMO_SERVICE, OTEL

PATH = "/profiles/1"


def export_counts(base: str) -> dict[str, float]:
    """``{"exported/traces": n, "dropped/logs": n, ...}`` from the service's own counters."""
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    counts: dict[str, float] = {}
    names = {
        "exported": DEMO_SERVICE.runtime.telemetry_exported,
        "dropped": OTEL.runtime.telemetry_dropped,
    }
    for kind, name in names.items():
        for signal, value in re.findall(rf'^{name}\{{signal="(\w+)"\}} (\S+)$', text, re.MULTILINE):
            counts[f"{kind}/{signal}"] = float(value)
    return counts


def run_once(endpoint: str, seconds: int, warmup: int) -> dict[str, float]:
    """One fresh server: throughput, RSS growth, export counters and shutdown time."""
    server = start_server("b", free_port(), endpoint)
    try:
        if warmup:
            wrk(server.base + PATH, warmup)
        rss_before = rss_mb(server.proc.pid)
        res = wrk(server.base + PATH, seconds)
        rss_after = rss_mb(server.proc.pid)
        peak = peak_rss_mb(server.proc.pid)
        counts = export_counts(server.base)
    finally:
        shutdown = server.stop()
    return {
        "rps": res.rps,
        "p99": res.p99_ms,
        "growth": rss_after - rss_before,
        "peak": peak,
        "shutdown": shutdown,
        "errors": res.errors,
        "spans_ok": counts.get("exported/traces", 0),
        "spans_lost": counts.get("dropped/traces", 0),
        "logs_ok": counts.get("exported/logs", 0),
        "logs_lost": counts.get("dropped/logs", 0),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, not figures")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--seconds", type=int, default=None)
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 5)
    seconds = args.seconds or (1 if args.quick else 10)
    warmup = 0 if args.quick else 2
    sink_port, dead_port = free_port(), free_port()
    endpoints = {"up": f"http://127.0.0.1:{sink_port}", "down": f"http://127.0.0.1:{dead_port}"}
    runs: dict[str, list[dict[str, float]]] = {"up": [], "down": []}
    sink = start_sink(sink_port)
    try:
        for r in range(rounds):
            for state in ("up", "down") if r % 2 == 0 else ("down", "up"):
                runs[state].append(run_once(endpoints[state], seconds, warmup))
    finally:
        sink.terminate()
        sink.wait()
    keys = [
        "rps",
        "p99",
        "peak",
        "growth",
        "shutdown",
        "spans_ok",
        "spans_lost",
        "logs_ok",
        "logs_lost",
    ]
    med = {s: {k: median(run[k] for run in runs[s]) for k in keys} for s in runs}
    print(
        f"collector down: variant b, GET {PATH}, {rounds} round(s) x {seconds} s; medians "
        "(spans/logs: exported / dropped during the run, read before shutdown)"
    )
    print(
        table(
            [
                "collector",
                "req/s",
                "p99 ms",
                "peak RSS MiB",
                "RSS growth MiB",
                "shutdown s",
                "spans ok/dropped",
                "logs ok/dropped",
            ],
            [
                [
                    s,
                    f"{m['rps']:.0f}",
                    f"{m['p99']:.2f}",
                    f"{m['peak']:.0f}",
                    f"{m['growth']:+.1f}",
                    f"{m['shutdown']:.2f}",
                    f"{m['spans_ok']:.0f}/{m['spans_lost']:.0f}",
                    f"{m['logs_ok']:.0f}/{m['logs_lost']:.0f}",
                ]
                for s, m in med.items()
            ],
        )
    )
    ratio = med["down"]["rps"] / med["up"]["rps"]
    print(
        f"ratio: down/up throughput = {ratio:.2f} (target ≥ 0.95: "
        f"{'met' if ratio >= 0.95 else 'MISSED'})"
    )
    print(
        f"ratio: down/up shutdown time = {med['down']['shutdown'] / med['up']['shutdown']:.2f} "
        "(grace bound 5 s)"
    )


if __name__ == "__main__":
    main()
