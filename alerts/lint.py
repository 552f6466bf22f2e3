"""Rule-file lint in the spirit of mixtool: catches what promtool accepts but on-call hates.

Checks every group and rule: alert names CamelCase and ≤ 40 chars, a page|ticket severity,
templated summary and description, runbook and dashboard links, ≤ 20 rules per group, `for`
a valid duration, and every expression parsed by a real PromQL parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from obsgen import conventions as names
from obsgen.durations import is_duration
from obsgen.policy import SEVERITIES
from obsgen.promql import syntax_error

MAX_RULES_PER_GROUP = 20
MAX_ALERT_NAME = 40
_CAMEL = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$")
_RECORD = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*[a-zA-Z0-9_]$")
_TEMPLATE = re.compile(r"\{\{.*?\}\}")


def _alert_problems(rule: Mapping[str, Any]) -> list[str]:
    name = str(rule.get("alert", ""))
    problems = []
    if not _CAMEL.match(name):
        problems.append("name is not CamelCase")
    if len(name) > MAX_ALERT_NAME:
        problems.append(f"name is longer than {MAX_ALERT_NAME} characters")
    severity = (rule.get("labels") or {}).get(names.SEVERITY_LABEL)
    if severity not in SEVERITIES:
        problems.append(f"severity label {severity!r} is not one of {', '.join(SEVERITIES)}")
    if names.SERVICE_LABEL not in (rule.get("labels") or {}):
        problems.append("has no service label")
    annotations = rule.get("annotations") or {}
    for key in ("summary", "description"):
        text = annotations.get(key)
        if not text:
            problems.append(f"has no {key} annotation")
        elif not _TEMPLATE.search(str(text)):
            problems.append(f"{key} is not templated (no {{{{ ... }}}})")
    for key in ("runbook_url", "dashboard_url"):
        if not str(annotations.get(key, "")).startswith(("http://", "https://")):
            problems.append(f"has no {key} link")
    if "for" in rule and not is_duration(str(rule["for"])):
        problems.append(f"for {rule['for']!r} is not a duration")
    return problems


def lint_groups(groups: Iterable[Mapping[str, Any]], file: str = "") -> list[str]:
    """Every problem found, each prefixed with where it is; an empty list means clean."""
    problems: list[str] = []
    seen_groups: set[str] = set()
    for group in groups:
        gname = str(group.get("name", ""))
        where = f"{file}: group {gname}" if file else f"group {gname}"
        if gname in seen_groups:
            problems.append(f"{where}: duplicate group name")
        seen_groups.add(gname)
        rules = list(group.get("rules") or [])
        if len(rules) > MAX_RULES_PER_GROUP:
            problems.append(f"{where}: {len(rules)} rules, more than {MAX_RULES_PER_GROUP}")
        for rule in rules:
            label = rule.get("alert") or rule.get("record") or "?"
            if "record" in rule and not _RECORD.match(str(rule["record"])):
                problems.append(f"{where}: {label}: record name is not level:metric:operations")
            if "alert" in rule:
                problems += [f"{where}: {label}: {p}" for p in _alert_problems(rule)]
            if error := syntax_error(str(rule.get("expr", ""))):
                problems.append(f"{where}: {label}: expr does not parse: {error}")
    return problems
