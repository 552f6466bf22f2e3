"""Stable names of dashboards and panels: uids, file names, and the panel ids alerts link to.

Alerts link to ``<grafana.url>/d/<uid>?var-service=<value>&viewPanel=<id>``; both parts must
stay the same from build to build, so uids derive from the service and dashboard kind, and panel
ids from a panel's position in its dashboard's fixed list of panel keys (a panel a convention
cannot fill keeps its id reserved, so the others never move).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from obsgen.model import Project, Service

KIND_TITLES = {"executive": "Executive", "oncall": "On-call", "debug": "Debug"}
KINDS = tuple(KIND_TITLES)
UID_MAX = 40  # Grafana's limit on dashboard uids
KPI_ID_BASE = 100  # spec-defined KPI panels get ids 101, 102, ... after the fixed panels

# Each dashboard's fixed panel keys, in id order. Append new keys at the end: an inserted key
# would renumber every panel after it and break the viewPanel links of deployed alerts.
PANEL_KEYS: dict[str, tuple[str, ...]] = {
    "executive": (
        "sli",
        "budget-remaining",
        "time-to-exhaustion",
        "burn-rate",
        "throughput",
        "error-ratio",
        "slo-status",
    ),
    "oncall": (
        "firing-alerts",
        "top-error-routes",
        "latency-p50",
        "latency-p95",
        "latency-p99",
        "error-rate-by-route",
        "error-ratio-by-route",
        "status-classes",
        "in-flight",
        "cpu",
        "memory",
        "event-loop-lag",
        "db-pool-usage",
        "db-pool-waiters",
        "background-backlog",
    ),
    "debug": (
        "latency-heatmap",
        "route-latency",
        "route-traffic",
        "slow-traces",
        "log-volume",
        "logs",
        "db-query-duration",
        "db-connections",
        "background-jobs",
        "job-duration",
        "cpu-cores",
        "memory-rss",
        "gc",
        "startup",
        "telemetry-dropped",
        "telemetry-exported",
    ),
}


def dashboard_uid(service: str, kind: str) -> str:
    """``obsgen-<service>-<kind>``, shortened with a stable hash when over 40 characters."""
    if kind not in KINDS:
        raise ValueError(f"unknown dashboard kind {kind!r}; expected one of {', '.join(KINDS)}")
    uid = f"obsgen-{service}-{kind}"
    if len(uid) <= UID_MAX:
        return uid
    digest = hashlib.sha256(service.encode()).hexdigest()[:8]
    keep = UID_MAX - len(f"obsgen--{digest}-{kind}")
    return f"obsgen-{service[:keep]}-{digest}-{kind}"


def kpi_key(n: int) -> str:
    """The panel key of the spec's ``n``-th KPI (from 1) on the executive dashboard."""
    return f"kpi-{n}"


def panel_id(kind: str, key: str) -> int:
    """The stable id of the panel ``key`` on a ``kind`` dashboard (``kpi-<n>`` for KPIs)."""
    if key.startswith("kpi-") and key[4:].isdigit():
        return KPI_ID_BASE + int(key[4:])
    keys = PANEL_KEYS[kind]
    if key not in keys:
        raise KeyError(f"no panel {key!r} on the {kind} dashboard; panels: {', '.join(keys)}")
    return keys.index(key) + 1


@dataclass(frozen=True)
class PanelRef:
    """Where one panel lives: its dashboard uid and its panel id."""

    uid: str
    panel_id: int


def panel_ref(service: str, kind: str, key: str) -> PanelRef:
    """(uid, panel id) of a named panel, for alert annotations' ``viewPanel`` links."""
    return PanelRef(dashboard_uid(service, kind), panel_id(kind, key))


def dashboard_url(project: Project, service: Service, kind: str) -> str:
    """A link to a service's dashboard with ``$service`` set."""
    query = urlencode({"var-service": service.selector.value})
    return f"{project.grafana.url.rstrip('/')}/d/{dashboard_uid(service.name, kind)}?{query}"


def panel_url(project: Project, service: Service, kind: str, key: str) -> str:
    """A link that opens one panel of a service's dashboard with ``$service`` set."""
    ref = panel_ref(service.name, kind, key)
    query = urlencode({"var-service": service.selector.value, "viewPanel": ref.panel_id})
    return f"{project.grafana.url.rstrip('/')}/d/{ref.uid}?{query}"
