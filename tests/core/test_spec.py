"""Spec validation: every bad input names file:line and the field path, and says what is valid."""

from __future__ import annotations

import textwrap

import pytest

from obsgen import conventions
from obsgen.errors import SpecError
from obsgen.model import SloKind, WindowRatios
from obsgen.spec import default_spec_text, load_text

GOOD = textwrap.dedent("""\
    apiVersion: obsgen/v1
    services:
      - name: profiles
        slos:
          - name: availability
            type: availability
            objective: 99.9
          - name: latency
            type: latency
            objective: 99
            threshold_seconds: 0.25
    """)


def problems_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_text(text, "obsgen.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_bundled_spec_is_valid_and_describes_the_demo_service() -> None:
    project = load_text(default_spec_text(), "demo.yaml")
    (service,) = project.services
    assert service.name == "profiles"
    # the otel preset plus exactly the signals the demo service emits (its metrics module
    # creates its instruments from conventions.DEMO_SERVICE)
    assert service.convention == conventions.DEMO_SERVICE
    assert service.convention.name == conventions.OTEL.name
    assert (service.traces, service.logs) == (True, True)
    assert [s.kind for s in service.slos] == [SloKind.AVAILABILITY, SloKind.LATENCY]
    assert service.slos[1].threshold_seconds in conventions.OTEL.buckets
    assert project.grafana.prometheus.uid == "prometheus"


def test_a_minimal_spec_gets_the_documented_defaults() -> None:
    project = load_text(GOOD, "obsgen.yaml")
    service = project.services[0]
    assert service.selector.matcher() == 'job="profiles"'
    assert service.slos[0].period == "30d"
    assert [t.name for t in project.alerting.tiers] == [
        "page-fast",
        "page-slow",
        "ticket-fast",
        "ticket-slow",
    ]
    assert project.alerting.min_request_rate == 0.1
    assert project.alerting.window_ratios is WindowRatios.RAW


@pytest.mark.parametrize(
    ("description", "old", "new", "expected"),
    [
        (
            "a latency threshold that is not a bucket bound lists the valid bounds",
            "threshold_seconds: 0.25",
            "threshold_seconds: 0.3",
            (
                "obsgen.yaml:11 services[profiles].slos[latency].threshold_seconds: 0.3 is not a bucket "
                "bound of http_server_request_duration_seconds (valid: 0.005, 0.01,"
            ),
        ),
        (
            "an unknown key suggests the closest valid one",
            "objective: 99.9",
            "objectve: 99.9",
            "obsgen.yaml:7 services[profiles].slos[availability].objectve: unknown key; did you mean 'objective'?",
        ),
        (
            "an objective of 100 is outside (0, 100)",
            "objective: 99.9",
            "objective: 100",
            "obsgen.yaml:7 services[profiles].slos[availability].objective: 100 must be a percentage in (0, 100)",
        ),
        (
            "a wrong type names what was given",
            "objective: 99.9",
            "objective: [1]",
            "obsgen.yaml:7 services[profiles].slos[availability].objective: must be a number, got a list",
        ),
        (
            "an unknown preset lists the presets",
            "  - name: profiles\n",
            "  - name: profiles\n    convention: otle\n",
            "obsgen.yaml:4 services[profiles].convention: unknown preset 'otle' (valid: otel, prometheus-fastapi-instrumentator",
        ),
        (
            "a duplicate SLO name points at the first",
            "name: latency",
            "name: availability",
            "obsgen.yaml:8 services[profiles].slos[availability].name: duplicate SLO name 'availability' (first at line 5)",
        ),
        (
            "a malformed duration shows the accepted form",
            "objective: 99.9",
            "objective: 99.9\n        period: 30 days",
            "obsgen.yaml:8 services[profiles].slos[availability].period: '30 days' is not a supported compliance period",
        ),
        (
            "an unsupported API version names the supported one",
            "apiVersion: obsgen/v1",
            "apiVersion: obsgen/v2",
            "obsgen.yaml:1 apiVersion: 'obsgen/v2' is not supported (use 'obsgen/v1')",
        ),
        (
            "a latency SLO without a threshold says it is required",
            "        threshold_seconds: 0.25\n",
            "",
            "obsgen.yaml:8 services[profiles].slos[latency].threshold_seconds: is required for a latency SLO",
        ),
        (
            "YAML syntax errors carry the line",
            "objective: 99\n",
            "objective: [99\n",
            "obsgen.yaml:11: invalid YAML",
        ),
        (
            "a duplicate YAML key is an error, not a silent overwrite",
            "objective: 99.9",
            "objective: 99.9\n        objective: 99",
            "obsgen.yaml:8 objective: duplicate key",
        ),
    ],
)
def test_bad_input_gets_a_located_message(
    description: str, old: str, new: str, expected: str
) -> None:
    assert old in GOOD, description
    problems = problems_of(GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in problems), problems


def test_custom_promql_that_does_not_parse_is_reported_by_the_parser() -> None:
    text = GOOD + "    kpis:\n      - title: Signups\n        expr: sum(rate(signups_total[5m])\n"
    (problem,) = problems_of(text)
    assert problem.startswith("obsgen.yaml:14 services[profiles].kpis[0].expr: not valid PromQL:")


def test_custom_promql_with_grafana_variables_is_accepted() -> None:
    text = (
        GOOD
        + '    kpis:\n      - title: Signups\n        expr: sum(rate(signups_total{job=~"$service"}[$__rate_interval]))\n'
    )
    assert load_text(text, "obsgen.yaml").services[0].kpis[0].title == "Signups"


def test_every_problem_is_reported_in_one_pass() -> None:
    text = GOOD.replace("objective: 99.9", "objective: 0").replace(
        "threshold_seconds: 0.25", "threshold_seconds: 0.3"
    )
    problems = problems_of(text.replace("  - name: profiles", "  - name: Profiles"))
    assert len(problems) == 3, problems


def test_duplicate_service_names_are_rejected() -> None:
    text = GOOD + "  - name: profiles\n"
    assert any(
        "duplicate service name 'profiles' (first at line 3)" in p for p in problems_of(text)
    )


def test_a_custom_convention_replaces_names_and_buckets() -> None:
    text = GOOD.replace(
        "  - name: profiles\n",
        "  - name: profiles\n    convention:\n      preset: otel\n"
        "      duration_histogram: app_latency_seconds\n      buckets: [0.1, 0.25, 1]\n"
        "      runtime: {event_loop_lag: null}\n",
    )
    service = load_text(text, "obsgen.yaml").services[0]
    assert service.convention.bucket() == "app_latency_seconds_bucket"
    assert service.convention.buckets == (0.1, 0.25, 1.0)
    assert service.convention.runtime.event_loop_lag is None
    assert service.convention.runtime.queue_depth == conventions.OTEL.runtime.queue_depth


def test_tier_overrides_disable_and_change_severity() -> None:
    text = (
        GOOD
        + "alerting:\n  tiers:\n    ticket-slow: {enabled: false}\n    page-slow: {severity: ticket}\n"
    )
    tiers = {t.name: t for t in load_text(text, "obsgen.yaml").alerting.tiers}
    assert "ticket-slow" not in tiers
    assert tiers["page-slow"].severity == "ticket"


def test_window_ratios_opt_in_to_the_recorded_form() -> None:
    text = GOOD + "alerting:\n  window_ratios: recorded\n"
    assert load_text(text, "obsgen.yaml").alerting.window_ratios is WindowRatios.RECORDED


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("recorderd", "'recorderd' is not one of raw, recorded"),
        ("5m", "'5m' is not one of raw, recorded"),
        ("[raw]", "must be a string, got a list"),
    ],
)
def test_an_unknown_window_ratios_form_is_one_located_line(value: str, message: str) -> None:
    text = GOOD + f"alerting:\n  min_request_rate: 0.5\n  window_ratios: {value}\n"
    line = len(GOOD.splitlines()) + 3
    assert problems_of(text) == [f"obsgen.yaml:{line} alerting.window_ratios: {message}"]


