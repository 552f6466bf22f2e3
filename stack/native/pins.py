"""Which binaries: the releases stack/native/versions pins and where stack/native/build put them.

Each component lands in ``<cache>/<component>-<version>/bin`` (cache: ``$OBSGEN_STACK_CACHE``,
default ``~/.cache/obsgen/stack``); a ``.built`` marker beside ``bin/`` says every binary of it
was built.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VERSIONS_FILE = REPO / "stack" / "native" / "versions"


def versions() -> dict[str, str]:
    """stack/native/versions as a dict (``KEY=VALUE`` lines; comments and blanks skipped)."""
    pairs = (
        line.split("=", 1)
        for line in VERSIONS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "obsgen" / "stack"
    return Path(os.environ.get("OBSGEN_STACK_CACHE") or default)


def home(component: str) -> Path:
    """<cache>/<component>-<version>: what stack/native/build made for ``component``."""
    return cache_dir() / f"{component}-{versions()[f'{component.upper()}_VERSION']}"


def is_built(component: str) -> bool:
    return (home(component) / ".built").is_file()


def binary(component: str, name: str | None = None) -> Path:
    """The built binary ``name`` (default: the component's own name) of ``component``."""
    path = home(component) / "bin" / (name or component)
    if not is_built(component) or not path.is_file():
        raise FileNotFoundError(f"{path} is not built: run stack/native/build {component}")
    return path
