"""Grafana's built-in interval variables are filled in before a query is run."""

from __future__ import annotations

import pytest

from obsgen.spec import load_file
from obsgen.verify.collect import Query, scopes
from obsgen.verify.variables import resolve, undefined_variables


@pytest.mark.parametrize("builtin", ["$__rate_interval", "$__interval", "${__range}", "$__auto"])
def test_builtin_intervals_become_the_rate_interval(builtin: str) -> None:
    service = scopes(load_file(None))[0]
    query = Query(
        "d", "p", "loki", f'sum(count_over_time({{service="$service"}}[{builtin}]))', service
    )
    text = resolve(query, None, "1m")
    assert "[1m]" in text
    assert undefined_variables(text) == []


def test_custom_variable_without_a_selection_takes_its_first_query_value() -> None:
    """Saved options are empty (Grafana derives them from the query), so the query decides."""
    service = scopes(load_file(None))[0]
    custom = {"name": "zone", "type": "custom", "query": r"eu\,west , us", "options": []}
    query = Query("d", "p", "prometheus", 'up{zone="$zone"}', service, (custom,))
    assert resolve(query, None, "1m") == 'up{zone="eu,west"}'
