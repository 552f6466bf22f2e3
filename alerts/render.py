"""The alerts family's entry point: every rule file and alerting artifact of a project."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from alerts import alertmanager, grafana_alerting, kubernetes
from alerts.lint import lint_groups
from alerts.promtool_tests import test_file, tests_path
from alerts.recording import recording_groups
from alerts.rule import AlertGroup
from alerts.runbooks import runbooks
from alerts.slo_alerts import slo_alert_groups
from alerts.symptoms import SYMPTOMS, symptom_group
from obsgen.artifacts import Artifact, Output, to_yaml
from obsgen.family import Family, ServiceOutput, render_family
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


def _service(project: Project, service: Service) -> ServiceOutput:
    """The service's rule files, their promtool tests, PrometheusRule and Grafana alert rules;
    its alerts are carried to the runbooks."""
    output = ServiceOutput()
    recording = recording_groups(project, service)
    alert_rules, skipped = alert_groups(project, service)
    alerting = [group.to_group() for group in alert_rules]
    output.notes += skipped
    output.counts["recording rules"] = sum(len(g["rules"]) for g in recording)
    output.counts["alerts"] = sum(len(g["rules"]) for g in alerting)
    rule_files, rule_texts = [], []
    for kind, groups in (("recording", recording), ("alerts", alerting)):
        if groups:
            path = rules_path(service.name, kind)
            problems = lint_groups(groups, path)
            if problems:  # a generator bug, not a user error: fail the build loudly
                raise ValueError("generated rules fail lint:\n" + "\n".join(problems))
            rule_texts.append(to_yaml({"groups": groups}))  # the PrometheusRule nests it too
            output.artifacts.append(Artifact(path, {"groups": groups}, encoded=rule_texts[-1]))
            rule_files.append(path)
    order = [g["name"] for g in recording + alerting]
    tests, uncovered = test_file(project, service, rule_files, order)
    output.notes += uncovered
    output.counts["promtool test cases"] = len(tests["tests"])
    if tests["tests"]:
        output.artifacts.append(Artifact(tests_path(service.name), tests))
    if recording or alerting:
        output.artifacts.append(
            Artifact(
                kubernetes.path(service),
                kubernetes.prometheus_rule_yaml(project, service, recording + alerting, rule_texts),
            )
        )
    if alert_rules:
        output.artifacts.append(
            Artifact(
                grafana_alerting.path(service),
                grafana_alerting.provisioning(project, service, alert_rules),
                comment=grafana_alerting.comment(service),
            )
        )
    output.carry = [alert for group in alert_rules for alert in group.alerts]
    return output


def _head(project: Project) -> Iterator[Artifact]:
    return iter(())


def _tail(project: Project, carries: list[Any]) -> Iterator[Artifact]:
    """Runbooks for every alert of every service, then the Alertmanager config."""
    every_alert = [
        (service, alert)
        for service, alerts in zip(project.services, carries, strict=True)
        for alert in alerts
    ]
    yield from runbooks(project, every_alert)
    yield Artifact(alertmanager.PATH, alertmanager.alertmanager_config(project, SYMPTOMS))


FAMILY = Family(head=_head, service=_service, tail=_tail, counts=("recording rules", "alerts"))


def render(project: Project) -> Output:
    return render_family(FAMILY, project)
