"""The dashboards family's entry point: every dashboard and Grafana artifact of a project.

Pure: returns data. Per service and kind one dashboard in three forms (file provisioning,
UI import with ``__inputs``, Kubernetes ConfigMap for the Grafana sidecar), plus the Grafana
provisioning files that wire metrics, logs and traces to each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from dashboards import debug, executive, oncall
from dashboards.panels import LOKI_VAR, PROMETHEUS_VAR, TEMPO_VAR
from obsgen import conventions as names
from obsgen.artifacts import Artifact, Output, copy_data, to_json, to_yaml, yaml_list_item
from obsgen.family import Family, ServiceOutput, render_family
from obsgen.model import Project, Service
from obsgen.queries.logs import TRACE_ID_FIELD

DASHBOARDS_DIR = "dashboards"
IMPORT_DIR = "dashboards-import"
PROVISIONING_DIR = "grafana/provisioning"
CONFIGMAP_PATH = "kubernetes/dashboards-configmap.yaml"
GRAFANA_DASHBOARDS_PATH = "/var/lib/grafana/dashboards/obsgen"
FOLDER = "obsgen"
EXEMPLAR_TRACE_LABEL = "trace_id"

BUILDERS: dict[str, Callable[[Project, Service], dict[str, Any]]] = {
    "executive": executive.render,
    "oncall": oncall.render,
    "debug": debug.render,
}
# Template variable → (import input name, plugin id, plugin name).
INPUTS = {
    PROMETHEUS_VAR: ("DS_PROMETHEUS", "prometheus", "Prometheus"),
    LOKI_VAR: ("DS_LOKI", "loki", "Loki"),
    TEMPO_VAR: ("DS_TEMPO", "tempo", "Tempo"),
}


def file_name(service: str, kind: str) -> str:
    return f"{service}-{kind}.json"


def dashboards(project: Project) -> tuple[dict[tuple[str, str], dict[str, Any]], list[str]]:
    """Every dashboard JSON keyed by (service, kind), and the notes of skipped panels."""
    result: dict[tuple[str, str], dict[str, Any]] = {}
    notes: list[str] = []
    for service in project.services:
        for kind, builder in BUILDERS.items():
            rendered = builder(project, service)
            result[(service.name, kind)] = rendered["dashboard"]
            notes.extend(rendered["notes"])
    return result, notes


def import_variant(dashboard: dict[str, Any]) -> dict[str, Any]:
    """The same dashboard for Grafana's import UI: it asks for each datasource via ``__inputs``."""
    data: dict[str, Any] = copy_data(dashboard)
    data["__inputs"] = [
        {
            "name": name,
            "label": plugin_name,
            "description": f"{plugin_name} data source",
            "type": "datasource",
            "pluginId": plugin,
            "pluginName": plugin_name,
        }
        for name, plugin, plugin_name in INPUTS.values()
    ]
    data["__requires"] = [
        {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.4.0"}
    ]
    for variable in data["templating"]["list"]:
        if variable["name"] in INPUTS:
            ref = f"${{{INPUTS[variable['name']][0]}}}"
            variable["current"] = {"selected": True, "text": ref, "value": ref}
    return data


def _span_to_series_tags(project: Project) -> list[dict[str, str]]:
    """How a span's service becomes a Prometheus label in traces-to-metrics links: the selector
    label, when every service of the spec uses the same one (a Grafana datasource is shared)."""
    labels = {service.selector.label for service in project.services}
    if len(labels) != 1:
        return []
    return [{"key": names.TRACE_SERVICE_ATTRIBUTE, "value": labels.pop()}]


def datasources(project: Project) -> dict[str, Any]:
    """Grafana datasource provisioning with the trace ↔ log ↔ metric correlations."""
    ds = project.grafana
    prometheus: dict[str, Any] = {
        "name": "Prometheus",
        "type": "prometheus",
        "uid": ds.prometheus.uid,
        "access": "proxy",
        "isDefault": True,
        "editable": False,
        "jsonData": {
            "httpMethod": "POST",
            "exemplarTraceIdDestinations": [
                {"name": EXEMPLAR_TRACE_LABEL, "datasourceUid": ds.tempo.uid}
            ],
        },
    }
    loki: dict[str, Any] = {
        "name": "Loki",
        "type": "loki",
        "uid": ds.loki.uid,
        "access": "proxy",
        "editable": False,
        "jsonData": {
            "derivedFields": [
                {
                    "name": "TraceID",
                    "matcherType": "regex",
                    "matcherRegex": f'"{TRACE_ID_FIELD}":\\s*"([0-9a-fA-F]+)"',
                    "url": "$${__value.raw}",
                    "datasourceUid": ds.tempo.uid,
                    "urlDisplayLabel": "Open trace",
                }
            ]
        },
    }
    tempo: dict[str, Any] = {
        "name": "Tempo",
        "type": "tempo",
        "uid": ds.tempo.uid,
        "access": "proxy",
        "editable": False,
        "jsonData": {
            "tracesToLogsV2": {
                "datasourceUid": ds.loki.uid,
                "filterByTraceID": True,
                "spanStartTimeShift": "-5m",
                "spanEndTimeShift": "5m",
                "tags": [{"key": names.TRACE_SERVICE_ATTRIBUTE, "value": names.LOKI_SERVICE_LABEL}],
            },
            "tracesToMetrics": {
                "datasourceUid": ds.prometheus.uid,
                "spanStartTimeShift": "-5m",
                "spanEndTimeShift": "5m",
                "tags": _span_to_series_tags(project),
            },
            "serviceMap": {"datasourceUid": ds.prometheus.uid},
            "nodeGraph": {"enabled": True},
            "lokiSearch": {"datasourceUid": ds.loki.uid},
        },
    }
    items = [prometheus, loki, tempo]
    for item, source in zip(items, (ds.prometheus, ds.loki, ds.tempo)):
        if source.url:
            item["url"] = source.url
    if ds.alertmanager_url:
        items.append(
            {
                "name": "Alertmanager",
                "type": "alertmanager",
                "uid": "alertmanager",
                "access": "proxy",
                "url": ds.alertmanager_url,
                "editable": False,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            }
        )
    return {"apiVersion": 1, "datasources": items}


def provider() -> dict[str, Any]:
    """Grafana's file provider reading the provisioning dashboards."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "obsgen",
                "orgId": 1,
                "folder": FOLDER,
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": GRAFANA_DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }


def configmaps(project: Project, rendered: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """One ConfigMap per dashboard, labelled for the Grafana sidecar (``grafana_dashboard``)
    and with the spec's kubernetes.labels."""
    items = [
        configmap_item(project, service, kind, to_json(data))
        for (service, kind), data in rendered.items()
    ]
    return {"apiVersion": "v1", "kind": "List", "items": items}


def configmap_item(project: Project, service: str, kind: str, text: str) -> dict[str, Any]:
    """The ConfigMap of one dashboard (``text``: its JSON), for the Grafana sidecar."""
    labels = dict(
        sorted(
            {
                **project.kubernetes_labels,
                "grafana_dashboard": "1",
                "app.kubernetes.io/managed-by": "obsgen",
            }.items()
        )
    )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"obsgen-dashboard-{service}-{kind}",
            "labels": labels,
            "annotations": {"grafana_folder": FOLDER},
        },
        "data": {file_name(service, kind): text},
    }


