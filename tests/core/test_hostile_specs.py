"""Issue 14's reproducers, each the demo spec with one hostile change: rejected with one located
line and exit 2 (output untouched), or built into artifacts the real tools accept."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from obsgen.cli import main
from obsgen.spec import default_spec_text
from tests.core.closure import ERROR_LINE, FAST_TIERS, build, tool_problems

DEMO = default_spec_text()
POLICY = next(line + "\n" for line in DEMO.splitlines() if line.startswith("  policy: "))
THRESHOLDS = "      event_loop_lag_seconds: 0.1 # blocking code in async handlers\n"
BOMB = "".join(
    f"        - &{a} [{', '.join(['*' + b] * 9)}]\n" for a, b in zip("bcdefghijkl", "abcdefghijk")
)


def edit(old: str, new: str, text: str = DEMO) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def slo_of(kind: str) -> str:
    return edit(
        "    kpis:",
        f"      - name: second\n        type: {kind}\n        objective: 99\n"
        + ("        threshold_seconds: 0.5\n" if kind == "latency" else "")
        + "    kpis:",
    )


REJECTED = [
    (
        "a route with a lookahead is not RE2",
        edit('routes: "/profiles.*"', 'routes: "(?=x)"'),
        "slos[latency].routes",
        "not a valid RE2 regex",
    ),
    (
        "a route with a quote",
        edit('routes: "/profiles.*"', "routes: '/profiles\"x.*'"),
        "slos[latency].routes",
        "must not contain",
    ),
    (
        "a route with a backreference is not RE2",
        edit('routes: "/profiles.*"', r"routes: '(a)\1'"),
        "slos[latency].routes",
        "not a valid RE2 regex",
    ),
    (
        "a route in extended (?x) syntax is not RE2",
        edit('routes: "/profiles.*"', 'routes: "(?x) /profiles .*"'),
        "routes",
        "not a valid RE2 regex",
    ),
    (
        "a route repeating more than 1000 times is not RE2",
        edit('routes: "/profiles.*"', 'routes: "/p{1001}"'),
        "routes",
        "not a valid RE2 regex",
    ),
    (
        "a selector value with a quote",
        edit("      value: profiles", "      value: 'pro\"files'"),
        "selector.value",
        "must not contain",
    ),
    (
        "a selector value with a backslash",
        edit("      value: profiles", r"      value: 'pro\files'"),
        "selector.value",
        "must not contain",
    ),
    (
        "a selector value that is not a regex matching itself",
        edit("      value: profiles", "      value: 'a+b'"),
        "selector.value",
        "regex",
    ),
    (
        "the selector label __name__",
        edit("      label: job", "      label: __name__"),
        "selector.label",
        "reserved",
    ),
    (
        "the selector label service collides with obsgen's own",
        edit("      label: job", "      label: service"),
        "selector.label",
        "reserved",
    ),
    (
        "the selector label is the convention's route label",
        edit("      label: job", "      label: http_route"),
        "selector.label",
        "convention",
    ),
    (
        "an unmatched_route with a quote",
        edit("    convention: otel", "    convention: {preset: otel, unmatched_route: 'a\"b'}"),
        "convention.unmatched_route",
        "must not contain",
    ),
    (
        "a grafana url holding a Go template",
        edit("  url: http://localhost:3000", '  url: "http://x/{{ $value }}"'),
        "grafana.url",
        "{{",
    ),
    (
        "a runbook base url holding a Go template",
        edit("  base_url: http://127.0.0.1:8088/", '  base_url: "http://x/{{ .Foo }}/"'),
        "runbooks.base_url",
        "{{",
    ),
    (
        "a label value holding a Go template",
        edit("  env: demo", '  env: "{{ $value }}"'),
        "labels.env",
        "Go template",
    ),
    ("an empty label value", edit("  env: demo", '  env: ""'), "labels.env", "empty"),
    (
        "a label named like obsgen's service label",
        edit("  env: demo", "  service: x"),
        "labels.service",
        "reserved",
    ),
    (
        "a label named like the selector label",
        edit("  env: demo", "  job: x"),
        "labels.job",
        "own series",
    ),
    (
        "a minimum request rate of a billion",
        edit("min_request_rate: 0.1", "min_request_rate: 1000000000"),
        "alerting.min_request_rate",
        "10000",
    ),
    (
        "an infinite minimum request rate",
        edit("min_request_rate: 0.1", "min_request_rate: .inf"),
        "alerting.min_request_rate",
        "inf",
    ),
    (
        "a lowercase utc location",
        edit("      location: UTC", "      location: utc"),
        "mute_windows[deploys].location",
        "did you mean 'UTC'",
    ),
    (
        "a location that is no IANA zone",
        edit("      location: UTC", "      location: Mars/Olympus"),
        "location",
        "IANA",
    ),
    (
        "two mute windows with one name",
        edit(
            "      location: UTC\n",
            '      location: UTC\n    - name: deploys\n      start: "01:00"\n      end: "02:00"\n',
        ),
        "mute_windows[deploys].name",
        "duplicate mute window",
    ),
    (
        "a webhook config that is not a mapping",
        edit("      name: page\n", "      name: page\n      webhook_configs: [1]\n"),
        "receivers.page.webhook_configs[0]",
        "must be a mapping",
    ),
    (
        "a webhook url that is not http",
        edit("      name: page\n", "      name: page\n      webhook_configs: [{url: 'ftp://x'}]\n"),
        "webhook_configs[0].url",
        "http(s)",
    ),
    (
        "a webhook max_alerts that is not an integer",
        edit(
            "      name: page\n",
            "      name: page\n      webhook_configs: [{url: 'http://h', max_alerts: x}]\n",
        ),
        "webhook_configs[0].max_alerts",
        "must be an integer",
    ),
    (
        "an http_config key Alertmanager does not know",
        edit(
            "      name: page\n",
            "      name: page\n      webhook_configs: [{url: 'http://h', "
            "http_config: {nope: 1}}]\n",
        ),
        "http_config.nope",
        "unknown key",
    ),
    (
        "an email smarthost without a port",
        edit(
            "      name: page\n",
            "      name: page\n      email_configs: [{to: a@b.c, from: x@y.z, smarthost: smtp}]\n",
        ),
        "email_configs[0].smarthost",
        "host:port",
    ),
    (
        "a receiver kind Alertmanager 0.25 lacks",
        edit(
            "      name: page\n",
            "      name: page\n      msteams_configs: [{webhook_url: 'https://x'}]\n",
        ),
        "receivers.page.msteams_configs",
        "unknown key",
    ),
    (
        "a threshold ratio of 100 percent that no alert can exceed",
        edit(THRESHOLDS, THRESHOLDS + "      cpu_ratio: 1\n"),
        "thresholds.cpu_ratio",
        "0.99]",
    ),
    (
        "a datasource url with a dollar that Grafana's provisioning would expand",
        edit("url: http://loki:3100", "url: 'http://loki:3100/$x'"),
        "datasources.loki.url",
        "must not contain '$'",
    ),
    (
        "a KPI description naming a Grafana variable no dashboard defines",
        edit("description: Successful profile sign-ups per second.", "description: $x"),
        "kpis[0].description",
        "which no dashboard defines",
    ),
    (
        "a KPI query using a Grafana variable no dashboard defines",
        edit('job="profiles", http_route="/profiles"', 'job="$job", http_route="/profiles"'),
        "kpis[0].expr",
        "$job",
    ),
    (
        "a tier's for beyond Prometheus's range",
        edit(POLICY, POLICY + "  tiers:\n    page-fast: {for: 999999999999y}\n"),
        "tiers.page-fast.for",
        "longer than Prometheus accepts",
    ),
    (
        "a tier's for longer than its window",
        edit(POLICY, POLICY + "  tiers:\n    page-fast: {for: 2h}\n"),
        "page-fast.for",
        "shorter than the tier's long window",
    ),
    (
        "a group interval beyond Alertmanager's range",
        edit(POLICY, POLICY + "  group_interval: 99999999999y\n"),
        "alerting.group_interval",
        "longer than Prometheus accepts",
    ),
    (
        "page and ticket receivers with one name",
        edit("      name: ticket", "      name: page"),
        "receivers.ticket.name",
        "different names",
    ),
    (
        "two availability SLOs in one service",
        slo_of("availability"),
        "slos[second].type",
        "at most one availability SLO",
    ),
    (
        "two latency SLOs in one service",
        slo_of("latency"),
        "slos[second].type",
        "at most one latency SLO",
    ),
    (
        "an objective of one percent",
        edit("objective: 99.9 ", "objective: 1 "),
        "slos[availability].objective",
        "too low for the page-fast tier",
    ),
    (
        "an objective whose budget rounds away",
        edit("objective: 99.9 ", "objective: 99.99999999 "),
        "slos[availability].objective",
        "at most 99.999",
    ),
    ("infinite CPU cores", edit("cpu_cores: 1", "cpu_cores: .inf"), "limits.cpu_cores", "inf"),
    ("infinite memory", edit("memory_mb: 512", "memory_mb: .inf"), "limits.memory_mb", "inf"),
    (
        "a memory limit below one byte",
        edit("memory_mb: 512", "memory_mb: 1.0e-7"),
        "limits.memory_mb",
        "must be a number in",
    ),
    (
        "a memory limit of 1e300 MB",
        edit("memory_mb: 512", "memory_mb: 1.0e+300"),
        "limits.memory_mb",
        "must be a number in",
    ),
    (
        "restarts per hour of 10**30",
        edit(THRESHOLDS, THRESHOLDS + f"      restarts_per_hour: {10**30}\n"),
        "thresholds.restarts_per_hour",
        "must be a number in [1, 50]",
    ),
    (
        "an alias bomb under a webhook config",
        edit(
            "      name: page\n",
            "      name: page\n      webhook_configs:\n"
            "        - &a [x, x, x, x, x, x, x, x, x]\n" + BOMB,
        ),
        "",
        "expands to more than",
    ),
    (
        "250 nested brackets",
        edit("  env: demo", "  env: " + "[" * 250 + "]" * 250),
        "",
        "nested deeper than",
    ),
    (
        "100000 nested brackets (libyaml composes recursively: the bound must come first)",
        edit("  env: demo", "  env: " + "[" * 100_000 + "]" * 100_000),
        "",
        "nested deeper than",
    ),
    ("a spec over the size limit", DEMO + "#" * (5 * 1024 * 1024), "", "larger than 4 MB"),
]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [case[1:] for case in REJECTED],
    ids=[case[0] for case in REJECTED],
)
def test_a_hostile_value_is_rejected_with_a_located_line(
    tmp_path: Path, text: str, field: str, message: str
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".obsgen").write_text("")
    (tmp_path / "out" / "previous.yaml").write_text("kept")
    code, output = build(tmp_path, text)
    lines = output.strip().splitlines()
    assert code == 2 and lines, output
    assert all(ERROR_LINE.match(line) for line in lines), output
    assert any(field in line and message in line for line in lines), output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".obsgen", "previous.yaml"]


BUILT = [
    (
        "a route with an RE2 escape is written as an escaped PromQL string",
        edit('routes: "/profiles.*"', r"routes: '/profiles/\d+'"),
    ),
    (
        "the lowest objective the fast page tier allows builds passing tests",
        edit("objective: 99.9 ", "objective: 93.403 "),
    ),
    (
        "generated tests follow a minimum request rate of 10",
        edit("min_request_rate: 0.1", "min_request_rate: 10"),
    ),
    (
        "generated tests follow a minimum request rate of 100",
        edit("min_request_rate: 0.1", "min_request_rate: 100"),
    ),
]


@pytest.mark.parametrize("text", [case[1] for case in BUILT], ids=[case[0] for case in BUILT])
def test_a_hostile_but_valid_value_builds_what_the_tools_accept(tmp_path: Path, text: str) -> None:
    code, output = build(tmp_path, edit(POLICY, POLICY + FAST_TIERS, text))
    assert code == 0, output
    assert tool_problems(tmp_path / "out") == []


def test_an_output_name_longer_than_the_filesystem_allows_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "-o", str(tmp_path / ("x" * 256))])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "cannot write output" in result.output
