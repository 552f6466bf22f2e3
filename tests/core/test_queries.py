"""The queries module: every expression parses, names come from the convention, no NaN paths."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from obsgen import conventions
from obsgen.model import Service
from obsgen.promql import substitute_grafana_variables, syntax_error
from obsgen.queries import base, http, runtime, slo
from obsgen.spec import load_file

INSTRUMENTATOR = Path(__file__).parents[1] / "specs" / "instrumentator.yaml"
SPECS = [None, INSTRUMENTATOR]


def services() -> list[Service]:
    return [s for spec in SPECS for s in load_file(spec).services]


def every_query(service: Service) -> list[str]:
    """Call every public query builder with representative arguments."""
    project_tiers = load_file(None).alerting.tiers
    found: list[str | None] = []
    for target in (base.rule_target(service), base.dashboard_target(service)):
        for window in ("5m", base.RATE_INTERVAL):
            found += [
                http.request_rate(target, window, ("http_route",)),
                http.error_rate(target, window),
                http.error_ratio(target, window, (target.convention.route_label,)),
                http.status_class_rate(target, window),
                http.latency_quantile(target, 0.99, window, ("x",)),
                http.active_requests(target),
            ]
            for name, function in inspect.getmembers(runtime, inspect.isfunction):
                params = inspect.signature(function).parameters
                args = {
                    "target": target,
                    "service": service,
                    "window": window,
                    "quantile": 0.99,
                    "horizon_seconds": 3600,
                    "group": ("level",),
                }
                if function.__module__ == runtime.__name__ and not name.startswith("_"):
                    found.append(function(**{k: v for k, v in args.items() if k in params}))
            for s in service.slos:
                found += [
                    slo.total_rate(target, s, window),
                    slo.bad_rate(target, s, window),
                    slo.error_ratio(target, s, window),
                ]
    for s in service.slos:
        found += [
            slo.period_error_ratio(service, s),
            slo.hourly_events(service, s, conventions.SLI_ERRORS_RATE_RECORD),
            slo.budget_remaining(service, s),
            slo.burn_rate(service, s, "1h"),
        ]
        found += [slo.recorded_error_ratio(service, s, w) for w in ("1m", "5m", "1h", "3d")]
        found += [slo.burn_rate_alert(service, s, tier, 0.1) for tier in project_tiers]
    return [q for q in found if q is not None]


@pytest.mark.parametrize("service", services(), ids=lambda s: s.convention.name)
def test_every_query_parses_with_a_real_promql_parser(service: Service) -> None:
    queries = every_query(service)
    assert len(queries) > 40
    for query in queries:
        assert syntax_error(query) is None, query


def test_presets_without_runtime_metrics_get_no_runtime_queries() -> None:
    service = load_file(INSTRUMENTATOR).services[0]
    target = base.rule_target(service)
    assert runtime.event_loop_lag(target, 0.99, "5m") is None
    assert runtime.db_pool_usage(target) is None
    assert runtime.memory_utilization(target, service) is not None, (
        "process metrics exist everywhere"
    )


def test_an_integral_bucket_bound_matches_both_exporter_spellings() -> None:
    matcher = conventions.le_matcher(1.0)
    assert syntax_error(f"x{{{matcher}}}") is None
    import re

    pattern = re.search(r'le=~"(.+)"', matcher).group(1).replace("\\\\", "\\")  # type: ignore[union-attr]
    assert (
        re.fullmatch(pattern, "1")
        and re.fullmatch(pattern, "1.0")
        and not re.fullmatch(pattern, "10")
    )


def test_grafana_variables_are_substituted_before_parsing() -> None:
    expr = 'sum(rate(x{job=~"$service", route="${route}"}[$__rate_interval])) / [[legacy]]'
    assert "$" not in substitute_grafana_variables(expr)
    assert syntax_error('rate(x{job="a"}[5m]') is not None
