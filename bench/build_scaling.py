"""Issue 8 (3): `obsgen build` wall time and peak memory for 1..500 generated services.

Each size runs the real CLI in a fresh subprocess (imports included, as a user sees it), so
peak RSS comes straight from that child's rusage. Sizes are interleaved over several rounds
and medians reported; the slope is a least-squares fit of time (and memory) against services.

    python -m bench.build_scaling            # README figures: 1, 10, 100, 500, 1000 services, 3 rounds
    python -m bench.build_scaling --quick    # smoke run: 1 and 10 services, 1 round
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median, table
from obsgen.spec import default_spec_text


def spec_with_services(count: int) -> str:
    """The bundled demo spec with its one service block repeated ``count`` times, renamed."""
    text = default_spec_text()
    head, rest = text.split("services:\n", 1)
    block_end = re.search(r"^\S", rest, re.MULTILINE)
    assert block_end is not None, "the demo spec's services list must be followed by a key"
    block, tail = rest[: block_end.start()], rest[block_end.start() :]
    blocks = [block.replace("profiles", f"svc-{i:03d}") for i in range(count)]
    return head + "services:\n" + "".join(blocks) + tail


def run_build(spec: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `obsgen build` subprocess."""
    cmd = [sys.executable, "-m", "obsgen", "build", "-c", str(spec), "-o", str(out)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"obsgen build failed for {spec}: {err}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def slope(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares (slope, intercept)."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    k = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return k, my - k * mx


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, not figures")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--sizes", default=None, help="comma-separated (default 1,10,100,500,1000)")
    args = parser.parse_args(argv)
    sizes = (
        [int(n) for n in args.sizes.split(",")]
        if args.sizes
        else ([1, 10] if args.quick else [1, 10, 100, 500, 1000])
    )
    rounds = args.rounds or (1 if args.quick else 3)
    walls: dict[int, list[float]] = {n: [] for n in sizes}
    mems: dict[int, list[float]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-") as tmp:
        specs = {}
        for n in sizes:
            specs[n] = Path(tmp, f"spec-{n}.yaml")
            specs[n].write_text(spec_with_services(n), encoding="utf-8")
        for r in range(rounds):
            order = sizes if r % 2 == 0 else sizes[::-1]  # interleave: no size always runs first
            for n in order:
                wall, mem = run_build(specs[n], Path(tmp, f"out-{n}"))
                walls[n].append(wall)
                mems[n].append(mem)
    rows = []
    for n in sizes:
        w, m = median(walls[n]), median(mems[n])
        rows.append(
            [
                n,
                f"{w:.2f}",
                f"{(w - median(walls[sizes[0]])) / max(n - 1, 1) * 1000:.1f}" if n > 1 else "-",
                f"{m:.0f}",
            ]
        )
    print(f"obsgen build scaling ({rounds} round(s), medians, fresh subprocess per build)")
    print(table(["services", "wall s", "ms/extra service", "peak RSS MiB"], rows))
    xs = [float(n) for n in sizes]
    k_t, c_t = slope(xs, [median(walls[n]) for n in sizes])
    k_m, c_m = slope(xs, [median(mems[n]) for n in sizes])
    print(
        f"slope: {k_t * 1000:.1f} ms/service (intercept {c_t:.2f} s), "
        f"{k_m:.2f} MiB/service (intercept {c_m:.0f} MiB)"
    )
    # Linearity: the per-service cost between the two largest sizes vs between the two smallest.
    big = (median(walls[sizes[-1]]) - median(walls[sizes[-2]])) / (sizes[-1] - sizes[-2])
    small = (median(walls[sizes[1]]) - median(walls[sizes[0]])) / (sizes[1] - sizes[0])
    print(
        f"ratio: per-service time, largest step / smallest step = {big / small:.2f} "
        "(1.0 = linear; > 1.5 suggests superlinear)"
    )
    if 100 in walls:
        print(f"ratio: 100-service build / 5 s target = {median(walls[100]) / 5:.2f} (target < 1)")
    if 1000 in walls:
        print(
            f"ratio: 1000-service build / 20 s target = {median(walls[1000]) / 20:.2f} (target < 1)"
        )
        print(
            f"ratio: 1000-service peak RSS / 500 MiB target = {median(mems[1000]) / 500:.2f} "
            "(target < 1)"
        )


if __name__ == "__main__":
    main()
