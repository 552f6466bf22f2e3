"""The dashboards family's entry point: every dashboard and Grafana artifact of a project."""

from __future__ import annotations

from obsgen.artifacts import Output
from obsgen.model import Project


def render(project: Project) -> Output:
    """Dashboards land with issue 4; until then the family renders nothing."""
    return Output()
