"""The alerts family's entry point: every rule file and alerting artifact of a project."""

from __future__ import annotations

from alerts.recording import recording_groups
from obsgen.artifacts import Artifact, Output
from obsgen.model import Project

RULES_DIR = "prometheus/rules"


def rules_path(service: str, kind: str) -> str:
    """Where a service's rule file of ``kind`` (recording, alerts) lives in the build tree."""
    return f"{RULES_DIR}/{service}.{kind}.yaml"


def render(project: Project) -> Output:
    artifacts = []
    recording_rules = 0
    for service in project.services:
        groups = recording_groups(project, service)
        recording_rules += sum(len(g["rules"]) for g in groups)
        if groups:
            artifacts.append(Artifact(rules_path(service.name, "recording"), {"groups": groups}))
    return Output(artifacts=tuple(artifacts), counts={"recording rules": recording_rules})
