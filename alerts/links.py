"""Where each alert points: its runbook page and the dashboard panel that shows its threshold.

``SLO_PANELS`` maps an SLO kind to (dashboard kind, panel key); a symptom names its panel in
its own definition (:mod:`alerts.symptoms`). The keys are the dashboards' stable panel keys, so ``dashboard_url`` opens exactly that panel
(``viewPanel``) through :mod:`dashboards.ids`, the single owner of uids and panel ids.
"""

from __future__ import annotations

import re

from dashboards import ids
from obsgen.model import Project, Service, SloKind

# SLO burn-rate alerts, by SLO kind (every tier shows on the same panel).
SLO_PANELS: dict[SloKind, tuple[str, str]] = {
    SloKind.AVAILABILITY: ("executive", "burn-rate"),
    SloKind.LATENCY: ("executive", "burn-rate"),
}


def kebab(alert_name: str) -> str:
    """`DbPoolWaiters` → `db-pool-waiters` (runbook file names and anchors)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", alert_name).lower()


def dashboard_url(project: Project, service: Service, kind: str, key: str | None = None) -> str:
    """A link to a service's dashboard, opened on one panel when ``key`` is given."""
    if key is not None:
        return ids.panel_url(project, service, kind, key)
    return ids.dashboard_url(project, service, kind)


def runbook_file(alert_name: str) -> str:
    return f"{kebab(alert_name)}.md"


def runbook_url(project: Project, alert_name: str) -> str:
    base = project.runbook_base_url
    return f"{base}{'' if base.endswith('/') else '/'}{runbook_file(alert_name)}"


def panel_sentence(kind: str, key: str) -> str:
    """How a description names the panel that dashboard_url opens."""
    return f"dashboard_url opens the {key} panel of the {ids.KIND_TITLES[kind]} dashboard."
