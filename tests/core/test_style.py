"""The house style is enforced, not just configured: ruff's lint and formatter pass everywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_module

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "args",
    [["check", "."], ["format", "--check", "."]],
    ids=["ruff check finds nothing", "ruff format would change nothing"],
)
def test_ruff_passes(args: list[str]) -> None:
    require_module("ruff", "test")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
