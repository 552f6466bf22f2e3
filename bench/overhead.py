"""Issue 8 (1): request-telemetry overhead of the demo service vs bare and common stacks.

Each round starts every variant in turn (rotated order, so none always runs first) on core 0,
warms it up, runs one bounded wrk on core 1 against ``GET /profiles/1`` (a DB read through the
pool, the demo's typical request), records requests/s, p50/p99 and the server's peak RSS, and
stops it. Medians over rounds are reported; the ratios come from those medians.

    python -m bench.overhead            # README figures: 5 rounds x 10 s per variant
    python -m bench.overhead --quick    # smoke run: 1 round x 1 s
"""

from __future__ import annotations

import argparse

from bench.apps import ABLATIONS, VARIANTS
from bench.common import free_port, median, peak_rss_mb, table
from bench.harness import start_server, start_sink, wrk

PATH = "/profiles/1"
# Issue 17 (4): throughput ratios (higher is better) and p99 latency ratios (lower is better).
RATIOS = [("b", "a", 0.80, "≥"), ("c", "a", 0.90, "≥"), ("b", "d", 2.0, "≥"), ("b", "e", None, "")]
P99_RATIOS = [("b", "a", 1.5), ("c", "a", 1.5)]


def measure_round(
    order: list[str],
    otlp: str,
    seconds: int,
    warmup: int,
    results: dict[str, list[tuple[float, float, float, float]]],
) -> None:
    """One round: each variant fresh, warmed up, measured, stopped."""
    for variant in order:
        server = start_server(variant, free_port(), otlp)
        try:
            if warmup:
                wrk(server.base + PATH, warmup)
            res = wrk(server.base + PATH, seconds)
            if res.errors:
                raise RuntimeError(f"variant {variant}: {res.errors} errors under load")
            results[variant].append((res.rps, res.p50_ms, res.p99_ms, peak_rss_mb(server.proc.pid)))
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, not figures")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--seconds", type=int, default=None, help="wrk duration per measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated; ablations of b: {', '.join(ABLATIONS)}",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 5)
    seconds = args.seconds or (1 if args.quick else 10)
    warmup = 0 if args.quick else 2
    variants = args.variants.split(",")
    names = VARIANTS | ABLATIONS
    results: dict[str, list[tuple[float, float, float, float]]] = {v: [] for v in variants}
    sink_port = free_port()
    sink = start_sink(sink_port)
    try:
        for r in range(rounds):
            order = variants[r % len(variants) :] + variants[: r % len(variants)]
            measure_round(order, f"http://127.0.0.1:{sink_port}", seconds, warmup, results)
    finally:
        sink.terminate()
        sink.wait()
    med = {v: [median(x[i] for x in results[v]) for i in range(4)] for v in variants}
    print(
        f"instrumentation overhead: GET {PATH}, wrk -t1 -c{args.connections}, {rounds} round(s) x "
        f"{seconds} s, server on core 0, wrk + OTLP sink on core 1; medians"
    )
    print(
        table(
            ["variant", "", "req/s", "p50 ms", "p99 ms", "peak RSS MiB"],
            [
                [v, names[v], f"{m[0]:.0f}", f"{m[1]:.2f}", f"{m[2]:.2f}", f"{m[3]:.0f}"]
                for v, m in med.items()
            ],
        )
    )
    for num, den, target, op in RATIOS:
        if num not in med or den not in med:
            continue
        ratio = med[num][0] / med[den][0]
        verdict = (
            ""
            if target is None
            else (f" (target {op} {target}: {'met' if ratio >= target else 'MISSED'})")
        )
        print(f"ratio: ({num})/({den}) throughput = {ratio:.2f}{verdict}")
    for num, den, limit in P99_RATIOS:
        if num in med and den in med:
            ratio = med[num][2] / med[den][2]
            verdict = "met" if ratio <= limit else "MISSED"
            print(f"ratio: ({num})/({den}) p99 = {ratio:.2f} (target ≤ {limit}: {verdict})")


if __name__ == "__main__":
    main()
