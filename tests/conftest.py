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
    message = f"{name} not found on PATH (install: apt-get install -y prometheus prometheus-alertmanager)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
