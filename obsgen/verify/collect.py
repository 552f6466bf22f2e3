"""Every query a build contains: dashboard panel targets and rule expressions, with their place.

Reads a build tree (in memory from the spec, or a deployed build directory), so `obsgen verify`
checks exactly what `obsgen build` wrote. A build names its services in ``services.json``, so a
directory can be verified without the spec that made it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from obsgen.conventions import SERVICE_LABEL, TEAM_LABEL
from obsgen.model import Project, Selector

SERVICES_FILE = "services.json"  # what verify needs of each service, written by every build


@dataclass(frozen=True)
class Scope:
    """What verify needs of a service: its name (file names) and selector ($service, and which
    series must exist for a query to have data)."""

    name: str
    selector: Selector
    alert_labels: Mapping[str, str] = field(default_factory=dict)  # on every alert it raises


def scopes(project: Project) -> list[Scope]:
    return [
        Scope(
            s.name, s.selector, {**project.extra_labels, SERVICE_LABEL: s.name, TEAM_LABEL: s.team}
        )
        for s in project.services
    ]


def services_file(project: Project) -> dict[str, Any]:
    """The ``services.json`` artifact: the scopes, so `verify --build DIR` needs no spec."""
    return {
        "services": [
            {
                "name": s.name,
                "alert_labels": dict(s.alert_labels),
                "selector": {"label": s.selector.label, "value": s.selector.value},
            }
            for s in scopes(project)
        ]
    }


def scopes_from(tree: dict[str, bytes]) -> list[Scope]:
    """The scopes a build directory names; ValueError when it is not an obsgen build."""
    if SERVICES_FILE not in tree:
        raise ValueError(f"no {SERVICES_FILE}: not a directory written by `obsgen build`")
    try:
        data = json.loads(tree[SERVICES_FILE])
        return [
            Scope(
                str(s["name"]),
                Selector(str(s["selector"]["label"]), str(s["selector"]["value"])),
                {str(k): str(v) for k, v in s["alert_labels"].items()},
            )
            for s in data["services"]
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{SERVICES_FILE} is not what obsgen writes ({exc})") from None


_BACKEND_BY_TYPE = {"prometheus": "prometheus", "loki": "loki", "tempo": "tempo"}


@dataclass(frozen=True)
class Query:
    """One query to run: where it comes from, which backend runs it, and its text."""

    source: str  # dashboard title or rule file
    item: str  # panel title or rule name
    backend: str  # prometheus | loki | tempo
    text: str
    service: Scope
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


def dashboard_queries(dashboard: dict[str, Any], service: Scope) -> Iterator[Query]:
    templating = tuple(dashboard.get("templating", {}).get("list", []))
    datasource_vars = {
        v["name"]: _BACKEND_BY_TYPE.get(v.get("query", ""), "")
        for v in templating
        if v.get("type") == "datasource"
    }
    for panel in _panels(dashboard.get("panels", [])):
        for target in panel.get("targets") or []:
            text = target.get("expr") or target.get("query")
            if not text or target.get("hide"):
                continue
            backend = (
                _backend(target.get("datasource"), datasource_vars)
                or _backend(panel.get("datasource"), datasource_vars)
                or "prometheus"
            )
            yield Query(
                dashboard.get("title", "?"),
                panel.get("title", "?"),
                backend,
                text,
                service,
                templating,
            )


def rule_queries(rule_file: dict[str, Any], path: str, service: Scope) -> Iterator[Query]:
    for group in rule_file.get("groups", []):
        for rule in group.get("rules", []):
            name = rule.get("alert") or rule.get("record") or "?"
            yield Query(path, name, "prometheus", rule["expr"], service)


def collect(services: list[Scope], tree: dict[str, bytes]) -> list[Query]:
    """Queries of every service's dashboards and rule files in a build tree."""
    queries: list[Query] = []
    for service in services:
        for path, content in tree.items():
            name = path.rsplit("/", 1)[-1]
            if not name.startswith(f"{service.name}-") and not name.startswith(f"{service.name}."):
                continue
            if path.startswith("dashboards/") and path.endswith(".json"):
                queries += dashboard_queries(json.loads(content), service)
            elif path.startswith("prometheus/rules/"):
                queries += rule_queries(yaml.safe_load(content), path, service)
    return queries