@pytest.mark.parametrize(
    ("period", "rates"), [("30d", [14.4, 6.0, 3.0, 1.0]), ("28d", [13.44, 5.6, 2.8, 0.9333])]
)
def test_burn_rates_follow_the_sre_workbook_budget_shares(period: str, rates: list[float]) -> None:
    from obsgen.queries.slo import tier_burn_rate

    project = load_text(
        GOOD.replace("objective: 99.9", f"objective: 99.9\n        period: {period}"), "obsgen.yaml"
    )
    slo = project.services[0].slos[0]
    assert [tier_burn_rate(slo, t) for t in project.alerting.tiers] == rates


def test_signals_opt_in_beyond_the_preset_and_null_drops_one() -> None:
    text = """\
apiVersion: obsgen/v1
services:
  - name: shop
    convention: prometheus-fastapi-instrumentator
    signals: {active_requests: http_requests_inprogress, process_start_time: null,
              event_loop_lag: loop_lag_seconds}
"""
    convention = load_text(text, "s.yaml").services[0].convention
    assert convention.name == "prometheus-fastapi-instrumentator"
    assert convention.active_requests == "http_requests_inprogress"
    assert convention.runtime.event_loop_lag == "loop_lag_seconds"
    assert convention.runtime.process_start_time is None
    assert convention.runtime.process_cpu_seconds == "process_cpu_seconds_total"


def test_pushed_metrics_have_no_process_collectors_unless_declared() -> None:
    text = """\
apiVersion: obsgen/v1
services:
  - name: shop
    metrics_from: otlp
    signals: {process_resident_memory: process_memory_usage_bytes}
"""
    service = load_text(text, "s.yaml").services[0]
    assert service.pushed
    assert service.convention.runtime.process_cpu_seconds is None
    assert service.convention.runtime.process_resident_memory == "process_memory_usage_bytes"


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("metrics_from", "pull", "'pull' is not one of scrape, otlp"),
        ("signals", "{event_loop_lag: 3}", "must be a metric name"),
        ("signals", "{no_such_signal: x}", "unknown key"),
        ("exclude_routes", "['/a\"b']", "must not contain"),
    ],
    ids=[
        "an unknown metrics source",
        "a signal that is not a metric name",
        "an unknown signal",
        "a route that cannot be a PromQL string",
    ],
)
def test_service_settings_of_issue_12_are_validated(key: str, value: str, message: str) -> None:
    text = f"apiVersion: obsgen/v1\nservices:\n  - name: shop\n    {key}: {value}\n"
    problems = problems_of(text)
    assert (
        len(problems) == 1 and message in problems[0] and f"services[shop].{key}" in problems[0]
    ), problems


def test_an_empty_convention_means_the_default_and_never_drops_the_service() -> None:
    project = load_text(
        GOOD.replace("  - name: profiles\n", "  - name: profiles\n    convention:\n"), "obsgen.yaml"
    )
    assert [s.convention for s in project.services] == [conventions.OTEL]


@pytest.mark.parametrize("services", ["services:", "services: null", "services: []"])
def test_a_spec_without_services_is_rejected(services: str) -> None:
    assert problems_of(f"apiVersion: obsgen/v1\n{services}\n") == [
        "obsgen.yaml:2 services: must list at least one service"
    ]
