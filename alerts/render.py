"""The alerts family's entry point: every rule file and alerting artifact of a project."""

from __future__ import annotations

from collections.abc import Iterator

from alerts import alertmanager, grafana_alerting, kubernetes
from alerts.lint import lint_groups
from alerts.promtool_tests import test_file, tests_path
from alerts.recording import recording_groups
from alerts.rule import AlertGroup
from alerts.runbooks import runbooks
from alerts.slo_alerts import slo_alert_groups
from alerts.symptoms import SYMPTOMS, symptom_group
from obsgen.artifacts import Artifact, Output
from obsgen.model import Project, Service

RULES_DIR = "prometheus/rules"


def rules_path(service: str, kind: str) -> str:
    """Where a service's rule file of ``kind`` (recording, alerts) lives in the build tree."""
    return f"{RULES_DIR}/{service}.{kind}.yaml"


def alert_groups(project: Project, service: Service) -> tuple[list[AlertGroup], list[str]]:
    """SLO burn-rate groups (one per SLO) then the symptom group; notes for skipped alerts."""
    symptoms, notes = symptom_group(project, service)
    groups = slo_alert_groups(project, service) + ([symptoms] if symptoms.alerts else [])
    return groups, notes


def render_stream(project: Project, notes: list[str], counts: dict[str, int]) -> Iterator[Artifact]:
    """Every artifact, one service at a time, so a build never holds every service's files;
    ``notes`` and ``counts`` are complete once the iterator is exhausted."""
    all_alerts = []
    counts.update({"recording rules": 0, "alerts": 0})
    for service in project.services:
        recording = recording_groups(project, service)
        alert_rules, skipped = alert_groups(project, service)
        alerting = [group.to_group() for group in alert_rules]
        notes += skipped
        counts["recording rules"] += sum(len(g["rules"]) for g in recording)
        counts["alerts"] += sum(len(g["rules"]) for g in alerting)
        rule_files = []
        for kind, groups in (("recording", recording), ("alerts", alerting)):
            if groups:
                path = rules_path(service.name, kind)
                problems = lint_groups(groups, path)
                if problems:  # a generator bug, not a user error: fail the build loudly
                    raise ValueError("generated rules fail lint:\n" + "\n".join(problems))
                yield Artifact(path, {"groups": groups})
                rule_files.append(path)
        order = [g["name"] for g in recording + alerting]
        tests, uncovered = test_file(project, service, rule_files, order)
        notes += uncovered
        counts["promtool test cases"] = counts.get("promtool test cases", 0) + len(tests["tests"])
        if tests["tests"]:
            yield Artifact(tests_path(service.name), tests)
        if recording or alerting:
            yield Artifact(
                kubernetes.path(service),
                kubernetes.prometheus_rule(project, service, recording + alerting),
            )
        if alert_rules:
            yield Artifact(
                grafana_alerting.path(service),
                grafana_alerting.provisioning(project, service, alert_rules),
                comment=grafana_alerting.comment(service),
            )
        all_alerts += [(service, a) for group in alert_rules for a in group.alerts]
    yield from runbooks(project, all_alerts)
    yield Artifact(alertmanager.PATH, alertmanager.alertmanager_config(project, SYMPTOMS))


def render(project: Project) -> Output:
    notes: list[str] = []
    counts: dict[str, int] = {}
    artifacts = tuple(render_stream(project, notes, counts))
    return Output(artifacts=artifacts, notes=tuple(notes), counts=counts)
