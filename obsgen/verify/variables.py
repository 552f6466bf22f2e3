"""Fill a dashboard query's Grafana variables with real values, as Grafana would.

`$service` becomes the service's selector value; query variables (`label_values(...)`) are
resolved against the live Prometheus; "All" becomes the variable's allValue (or `.*`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from obsgen.verify.backends import BackendError, Prometheus
from obsgen.verify.collect import Query

# $__auto: Grafana's step-aligned window for Loki (and Prometheus) queries; the linter asks for it.
_BUILTIN = re.compile(r"\$\{?__(rate_interval|interval|range|auto)(_ms|_s)?\}?")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(.+),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$")


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"\$\{" + name + r"(?::[a-zA-Z]+)?\}|\$" + name + r"\b|\[\[" + name + r"\]\]")


def _variable_query(variable: dict[str, Any]) -> str:
    query = variable.get("definition") or variable.get("query") or ""
    return str(query.get("query", "")) if isinstance(query, dict) else str(query)


def _custom_values(query: str) -> list[str]:
    """A custom variable's values as Grafana splits its query: on commas not escaped as ``\\,``."""
    return [part.replace("\\,", ",").strip() for part in re.split(r"(?<!\\),", query)]


def _value(
    variable: dict[str, Any], query: Query, values: dict[str, str], prometheus: Prometheus | None
) -> str | None:
    name, kind = variable.get("name", ""), variable.get("type", "")
    if name == "service":
        return query.service.selector.value
    if kind in ("datasource", "adhoc"):
        return None
    if kind == "query":
        if variable.get("includeAll"):
            return str(variable.get("allValue") or ".*")
        match = _LABEL_VALUES.match(substitute(_variable_query(variable), values))
        if match and prometheus is not None:
            try:
                found = prometheus.label_values(match.group(2), match.group(1))
            except BackendError:
                found = []
            return found[0] if found else ""
    current = variable.get("current") or {}
    value = current.get("value") if isinstance(current, dict) else None
    if isinstance(value, list):
        value = value[0] if value else ""
    if value in (None, "") and variable.get("options"):
        value = variable["options"][0].get("value")
    if value in (None, "") and kind == "custom":
        value = _custom_values(_variable_query(variable))[0]  # what Grafana selects first
    if value in ("$__all", None):
        value = variable.get("allValue") or ".*"
    return str(value if value is not None else variable.get("query", ""))


def _constant(value: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that inserts ``value`` literally (no backslash processing)."""
    return lambda _: value


def substitute(text: str, values: dict[str, str]) -> str:
    for name in sorted(values, key=len, reverse=True):  # $service_name before $service
        text = _pattern(re.escape(name)).sub(_constant(values[name]), text)
    return text


def resolve(query: Query, prometheus: Prometheus | None, rate_interval: str) -> str:
    """The query text with every variable replaced; leftovers mean an undefined variable."""
    values: dict[str, str] = {}
    text = _BUILTIN.sub(rate_interval, query.text)
    for variable in query.variables:
        value = _value(variable, query, values, prometheus)
        if value is not None:
            values[variable["name"]] = value
    if not any(v.get("name") == "service" for v in query.variables):
        values["service"] = query.service.selector.value
    return substitute(text, values)


def undefined_variables(text: str) -> list[str]:
    return sorted(set(re.findall(r"\$\{?([a-zA-Z_][a-zA-Z0-9_]*)", text)))
