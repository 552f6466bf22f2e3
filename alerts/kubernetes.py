"""The same rule groups as a prometheus-operator `PrometheusRule`, for clusters that apply rules
as Kubernetes objects instead of rule files."""

from __future__ import annotations

from typing import Any

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
