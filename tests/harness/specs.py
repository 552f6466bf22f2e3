"""The specs the tests build from: the bundled demo spec and one realistic spec per preset."""

from __future__ import annotations

from pathlib import Path

from obsgen.model import Project
from obsgen.spec import load_file

SPECS_DIR = Path(__file__).resolve().parents[1] / "specs"
# A service on prometheus-fastapi-instrumentator's defaults: 28d SLOs, tiers overridden.
INSTRUMENTATOR_SPEC = SPECS_DIR / "instrumentator.yaml"


def instrumentator_project() -> Project:
    return load_file(INSTRUMENTATOR_SPEC)
