"""Dashboard lint: grafana/dashboard-linter's rules plus the structure checks Grafana would do.

Grafana cannot run where obsgen's tests run, so these checks are strict. Rule names follow
dashboard-linter's where one exists. Used by the tests on every generated dashboard and by
``obsgen lint`` on users' own dashboard JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import promql_parser

from obsgen.promql import substitute_grafana_variables, syntax_error

MIN_SCHEMA_VERSION = 39
UID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
NO_UNIT_TYPES = {"logs", "text", "row", "alertlist", "news", "dashlist", "traces", "nodeGraph"}
NO_TARGET_TYPES = {"text", "row", "news", "dashlist", "alertlist"}
COUNTER_FUNCTIONS = {"rate", "irate", "increase"}
_VARIABLE = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:.][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
    r"|\[\[([A-Za-z_][A-Za-z0-9_]*)(?::[^\]]*)?\]\]"
)
_COUNTER_CALL = re.compile(r"\b(rate|irate|increase)\s*\(")
_RATE_WINDOWS = {"$__rate_interval", "${__rate_interval}"}


@dataclass(frozen=True)
class Finding:
    panel: str  # panel title (or "dashboard")
    rule: str
    message: str

    def line(self, file: str) -> str:
        return f"{file}: {self.panel}: {self.rule}: {self.message}"


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels") or []:
        yield panel
        yield from panel.get("panels") or []  # collapsed rows hold their panels


def _datasource_variables(dashboard: dict[str, Any]) -> set[str]:
    return {
        v.get("name", "")
        for v in (dashboard.get("templating") or {}).get("list") or []
        if v.get("type") == "datasource"
    }


def _is_prometheus(panel: dict[str, Any], target: dict[str, Any]) -> bool:
    ds = target.get("datasource") or panel.get("datasource") or {}
    return isinstance(ds, dict) and ds.get("type") == "prometheus" and "expr" in target


def _uses_variable(ds: Any, variables: set[str]) -> bool:
    uid = ds.get("uid", "") if isinstance(ds, dict) else str(ds or "")
    match = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", uid)
    return bool(match and match.group(1) in variables)


def _call_argument(expr: str, start: int) -> str:
    """The text inside the parentheses opened at ``start`` (the index of '(')."""
    depth = 0
    for i in range(start, len(expr)):
        depth += {"(": 1, ")": -1}.get(expr[i], 0)
        if depth == 0:
            return expr[start + 1 : i]
    return expr[start + 1 :]


def rate_windows(expr: str) -> list[str]:
    """The range of every rate/irate/increase call in ``expr``."""
    windows = []
    for match in _COUNTER_CALL.finditer(expr):
        argument = _call_argument(expr, match.end() - 1)
        ranges = re.findall(r"\[([^\]]+)\]\s*\)?\s*$", argument.strip()) or re.findall(
            r"\[([^\]]+)\]", argument
        )
        if ranges:
            windows.append(ranges[-1].split(":")[0].strip())
    return windows


def unaggregated_counters(expr: str) -> list[str]:
    """rate/irate/increase calls with no aggregation above them (per-series noise, cardinality)."""
    found: list[str] = []

    def walk(node: Any, aggregated: bool) -> None:
        if isinstance(node, promql_parser.AggregateExpr):
            walk(node.expr, True)
        elif isinstance(node, promql_parser.Call):
            if node.func.name in COUNTER_FUNCTIONS and not aggregated:
                found.append(node.func.name)
            for arg in node.args:
                walk(arg, aggregated)
        elif isinstance(node, promql_parser.BinaryExpr):
            walk(node.lhs, aggregated)
            walk(node.rhs, aggregated)
        elif isinstance(
            node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)
        ):
            walk(node.expr, aggregated)

    walk(promql_parser.parse(substitute_grafana_variables(expr)), False)
    return found


def variables_used(value: Any) -> set[str]:
    """Every ``$var`` / ``${var}`` / ``[[var]]`` in a JSON value, minus Grafana's built-ins."""
    if isinstance(value, dict):
        return set().union(*(variables_used(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(variables_used(v) for v in value)) if value else set()
    if isinstance(value, str):
        names = {next(filter(None, m.groups())) for m in _VARIABLE.finditer(value)}
        return {n for n in names if not n.startswith("__")}
    return set()


def _overlaps(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def lint_dashboard(dashboard: dict[str, Any]) -> list[Finding]:
    """Every finding of every rule on one dashboard."""
    out: list[Finding] = []

    def add(panel: str, rule: str, message: str) -> None:
        out.append(Finding(panel, rule, message))

    uid = dashboard.get("uid")
    if not isinstance(uid, str) or not UID_PATTERN.match(uid):
        add("dashboard", "dashboard-uid-rule", f"uid {uid!r} must be a stable 1-40 character slug")
    if (
        not isinstance(dashboard.get("schemaVersion"), int)
        or dashboard["schemaVersion"] < MIN_SCHEMA_VERSION
    ):
        add(
            "dashboard",
            "dashboard-schema-version-rule",
            f"schemaVersion {dashboard.get('schemaVersion')!r} is older than {MIN_SCHEMA_VERSION}",
        )
    ds_vars = _datasource_variables(dashboard)
    if "datasource" not in ds_vars:
        add("dashboard", "template-datasource-rule", "no datasource variable named 'datasource'")
    defined = {v.get("name") for v in (dashboard.get("templating") or {}).get("list") or []}
    defined |= {i.get("name") for i in dashboard.get("__inputs") or []}
    for name in sorted(variables_used(dashboard) - defined):
        add("dashboard", "template-undefined-variable-rule", f"${name} is used but not defined")
    placed: list[tuple[str, dict[str, int]]] = []
    for panel in _panels(dashboard):
        out.extend(_lint_panel(panel, ds_vars))
        title = panel.get("title") or f"panel {panel.get('id')}"
        pos = panel.get("gridPos")
        if not isinstance(pos, dict) or not all(isinstance(pos.get(k), int) for k in "xywh"):
            add(title, "panel-gridpos-rule", "gridPos must have integer x, y, w and h")
            continue
        if pos["x"] < 0 or pos["x"] + pos["w"] > 24:
            add(title, "panel-gridpos-rule", f"gridPos {pos} leaves the 24-column grid")
        for other, other_pos in placed:
            if _overlaps(pos, other_pos):
                add(title, "panel-gridpos-overlap-rule", f"overlaps panel {other!r}")
        placed.append((title, pos))
    ids = [p.get("id") for p in _panels(dashboard)]
    if len(ids) != len(set(ids)) or None in ids:
        add("dashboard", "panel-id-rule", "every panel needs a unique id")
    return out


def _lint_panel(panel: dict[str, Any], ds_vars: set[str]) -> list[Finding]:
    out: list[Finding] = []
    kind = panel.get("type", "")
    title = panel.get("title") or f"panel {panel.get('id')}"

    def add(rule: str, message: str) -> None:
        out.append(Finding(title, rule, message))

    if kind == "row":
        return out
    if not panel.get("title") or not panel.get("description"):
        add("panel-title-description-rule", "panel needs a title and a description")
    unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
    if kind not in NO_UNIT_TYPES and not unit:
        add("panel-units-rule", "panel has no unit")
    if panel.get("maxDataPoints") == 100:
        add("panel-max-data-points-rule", "maxDataPoints 100 (grafanalib's default) starves graphs")
    if not _uses_variable(panel.get("datasource"), ds_vars):
        add("panel-datasource-rule", "datasource must be a datasource template variable")
    targets = panel.get("targets") or []
    if kind not in NO_TARGET_TYPES and not targets:
        add("panel-no-targets-rule", "panel has no targets")
    for target in targets:
        if "datasource" in target and not _uses_variable(target["datasource"], ds_vars):
            add(
                "panel-datasource-rule",
                f"target {target.get('refId')}: datasource must be a variable",
            )
        if not _is_prometheus(panel, target):
            continue
        expr = target["expr"]
        error = syntax_error(expr)
        if error:
            add("target-promql-rule", f"target {target.get('refId')}: {error}")
            continue
        for window in rate_windows(expr):
            if window not in _RATE_WINDOWS:
                add(
                    "target-rate-interval-rule",
                    f"target {target.get('refId')}: range [{window}] should be $__rate_interval",
                )
        for func in unaggregated_counters(expr):
            add(
                "target-counter-agg-rule",
                f"target {target.get('refId')}: {func}() is not aggregated",
            )
    return out


class UnreadableDashboard(Exception):
    """A file that is not a readable dashboard JSON object."""


def load_dashboard(path: str) -> dict[str, Any]:
    """A dashboard from a file: provisioning JSON, or the API's ``{"dashboard": {...}}`` form."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableDashboard(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UnreadableDashboard(f"{path}: not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    if not isinstance(data, dict) or not isinstance(data.get("panels", []), list):
        raise UnreadableDashboard(
            f"{path}: not a Grafana dashboard (expected a JSON object with panels)"
        )
    return data


def lint_files(paths: list[str]) -> list[str]:
    """One line per finding over every file (``file: panel: rule: message``)."""
    return [
        finding.line(path) for path in paths for finding in lint_dashboard(load_dashboard(path))
    ]