def _head(project: Project) -> Iterator[Artifact]:
    """Grafana's provisioning files, and the start of the ConfigMap list each dashboard's
    item is appended to (the same bytes as ``configmaps`` dumped whole)."""
    yield Artifact(f"{PROVISIONING_DIR}/dashboards/obsgen.yaml", provider())
    yield Artifact(f"{PROVISIONING_DIR}/datasources/obsgen.yaml", datasources(project))
    if not project.services:
        yield Artifact(CONFIGMAP_PATH, configmaps(project, {}))
        return
    yield Artifact(CONFIGMAP_PATH, to_yaml({"apiVersion": "v1", "kind": "List"}) + "items:\n")


def _service(project: Project, service: Service) -> ServiceOutput:
    """The service's three dashboards, each as a file, an import file and a ConfigMap item."""
    output = ServiceOutput(counts={"dashboards": 0, "dashboard panels": 0})
    for kind, builder in BUILDERS.items():
        rendered = builder(project, service)
        data = rendered["dashboard"]
        output.notes += rendered["notes"]
        output.counts["dashboards"] += 1
        output.counts["dashboard panels"] += len(data["panels"])
        name = file_name(service.name, kind)
        text = to_json(data)  # encoded once: the file and its ConfigMap carry the same JSON
        output.artifacts += (
            Artifact(f"{DASHBOARDS_DIR}/{name}", text),
            Artifact(f"{IMPORT_DIR}/{name}", import_variant(data)),
            Artifact(
                CONFIGMAP_PATH,
                yaml_list_item(configmap_item(project, service.name, kind, text)),
                part=True,
            ),
        )
    return output


def _tail(project: Project, carries: list[Any]) -> Iterator[Artifact]:
    return iter(())


FAMILY = Family(head=_head, service=_service, tail=_tail, counts=("dashboards", "dashboard panels"))


def render(project: Project) -> Output:
    return render_family(FAMILY, project)
