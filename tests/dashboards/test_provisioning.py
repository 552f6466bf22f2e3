"""Grafana provisioning and Kubernetes output: paths others rely on and the signal correlations."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from obsgen.build import build
from obsgen.spec import default_spec_text, load_text


@pytest.fixture(scope="module")
def tree(project: Any) -> dict[str, bytes]:
    return build(project).tree


def _yaml(tree: dict[str, bytes], path: str) -> Any:
    return yaml.safe_load(tree[path])


@pytest.mark.parametrize(
    "path",
    [
        "dashboards/profiles-executive.json",
        "dashboards/profiles-oncall.json",
        "dashboards/profiles-debug.json",
        "dashboards-import/profiles-debug.json",
        "grafana/provisioning/dashboards/obsgen.yaml",
        "grafana/provisioning/datasources/obsgen.yaml",
        "kubernetes/dashboards-configmap.yaml",
    ],
)
def test_build_writes_the_agreed_path(tree: dict[str, bytes], path: str) -> None:
    assert path in tree


def test_dashboard_provider_reads_the_agreed_directory(tree: dict[str, bytes]) -> None:
    (provider,) = _yaml(tree, "grafana/provisioning/dashboards/obsgen.yaml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/obsgen"


def test_datasources_correlate_metrics_traces_and_logs(tree: dict[str, bytes]) -> None:
    sources = {
        d["type"]: d
        for d in _yaml(tree, "grafana/provisioning/datasources/obsgen.yaml")["datasources"]
    }
    prom, loki, tempo = sources["prometheus"], sources["loki"], sources["tempo"]
    assert (prom["uid"], prom["url"]) == ("prometheus", "http://prometheus:9090")
    assert prom["jsonData"]["exemplarTraceIdDestinations"] == [
        {"name": "trace_id", "datasourceUid": "tempo"}
    ]
    (field,) = loki["jsonData"]["derivedFields"]
    assert field["datasourceUid"] == "tempo" and field["url"] == "$${__value.raw}"
    assert "trace_id" in field["matcherRegex"]
    assert tempo["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert tempo["jsonData"]["tracesToMetrics"]["datasourceUid"] == "prometheus"
    assert tempo["jsonData"]["serviceMap"]["datasourceUid"] == "prometheus"
    assert sources["alertmanager"]["url"] == "http://alertmanager:9093"


def test_no_alertmanager_datasource_without_its_url() -> None:
    text = default_spec_text().replace("  alertmanager_url: http://alertmanager:9093\n", "")
    tree = build(load_text(text, "no-am.yaml")).tree
    types = [
        d["type"]
        for d in yaml.safe_load(tree["grafana/provisioning/datasources/obsgen.yaml"])["datasources"]
    ]
    assert "alertmanager" not in types and len(types) == 3


def test_configmaps_are_labelled_for_the_grafana_sidecar(tree: dict[str, bytes]) -> None:
    items = _yaml(tree, "kubernetes/dashboards-configmap.yaml")["items"]
    assert len(items) == 3
    for item in items:
        assert (
            item["kind"] == "ConfigMap" and item["metadata"]["labels"]["grafana_dashboard"] == "1"
        )
        ((name, text),) = item["data"].items()
        assert json.loads(text) == json.loads(tree[f"dashboards/{name}"])


def test_build_notes_and_counts_mention_dashboards(project: Any) -> None:
    result = build(project)
    assert result.counts["dashboards"] == 3
    assert result.counts["dashboard panels"] == sum(
        len(json.loads(v)["panels"]) for k, v in result.tree.items() if k.startswith("dashboards/")
    )


def test_kubernetes_objects_carry_the_spec_labels() -> None:
    text = default_spec_text() + "kubernetes:\n  labels: {release: kube-prometheus-stack}\n"
    tree = build(load_text(text, "k8s.yaml")).tree
    rule = yaml.safe_load(tree["kubernetes/prometheusrule-profiles.yaml"])
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert rule["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "obsgen"
    for item in yaml.safe_load(tree["kubernetes/dashboards-configmap.yaml"])["items"]:
        assert item["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert item["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_a_label_kubernetes_rejects_is_a_spec_error() -> None:
    from obsgen.errors import SpecError

    text = default_spec_text() + "kubernetes:\n  labels: {'bad key!': x}\n"
    with pytest.raises(SpecError, match="not a valid Kubernetes label key"):
        load_text(text, "k8s.yaml")
