"""PromQL syntax checks with a real parser (the Rust promql-parser), not regexes.

Grafana's template variables are not PromQL, so they are substituted with representative
values first: range variables with a duration, others with a plain label value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import promql_parser

_RANGE_VARIABLES = re.compile(
    r"\$__(rate_interval|interval|range)(_ms|_s)?\b|\$\{__(rate_interval|interval|range)\}"
)
_OTHER_VARIABLES = re.compile(
    r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z_][A-Za-z0-9_]*\]\]"
)


def substitute_grafana_variables(expr: str) -> str:
    """Replace Grafana variables so the expression can be parsed (and run) as plain PromQL."""
    expr = _RANGE_VARIABLES.sub("5m", expr)
    return _OTHER_VARIABLES.sub("grafana_variable", expr)


def syntax_error(expr: str) -> str | None:
    """The parser's message when ``expr`` is not valid PromQL, else None."""
    if not expr.strip():
        return "empty expression"
    try:
        promql_parser.parse(substitute_grafana_variables(expr))
    except ValueError as exc:
        return str(exc).splitlines()[0]
    return None


@dataclass(frozen=True)
class VectorSelector:
    """One series selector inside an expression: metric name and (label, op, value) matchers."""

    metric: str | None
    matchers: tuple[tuple[str, str, str], ...]


_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def selectors(expr: str) -> list[VectorSelector]:
    """Every vector selector in ``expr`` (after Grafana variable substitution), in order."""
    found: list[VectorSelector] = []
    _walk(promql_parser.parse(substitute_grafana_variables(expr)), found)
    return found


def _walk(node: Any, found: list[VectorSelector]) -> None:
    if isinstance(node, promql_parser.VectorSelector):
        matchers = tuple(
            (m.name, _OPS.get(str(m.op).rsplit(".", 1)[-1], "="), m.value)
            for m in node.matchers.matchers
            if m.name != "__name__"
        )
        name = node.name or next(
            (m.value for m in node.matchers.matchers if m.name == "__name__"), None
        )
        found.append(VectorSelector(name, matchers))
        return
    for attribute in ("expr", "lhs", "rhs", "vector_selector", "param"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, (str, int, float)):
            _walk(child, found)
    for child in getattr(node, "args", None) or ():
        _walk(child, found)
