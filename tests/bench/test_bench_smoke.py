"""Each benchmark script runs in ``--quick`` mode and prints its ratio lines.

No timing thresholds: figures on a shared machine are noise; the README carries the real ones.
This only proves the scripts still work against the current code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_module, require_tool

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [
    pytest.param("build_scaling", (), ["ratio: per-service time"],
                 id="build scaling prints its linearity ratio"),
    pytest.param("overhead", ("wrk",), ["ratio: (b)/(a)", "ratio: (c)/(a)", "ratio: (b)/(d)",
                                         "ratio: (b)/(e)"],
                 id="overhead prints the four variant ratios"),
    pytest.param("collector_down", ("wrk",), ["ratio: down/up throughput"],
                 id="collector down prints the down/up throughput ratio"),
    pytest.param("prometheus_cost", ("prometheus",), ["ratio: eval time"],
                 id="prometheus cost prints the evaluation-time ratio"),
    pytest.param("instructions", ("valgrind", "callgrind_control"),
                 ["ratio: (b)/(a) instructions-throughput", "| b "],
                 id="instruction counts print the (b)/(a) ratio"),
]
# Under callgrind the server runs ~50x slower: its smoke run gets minutes, the others seconds.
TIMEOUTS = {"instructions": 600}


@pytest.mark.parametrize(("script", "tools", "expected"), SCRIPTS)
def test_quick_run_prints_ratios(script: str, tools: tuple[str, ...], expected: list[str]) -> None:
    for tool in tools:
        require_tool(tool)
    require_module("prometheus_fastapi_instrumentator", "bench")
    out = subprocess.run([sys.executable, "-m", f"bench.{script}", "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=TIMEOUTS.get(script, 45),
                         check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    for line in expected:
        assert line in out.stdout, out.stdout
