"""``python -m demo_service.loadgen --url URL --rps N --duration S --scenario NAME``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from demo_service.loadgen.scenarios import SCENARIOS, UnsafeTarget, run_scenario
from demo_service.loadgen.traffic import Summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo_service.loadgen", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--rps", type=float, default=20.0)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (max 3600)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="healthy")
    parser.add_argument(
        "--fault-token",
        default=os.environ.get("DEMO_FAULT_TOKEN"),
        help="bearer token of /admin/faults (default: $DEMO_FAULT_TOKEN)",
    )
    parser.add_argument(
        "--allow-remote", action="store_true", help="permit a target that is not loopback"
    )
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)

    def progress(s: Summary) -> None:
        print(s.line(), flush=True)

    spec = SCENARIOS[args.scenario]
    print(f"scenario {spec.name}: faults={spec.faults or 'none'}; expect: {spec.signal}")
    try:
        summary = asyncio.run(
            run_scenario(
                args.url,
                args.scenario,
                args.duration,
                args.rps,
                fault_token=args.fault_token,
                allow_remote=args.allow_remote,
                progress=progress,
                seed=args.seed,
            )
        )
    except (UnsafeTarget, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print("summary " + summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
