"""Fixtures of the dashboard tests: the bundled spec and a spec on the instrumentator preset."""

from __future__ import annotations

from typing import Any

import pytest

from dashboards.render import dashboards
from obsgen.model import Project
from obsgen.spec import load_file
from tests.harness import specs


@pytest.fixture(scope="session")
def project() -> Project:
    return load_file(None)


@pytest.fixture(scope="session")
def instrumentator_project() -> Project:
    return specs.instrumentator_project()


@pytest.fixture(scope="session")
def rendered(project: Project) -> dict[tuple[str, str], dict[str, Any]]:
    return dashboards(project)[0]
