"""Each benchmark script runs in ``--quick`` mode and prints its ratio lines.

No timing thresholds: figures on a shared machine are noise; the README carries the real ones.
This proves the scripts still work against the current code and print positive figures.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_module, require_tool

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [
    pytest.param(
        "build_scaling",
        (),
        ["ratio: per-service time"],
        id="build scaling prints its linearity ratio",
    ),
    pytest.param(
        "overhead",
        ("wrk",),
        ["ratio: (b)/(a)", "ratio: (c)/(a)", "ratio: (b)/(d)", "ratio: (b)/(e)"],
        id="overhead prints the four variant ratios",
    ),
    pytest.param(
        "collector_down",
        ("wrk",),
        ["ratio: down/up throughput"],
        id="collector down prints the down/up throughput ratio",
    ),
    pytest.param(
        "prometheus_cost",
        ("prometheus",),
        ["ratio: eval time"],
        id="prometheus cost prints the evaluation-time ratio",
    ),
    pytest.param(
        "rule_cost",
        ("prometheus", "promtool", "sloth"),
        [
            "ratio: samples obsgen-recorded / sloth",
            "ratio: samples obsgen-recorded / obsgen-raw",
            "ratio: eval time obsgen-raw / sloth",
        ],
        id="rule cost prints obsgen's evaluation cost in both window forms against Sloth's",
    ),
    pytest.param(
        "rule_timeline",
        ("prometheus", "promtool"),
        ["ratio: firing minutes recorded / raw"],
        id="rule timeline prints the firing minutes of both window forms",
    ),
    pytest.param(
        "instructions",
        ("valgrind", "callgrind_control"),
        ["ratio: (b)/(a) instructions-throughput"],
        id="instructions: counts print the (b)/(a) ratio",
    ),
]
# "ratio: <what> = <figure>": the figure must parse as a positive number, not merely be printed.
RATIO = re.compile(r"^(ratio: [^=\n]+?) = ([0-9]+(?:\.[0-9]+)?)", re.MULTILINE)
# Under callgrind the server runs ~50x slower: its smoke run gets minutes, the others seconds.
TIMEOUTS = {"instructions": 600, "rule_cost": 120, "rule_timeline": 120}
# Figures that could come out wrong, not merely missing: (label prefix, low, high). The rule
# benches also exit non-zero when a rule set fails to evaluate, reads no samples, or no tier fires.
BOUNDS = {
    # reading the recorded 5m rates must touch fewer samples than rate() over every raw series
    "rule_cost": [("ratio: samples obsgen-recorded / obsgen-raw", 0.0, 0.9)],
    # the same incidents page in both forms, give or take a few minutes at their edges
    "rule_timeline": [("ratio: firing minutes recorded / raw", 0.8, 1.25)],
}


@pytest.mark.parametrize(("script", "tools", "expected"), SCRIPTS)
def test_quick_run_prints_ratios(script: str, tools: tuple[str, ...], expected: list[str]) -> None:
    for tool in tools:
        require_tool(tool)
    require_module("prometheus_fastapi_instrumentator", "bench")
    out = subprocess.run(
        [sys.executable, "-m", f"bench.{script}", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUTS.get(script, 45),
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    figures = dict(RATIO.findall(out.stdout))
    for name in expected:
        matching = [figure for label, figure in figures.items() if label.startswith(name)]
        assert matching, f"no figure for {name!r} in:\n{out.stdout}"
        assert all(float(figure) > 0 for figure in matching), out.stdout
    for name, low, high in BOUNDS.get(script, []):
        bounded = [float(figure) for label, figure in figures.items() if label.startswith(name)]
        assert bounded and all(low <= f <= high for f in bounded), (name, low, high, out.stdout)


def test_breakdown_of_instructions_quick_run_prints_a_positive_count_per_call() -> None:
    """bench.breakdown prints a table, not ratios: its smoke run counts one step (the histogram's
    observe) against the empty loop, which must come out as a positive count."""
    require_tool("valgrind")
    out = subprocess.run(
        [sys.executable, "-m", "bench.breakdown", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    row = re.search(r"^\| histogram\s+\|[^|]+\|\s*([0-9.]+)k\s*\|", out.stdout, re.MULTILINE)
    assert row, out.stdout
    assert float(row.group(1)) > 0, out.stdout
