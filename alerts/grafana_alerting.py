"""The same alerts as Grafana-managed alert rules, in Grafana's file-provisioning format.

For teams that let Grafana evaluate and route alerts instead of Prometheus + Alertmanager.
Built with grafanalib's alerting classes, then mapped to what Grafana 11/12 read from a
provisioning file (:func:`_provisioning_rule` says what grafanalib 0.7.1 gets wrong and why).

Every rule keeps the Prometheus semantics: query A is the Prometheus alert expression, and
a Prometheus alert expression is a filter (every series it returns fires, whatever its value;
no series, no alert). So B maps each series to 1 (``is_number || is_nan || is_inf``, as
Grafana's own Prometheus-rule conversion does) and C fires when B > 0. A reduce step cannot
do it: Grafana passes an instant query's numbers through reduce unchanged, so `up == 0`
(value 0) would never fire.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from grafanalib import core as gl
from grafanalib._gen import DashboardEncoder

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
EXPRESSION_DATASOURCE = "__expr__"  # Grafana's expression datasource; "-100" is its legacy alias
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
    return f"{uid[:UID_MAX - len(digest) - 1].rstrip('-')}-{digest}"


def grafana_template(text: str) -> str:
    """A Prometheus annotation template for Grafana: there ``$value`` is a string of every query
    and expression result, and the number of query A is ``$values.A.Value``."""
    def one(match: re.Match[str]) -> str:
        action = match.group(1)
        if not (action.startswith("$labels.") or action.startswith("$value |")):
            raise ValueError(f"no Grafana form known for template action {match.group(0)!r}")
        return "{{ " + _VALUE.sub(f"$values.{QUERY}.Value", action) + " }}"

    return _ACTION.sub(one, text)


def _rule(project: Project, service: Service, alert: AlertRule) -> Any:
    """The grafanalib rule: query A, then B (1 per series of A), then the condition C (B > 0)."""
    panel = ids.panel_ref(service.name, *alert.panel)
    return gl.AlertRulev9(
        title=alert.name,
        uid=rule_uid(service.name, alert.name),
        triggers=[
            gl.Target(expr=alert.expr, refId=QUERY, instant=True,
                      datasource=project.grafana.prometheus.uid),
            gl.AlertExpression(
                refId=SERIES, expressionType=gl.EXP_TYPE_MATH,
                expression=f"is_number(${QUERY}) || is_nan(${QUERY}) || is_inf(${QUERY})"),
            # grafanalib has no threshold type; its classic condition carries the same
            # evaluator, and _expression_model retypes it.
            gl.AlertExpression(
                refId=CONDITION, expression=SERIES, expressionType=gl.EXP_TYPE_CLASSIC,
                conditions=[gl.AlertCondition(evaluator=gl.GreaterThan(0))]),
        ],
        condition=CONDITION,
        labels=dict(sorted(alert.all_labels.items())),
        annotations={**{k: grafana_template(v) for k, v in alert.annotations.items()},
                     "__dashboardUid__": panel.uid, "__panelId__": str(panel.panel_id)},
        evaluateFor=alert.for_,
        noDataAlertState=gl.ALERTRULE_STATE_DATA_OK,  # no series = not firing, as in Prometheus
        errorAlertState=gl.ALERTRULE_STATE_DATA_ERROR,
        dashboard_uid=panel.uid,
        panel_id=panel.panel_id,
    )


def _query_model(model: dict[str, Any], datasource_uid: str) -> dict[str, Any]:
    """grafanalib's Target carries graph-panel keys (target, step, intervalFactor, ...) and the
    datasource as a bare uid; Grafana's Prometheus query model wants a {type, uid} reference,
    and ``range: false`` so the query runs as an instant query only."""
    return {"refId": model["refId"], "datasource": {"type": "prometheus", "uid": datasource_uid},
            "expr": model["expr"], "instant": True, "range": False}


def _expression_model(model: dict[str, Any]) -> dict[str, Any]:
    """grafanalib writes every expression type's settings (reducer, resample window, ...) into
    every expression, with the legacy datasource uid; keep the keys of the type at hand."""
    result = {"refId": model["refId"],
              "datasource": {"type": EXPRESSION_DATASOURCE, "uid": EXPRESSION_DATASOURCE},
              "type": model["type"], "expression": model["expression"],
              "intervalMs": model["intervalMs"], "maxDataPoints": model["maxDataPoints"]}
    if model["refId"] == CONDITION:  # built as a classic condition, meant as a threshold
        result["type"] = "threshold"
        result["conditions"] = [{"evaluator": c["evaluator"]} for c in model["conditions"]]
    return result


def _provisioning_rule(emitted: dict[str, Any], rule: Any) -> dict[str, Any]:
    """A rule in the file-provisioning shape, from grafanalib's AlertRulev9 JSON.

    grafanalib writes the ruler API's shape (``grafana_alert: {title, no_data_state, ...}``);
    the provisioning file wants the flat camelCase keys Grafana's own export writes. It also
    drops dashboard_uid/panel_id, which the file format reads as ``dashboardUid``/``panelId``.
    """
    inner = emitted["grafana_alert"]
    data = []
    for query in inner["data"]:
        if query["refId"] == QUERY:
            uid = query["datasourceUid"]
            data.append({"refId": QUERY, "relativeTimeRange": query["relativeTimeRange"],
                         "datasourceUid": uid, "model": _query_model(query["model"], uid)})
        else:
            data.append({"refId": query["refId"], "relativeTimeRange": query["relativeTimeRange"],
                         "datasourceUid": EXPRESSION_DATASOURCE,
                         "model": _expression_model(query["model"])})
    return {
        "uid": emitted["uid"], "title": inner["title"], "condition": inner["condition"],
        "data": data,
        "dashboardUid": rule.dashboard_uid, "panelId": rule.panel_id,
        "noDataState": inner["no_data_state"], "execErrState": inner["exec_err_state"],
        "for": emitted["for"], "annotations": emitted["annotations"],
        "labels": emitted["labels"], "isPaused": False,
        # Prometheus resolves an alert at the first evaluation without its series; Grafana
        # waits 2 by default (Grafana 12 reads this key, 11 ignores it).
        "missing_series_evals_to_resolve": 1,
    }


def provisioning(project: Project, service: Service,
                 groups: Sequence[AlertGroup]) -> dict[str, Any]:
    """The service's alert rule provisioning file: one Grafana group per Prometheus group, same
    name, in a folder named after the service (Grafana 11 wants rule titles unique per folder,
    and every service has a TargetDown)."""
    built = [(group, [_rule(project, service, a) for a in group.alerts]) for group in groups]
    document = gl.AlertFileBasedProvisioning(groups=[
        gl.AlertGroup(name=group.name, rules=rules, folder=service.name,
                      evaluateInterval=EVALUATION_INTERVAL)
        for group, rules in built])
    data: dict[str, Any] = json.loads(json.dumps(document.to_json_data(), cls=DashboardEncoder))
    # grafanalib leaves out orgId and orders keys its own way; Grafana's export order reads best.
    return {"apiVersion": data["apiVersion"], "groups": [
        {"orgId": ORG_ID, "name": emitted["name"], "folder": emitted["folder"],
         "interval": emitted["interval"],
         "rules": [_provisioning_rule(r, a) for r, a in zip(emitted["rules"], rules)]}
        for emitted, (_, rules) in zip(data["groups"], built)]}
