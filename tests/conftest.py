"""Shared fixtures. Tools that the tests need are real binaries, never mocks."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NATIVE_VERSIONS = REPO / "stack" / "native" / "versions"
# Binaries of the pinned stack (stack/native/build) -> the component that builds them. These are
# never taken from PATH: the versions compose runs are the reference, not a distribution's.
NATIVE_TOOLS = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "alertmanager": "alertmanager",
    "amtool": "alertmanager",
    "otelcol": "otelcol",
    "victoria-logs": "victorialogs",
    "jaeger": "jaeger",
    "sloth": "sloth",
    "grafana-schema-check": "grafana-schema-check",
}
# Components built from this repository's own sources (tools/<name>), not a pinned release.
REPO_TOOLS = {"grafana-schema-check": REPO / "tools" / "grafana-schema-check"}


def native_versions() -> dict[str, str]:
    """stack/native/versions as a dict (KEY=VALUE lines; comments and blanks skipped)."""
    pairs = (
        line.split("=", 1)
        for line in NATIVE_VERSIONS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def native_version(component: str) -> str:
    """The version in ``component``'s cache directory name, as stack/native/build computes it.

    A tool built from this repository adds a hash of its sources (the first 12 hex digits of
    the sha256 of go.mod, go.sum and its *.go files in name order), so an edited tool is rebuilt
    rather than found stale.
    """
    version = native_versions()[f"{component.upper().replace('-', '_')}_VERSION"]
    source = REPO_TOOLS.get(component)
    if source is None:
        return version
    names = ["go.mod", "go.sum", *sorted(path.name for path in source.glob("*.go"))]
    digest = hashlib.sha256(b"".join((source / name).read_bytes() for name in names))
    return f"{version}-{digest.hexdigest()[:12]}"


def native_home(component: str) -> Path:
    """Where stack/native/build puts ``component``: <cache>/<component>-<version>/."""
    cache = Path(
        os.environ.get("OBSGEN_STACK_CACHE") or Path.home() / ".cache" / "obsgen" / "stack"
    )
    return cache / f"{component}-{native_version(component)}"


def native_tool(name: str) -> Path | None:
    """The pinned binary ``name`` if stack/native/build has built it, else None."""
    home = native_home(NATIVE_TOOLS[name])
    binary = home / "bin" / name
    return binary if (home / ".built").is_file() and binary.is_file() else None


def require_tool(name: str) -> str:
    """Path of a real binary; skip locally when it is missing, fail under CI=true.

    The stack's own binaries (``NATIVE_TOOLS``) come from stack/native/build's cache, at the
    versions compose pins; the others from PATH. The README's test command builds and installs
    every tool, so a missing one in CI is a broken install, not a reason to pass silently.
    """
    if name in NATIVE_TOOLS:
        binary = native_tool(name)
        if binary is not None:
            return str(binary)
        message = (
            f"{name} is not built at {native_home(NATIVE_TOOLS[name])} "
            f"(./scripts/test builds it: stack/native/build {NATIVE_TOOLS[name]})"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    path = shutil.which(name)
    if path:
        return path
    message = (
        f"{name} not found on PATH (./scripts/test installs it: apt-get install -y "
        "busybox wrk valgrind)"
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
