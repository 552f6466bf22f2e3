"""Where each alert points: its runbook page and the dashboard panel that shows its threshold.

``PANELS`` is the one table the dashboards engineer reads: alert → (dashboard kind, panel
title). Dashboard uids follow the shared contract ``obsgen-<service>-<kind>`` (≤ 40 chars);
panel ids are not known here, so links open the dashboard and name the panel in the text.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from obsgen.model import Project, Service, SloKind

DASHBOARD_KINDS = ("executive", "oncall", "debug")
KIND_TITLES = {"executive": "Executive", "oncall": "On-call", "debug": "Debug"}

# SLO burn-rate alerts, by SLO kind (every tier shows on the same panel).
SLO_PANELS: dict[SloKind, tuple[str, str]] = {
    SloKind.AVAILABILITY: ("oncall", "Error budget burn rate"),
    SloKind.LATENCY: ("oncall", "Error budget burn rate"),
}

# Symptom alerts, by alert name.
PANELS: dict[str, tuple[str, str]] = {
    "TargetDown": ("oncall", "Targets up"),
    "TargetMissing": ("oncall", "Targets up"),
    "ProcessRestarts": ("debug", "Process restarts"),
    "RouteErrorRatioHigh": ("oncall", "5xx ratio by route"),
    "LatencyP99High": ("oncall", "Latency P95 / P99"),
    "EventLoopLagHigh": ("debug", "Event-loop lag"),
    "DbPoolSaturated": ("debug", "DB connection pool"),
    "DbPoolWaiters": ("debug", "DB connection pool"),
    "MemoryNearLimit": ("debug", "Memory RSS"),
    "MemoryExhaustionProjected": ("debug", "Memory RSS"),
    "CpuSaturated": ("debug", "CPU utilization"),
    "BackgroundQueueBacklog": ("debug", "Background queue backlog"),
    "LogFlood": ("debug", "Log records by level"),
    "TelemetryExportDropping": ("debug", "Telemetry export drops"),
}


def kebab(alert_name: str) -> str:
    """`DbPoolWaiters` → `db-pool-waiters` (runbook file names and anchors)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", alert_name).lower()


def dashboard_uid(service: Service, kind: str) -> str:
    return f"obsgen-{service.name}-{kind}"[:40]


def dashboard_url(project: Project, service: Service, kind: str) -> str:
    return (f"{project.grafana.url}/d/{dashboard_uid(service, kind)}"
            f"?var-service={quote(service.selector.value, safe='')}")


def runbook_file(alert_name: str) -> str:
    return f"{kebab(alert_name)}.md"


def runbook_url(project: Project, alert_name: str) -> str:
    base = project.runbook_base_url
    return f"{base}{'' if base.endswith('/') else '/'}{runbook_file(alert_name)}"


def panel_sentence(kind: str, title: str) -> str:
    """How a description names the panel (the link itself opens the whole dashboard)."""
    return f'Panel "{title}" on the {KIND_TITLES[kind]} dashboard.'
