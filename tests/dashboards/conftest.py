"""Fixtures of the dashboard tests: the bundled spec and a spec on the instrumentator preset."""

from __future__ import annotations

from typing import Any

import pytest

from dashboards.render import dashboards
from obsgen.model import Project
from obsgen.spec import default_spec_text, load_file, load_text


def instrumentator_spec_text() -> str:
    """The demo spec moved to prometheus-fastapi-instrumentator (buckets 0.1, 0.5, 1)."""
    text = default_spec_text().replace("convention: otel", "convention: prometheus-fastapi-instrumentator")
    return text.replace("threshold_seconds: 0.25", "threshold_seconds: 0.5")


@pytest.fixture(scope="session")
def project() -> Project:
    return load_file(None)


@pytest.fixture(scope="session")
def instrumentator_project() -> Project:
    return load_text(instrumentator_spec_text(), "instrumentator.yaml")


@pytest.fixture(scope="session")
def rendered(project: Project) -> dict[tuple[str, str], dict[str, Any]]:
    return dashboards(project)[0]
