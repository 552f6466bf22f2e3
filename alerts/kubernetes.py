"""The same rule groups as a prometheus-operator `PrometheusRule`, for clusters that apply rules
as Kubernetes objects instead of rule files."""

from __future__ import annotations

from typing import Any

from obsgen.model import Service


def path(service: Service) -> str:
    return f"kubernetes/prometheusrule-{service.name}.yaml"


def prometheus_rule(service: Service, groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": f"obsgen-{service.name}",
                         "labels": {"app.kubernetes.io/managed-by": "obsgen",
                                    "app.kubernetes.io/part-of": service.name}},
            "spec": {"groups": groups}}
