"""Every query a build contains: dashboard panel targets and rule expressions, with their place.

Reads the in-memory build tree, so `obsgen verify` checks exactly what `obsgen build` writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from obsgen.model import Project, Service

_BACKEND_BY_TYPE = {"prometheus": "prometheus", "loki": "loki", "tempo": "tempo"}


@dataclass(frozen=True)
class Query:
    """One query to run: where it comes from, which backend runs it, and its text."""

    source: str  # dashboard title or rule file
    item: str  # panel title or rule name
    backend: str  # prometheus | loki | tempo
    text: str
    service: Service
    variables: tuple[dict[str, Any], ...] = ()  # the dashboard's templating list


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])  # collapsed rows nest their panels


def _backend(datasource: Any, variables: dict[str, str]) -> str | None:
    if isinstance(datasource, dict):
        kind = datasource.get("type")
        if kind in _BACKEND_BY_TYPE:
            return _BACKEND_BY_TYPE[kind]
        uid = str(datasource.get("uid", ""))
        return variables.get(uid.strip("${}"))
    return None


def dashboard_queries(dashboard: dict[str, Any], service: Service) -> Iterator[Query]:
    templating = tuple(dashboard.get("templating", {}).get("list", []))
    datasource_vars = {v["name"]: _BACKEND_BY_TYPE.get(v.get("query", ""), "")
                       for v in templating if v.get("type") == "datasource"}
    for panel in _panels(dashboard.get("panels", [])):
        for target in panel.get("targets") or []:
            text = target.get("expr") or target.get("query")
            if not text or target.get("hide"):
                continue
            backend = _backend(target.get("datasource"), datasource_vars) or \
                _backend(panel.get("datasource"), datasource_vars) or "prometheus"
            yield Query(dashboard.get("title", "?"), panel.get("title", "?"), backend, text,
                        service, templating)


def rule_queries(rule_file: dict[str, Any], path: str, service: Service) -> Iterator[Query]:
    for group in rule_file.get("groups", []):
        for rule in group.get("rules", []):
            name = rule.get("alert") or rule.get("record") or "?"
            yield Query(path, name, "prometheus", rule["expr"], service)


def collect(project: Project, tree: dict[str, bytes]) -> list[Query]:
    """Queries of every service's dashboards and rule files in a build tree."""
    queries: list[Query] = []
    for service in project.services:
        for path, content in tree.items():
            name = path.rsplit("/", 1)[-1]
            if not name.startswith(f"{service.name}-") and not name.startswith(f"{service.name}."):
                continue
            if path.startswith("dashboards/") and path.endswith(".json"):
                queries += dashboard_queries(json.loads(content), service)
            elif path.startswith("prometheus/rules/"):
                queries += rule_queries(yaml.safe_load(content), path, service)
    return queries
