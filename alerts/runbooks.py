"""Runbook pages, one per alert name, plus an index: what it means, impact, first checks with
dashboard links, and mitigations taken from the guide's failure-mode table (F1–F8)."""

from __future__ import annotations

from alerts.links import dashboard_url, runbook_file
from alerts.rule import AlertRule
from dashboards.ids import KIND_TITLES
from obsgen import conventions as names
from obsgen.artifacts import Artifact
from obsgen.model import Project, Service

DIR = "runbooks"


def _page(project: Project, name: str, uses: list[tuple[Service, AlertRule]]) -> str:
    alert = uses[0][1]
    meaning, impact, mitigations = (
        alert.runbook.meaning,
        alert.runbook.impact,
        alert.runbook.mitigations,
    )
    kind, key = alert.panel
    lines = [
        f"# {name}",
        "",
        f"Severity: **{alert.severity}**.",
        "",
        "## What it means",
        "",
        meaning,
        "",
        "## Impact",
        "",
        impact,
        "",
        "## First checks",
        "",
    ]
    for service, _ in uses:
        lines.append(
            f"- {service.name}: the [{key} panel of the {KIND_TITLES[kind]} dashboard]"
            f"({dashboard_url(project, service, kind, key)}); then the "
            f"[Debug dashboard]({dashboard_url(project, service, 'debug')})."
        )
    lines += ["", "## Owner", ""]
    lines += [
        f"- {service.name}: team **{service.team}** (alert label "
        f'`{names.TEAM_LABEL}="{service.team}"`).'
        for service, _ in uses
    ]
    if any(rule.speed for _, rule in uses):
        lines += ["", "## How fast it fires and resets", ""]
        for service, rule in uses:
            slo = rule.labels.get(names.SLO_LABEL, "")
            lines += [f"{service.name}, SLO {slo}:", "", *rule.speed, ""]
        lines.pop()
    lines += ["", "## Mitigations", ""] + [f"- {m}" for m in mitigations]
    return "\n".join(lines) + "\n"


def runbooks(project: Project, alerts: list[tuple[Service, AlertRule]]) -> list[Artifact]:
    by_name: dict[str, list[tuple[Service, AlertRule]]] = {}
    for service, alert in alerts:
        by_name.setdefault(alert.name, []).append((service, alert))
    pages = [
        Artifact(f"{DIR}/{runbook_file(n)}", _page(project, n, uses))
        for n, uses in sorted(by_name.items())
    ]
    index = ["# Runbooks", "", "| Alert | Severity |", "|---|---|"]
    index += [
        f"| [{n}]({runbook_file(n)}) | {uses[0][1].severity} |"
        for n, uses in sorted(by_name.items())
    ]
    return pages + [Artifact(f"{DIR}/README.md", "\n".join(index) + "\n")]
