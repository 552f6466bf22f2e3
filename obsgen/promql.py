"""PromQL syntax checks with a real parser (the Rust promql-parser), not regexes.

Grafana's template variables are not PromQL, so they are substituted with representative
values first: range variables with a duration, others with a plain label value.
"""

from __future__ import annotations

import re

import promql_parser

_RANGE_VARIABLES = re.compile(r"\$__(rate_interval|interval|range)(_ms|_s)?\b|\$\{__(rate_interval|interval|range)\}")
_OTHER_VARIABLES = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z_][A-Za-z0-9_]*\]\]")


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
