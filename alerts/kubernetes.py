"""The same rule groups as a prometheus-operator `PrometheusRule`, for clusters that apply rules
as Kubernetes objects instead of rule files."""

from __future__ import annotations

from typing import Any

from obsgen.artifacts import indented_yaml, to_yaml
from obsgen.model import Project, Service

MANAGED_BY = {"app.kubernetes.io/managed-by": "obsgen"}


def path(service: Service) -> str:
    return f"kubernetes/prometheusrule-{service.name}.yaml"


def prometheus_rule(
    project: Project, service: Service, groups: list[dict[str, Any]]
) -> dict[str, Any]:
    """The service's rule groups as a PrometheusRule, with the spec's kubernetes.labels (the
    operator only loads rules whose labels its ruleSelector matches)."""
    labels = {**project.kubernetes_labels, **MANAGED_BY, "app.kubernetes.io/part-of": service.name}
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": f"obsgen-{service.name}", "labels": dict(sorted(labels.items()))},
        "spec": {"groups": groups},
    }


def prometheus_rule_yaml(
    project: Project, service: Service, groups: list[dict[str, Any]], rule_files: list[str]
) -> str:
    """:func:`prometheus_rule` as YAML, its groups written from ``rule_files`` (the YAML of the
    rule files holding ``groups``, in order) indented under ``spec``: the bytes of dumping it
    whole, without dumping every rule a second time."""
    whole = prometheus_rule(project, service, groups)
    prefix = "groups:\n"
    nested = indented_yaml("".join(t.removeprefix(prefix) for t in rule_files), 2)
    if nested is None or not all(t.startswith(prefix) for t in rule_files):
        return to_yaml(whole)
    head = to_yaml({key: value for key, value in whole.items() if key != "spec"})
    return f"{head}spec:\n  {prefix}{nested}"
