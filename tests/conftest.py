"""Shared fixtures. Tools that the tests need are real binaries, never mocks."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str) -> str:
    """Path of a real binary; skip locally when it is missing, fail under CI=true.

    The README's test command installs every tool, so a missing one in CI is a broken install,
    not a reason to pass silently.
    """
    path = shutil.which(name)
    if path:
        return path
    message = (
        f"{name} not found on PATH (./scripts/test installs it: apt-get install -y "
        "prometheus prometheus-alertmanager busybox wrk valgrind)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_module(name: str, extra: str) -> None:
    """Import ``name`` or skip locally / fail under CI=true, like ``require_tool``."""
    try:
        __import__(name)
    except ImportError as exc:
        message = f"{name} not importable ({exc}); ./scripts/test installs the '{extra}' extra"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite golden files from the current output instead of comparing (review the diff!).",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when golden files should be regenerated (``--update-golden`` or OBSGEN_UPDATE_GOLDEN=1)."""
    return (
        bool(request.config.getoption("--update-golden"))
        or os.environ.get("OBSGEN_UPDATE_GOLDEN") == "1"
    )
