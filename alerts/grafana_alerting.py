"""The same alerts as Grafana-managed alert rules, in Grafana's file-provisioning format.

For teams that let Grafana evaluate and route alerts instead of Prometheus + Alertmanager.
Plain data in the shape Grafana 11/12 read from a provisioning file (and write on export):
grafanalib's alerting classes emit the ruler API's shape with graph-panel keys, so rewriting
their output cost more than writing the file directly.

Every rule keeps the Prometheus semantics: query A is the Prometheus alert expression, and
a Prometheus alert expression is a filter (every series it returns fires, whatever its value;
no series, no alert). So B maps each series to 1 (``is_number || is_nan || is_inf``, as
Grafana's own Prometheus-rule conversion does) and C fires when B > 0. A reduce step cannot
do it: Grafana passes an instant query's numbers through reduce unchanged, so `up == 0`
(value 0) would never fire.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from alerts.links import kebab
from alerts.rule import AlertGroup, AlertRule
from dashboards import ids
from obsgen.model import Project, Service

DIR = "grafana/alerting"
UID_MAX = 40  # Grafana's limit on alert rule uids (charset a-z A-Z 0-9 - _)
# The Prometheus groups set no `interval`, so Prometheus evaluates them at its global
# evaluation_interval, 1m unless configured (the promtool tests evaluate at 1m too).
EVALUATION_INTERVAL = "1m"
ORG_ID = 1
QUERY, SERIES, CONDITION = "A", "B", "C"
EXPRESSION = {"type": "__expr__", "uid": "__expr__"}  # Grafana's server-side expressions
QUERY_RANGE_SECONDS = 300  # how far back query A reads; the expression has its own ranges
INTERVAL_MS, MAX_DATA_POINTS = 1000, 43200  # what Grafana's rule editor writes for expressions
_VALUE = re.compile(r"\$value(?![A-Za-z0-9_])")
_ACTION = re.compile(r"\{\{\s*(.*?)\s*\}\}")

COMMENT = """\
Grafana-managed alert rules: the alerts of prometheus/rules/{service}.alerts.yaml for Grafana's
alert rule file provisioning (Grafana 11/12).
Deliberately outside grafana/provisioning/: the obsgen stack evaluates alerts in Prometheus and
routes them with Alertmanager, and provisioning this file as well would double every
notification. To let Grafana evaluate the alerts instead, copy this file into Grafana's
provisioning alerting/ directory and stop loading {service}.alerts.yaml into Prometheus. Keep
loading {service}.recording.yaml: the queries read its recording-rule series.
Grafana then routes the alerts with its notification policies (match on the severity label
as alertmanager/alertmanager.yml does)."""


def path(service: Service) -> str:
    return f"{DIR}/{service.name}.yaml"


def comment(service: Service) -> str:
    return COMMENT.format(service=service.name)


def rule_uid(service: str, alert: str) -> str:
    """``obsgen-<service>-<alert-kebab>``, cut to 40 characters with a hash of both when longer,
    so re-provisioning updates the same rule instead of adding one."""
    uid = f"obsgen-{service}-{kebab(alert)}"
    if len(uid) <= UID_MAX:
        return uid
    digest = hashlib.sha256(f"{service}/{alert}".encode()).hexdigest()[:10]
    return f"{uid[: UID_MAX - len(digest) - 1].rstrip('-')}-{digest}"


def grafana_template(text: str) -> str:
    """A Prometheus annotation template for Grafana: there ``$value`` is a string of every query
    and expression result, and the number of query A is ``$values.A.Value``."""

    def one(match: re.Match[str]) -> str:
        action = match.group(1)
        if not (action.startswith(("$labels.", "$value |"))):
            raise ValueError(f"no Grafana form known for template action {match.group(0)!r}")
        return "{{ " + _VALUE.sub(f"$values.{QUERY}.Value", action) + " }}"

    return _ACTION.sub(one, text)


def _query(
    ref: str, datasource: dict[str, str], model: dict[str, Any], seconds_back: int = 0
) -> dict[str, Any]:
    """One entry of a rule's ``data``: a query or expression with the range it reads."""
    return {
        "refId": ref,
        "relativeTimeRange": {"from": seconds_back, "to": 0},
        "datasourceUid": datasource["uid"],
        "model": {"refId": ref, "datasource": datasource, **model},
    }


def _expression(ref: str, kind: str, expression: str, **extra: Any) -> dict[str, Any]:
    return _query(
        ref,
        EXPRESSION,
        {
            "type": kind,
            "expression": expression,
            "intervalMs": INTERVAL_MS,
            "maxDataPoints": MAX_DATA_POINTS,
            **extra,
        },
    )


def _rule(project: Project, service: Service, alert: AlertRule) -> dict[str, Any]:
    """Query A (the Prometheus expression, instant), B (1 per series of A), C (B > 0), in the
    flat camelCase shape Grafana's own export writes for file provisioning."""
    panel = ids.panel_ref(service.name, *alert.panel)
    prometheus = {"type": "prometheus", "uid": project.grafana.prometheus.uid}
    return {
        "uid": rule_uid(service.name, alert.name),
        "title": alert.name,
        "condition": CONDITION,
        "data": [
            _query(
                QUERY,
                prometheus,
                {"expr": alert.expr, "instant": True, "range": False},
                seconds_back=QUERY_RANGE_SECONDS,
            ),
            _expression(
                SERIES, "math", f"is_number(${QUERY}) || is_nan(${QUERY}) || is_inf(${QUERY})"
            ),
            _expression(
                CONDITION,
                "threshold",
                SERIES,
                conditions=[{"evaluator": {"type": "gt", "params": [0]}}],
            ),
        ],
        "dashboardUid": panel.uid,
        "panelId": panel.panel_id,
        "noDataState": "OK",  # no series = not firing, as in Prometheus
        "execErrState": "Error",
        "for": alert.for_,
        "annotations": {
            **{k: grafana_template(v) for k, v in alert.annotations.items()},
            "__dashboardUid__": panel.uid,
            "__panelId__": str(panel.panel_id),
        },
        "labels": dict(sorted(alert.all_labels.items())),
        "isPaused": False,
        # Prometheus resolves an alert at the first evaluation without its series; Grafana
        # waits 2 by default (Grafana 12 reads this key, 11 ignores it).
        "missing_series_evals_to_resolve": 1,
    }


def provisioning(
    project: Project, service: Service, groups: Sequence[AlertGroup]
) -> dict[str, Any]:
    """The service's alert rule provisioning file: one Grafana group per Prometheus group, same
    name, in a folder named after the service (Grafana 11 wants rule titles unique per folder,
    and every service has a TargetDown)."""
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": ORG_ID,
                "name": group.name,
                "folder": service.name,
                "interval": EVALUATION_INTERVAL,
                "rules": [_rule(project, service, alert) for alert in group.alerts],
            }
            for group in groups
        ],
    }
