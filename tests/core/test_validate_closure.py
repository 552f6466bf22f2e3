"""Property: whatever one to three hostile values do to the demo spec, `obsgen build` either
rejects it (exit 2, every line located) or writes artifacts the real tools accept.

Values are drawn per field from what broke builds before (issue 14): Go templates, quotes and
backslashes, non-RE2 regexes, reserved labels, non-IANA zones, out-of-range durations and
numbers, malformed receiver configs. Every accepted build runs `promtool check rules`, `amtool
check-config` and the dashboard lint; `promtool test rules` (seconds per build) runs on the
first distinct builds, up to UNIT_TEST_BUDGET. Examples are derandomized so CI sees the same
ones each run; OBSGEN_FUZZ_EXAMPLES=500 explores 500 random ones locally.
"""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obsgen.spec import default_spec_text
from tests.core.closure import ERROR_LINE, FAST_TIERS, build, tool_problems

POLICY = "  policy: sre-workbook"
BASE = yaml.safe_load(default_spec_text().replace(POLICY, FAST_TIERS + POLICY, 1))
EXPLORE = os.environ.get("OBSGEN_FUZZ_EXAMPLES")  # set: random examples, this many
EXAMPLES = int(EXPLORE or "20")
UNIT_TEST_BUDGET = 2
_unit_tested: set[str] = set()
_outcomes: list[int] = []

TEXT = st.sampled_from(
    [
        "",
        " ",
        "{{ $value }}",
        "a{{b",
        "c}}",
        'a"b',
        "pro\\files",
        "(?=x)",
        "(a)\\1",
        "/p{1001}",
        "(?x) /p .*",
        "/profiles/\\d+",
        "/profiles/[0-9]+",
        "a+b",
        "pro.files",
        "$x",
        "utc",
        "UTC",
        "Europe/Berlin",
        "Local",
        "ftp://x",
        "http://x",
        "http://x/{{ .A }}",
        "http://[::1",
        "1h",
        "0s",
        "2h",
        "999999999999y",
        "__name__",
        "service",
        "severity",
        "job",
        "le",
        "instance",
        "http_route",
        "é",
        "x" * 300,
        "\t",
        "a\nb",
    ]
)
NUMBER = st.one_of(
    st.sampled_from(
        [
            0,
            -1,
            1,
            1e-7,
            0.5,
            3,
            10,
            50,
            51,
            100,
            10_000,
            10_001,
            99.9,
            99.999,
            99.9999999,
            1e300,
            10**30,
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
)
RECEIVER = st.sampled_from(
    [
        [1],
        [],
        {},
        [{"url": "ftp://x"}],
        [{"url": "http://hook"}],
        [{"url": "http://hook", "max_alerts": "x"}],
        [{"nope": 1}],
    ]
)
VALUE = st.one_of(TEXT, NUMBER, RECEIVER, st.none(), st.booleans())

service = ("services", 0)
EXTRA_PATHS = [
    ("alerting", "min_request_rate"),
    ("alerting", "group_interval"),
    ("alerting", "group_wait"),
    ("alerting", "tiers", "page-fast", "for"),
    ("alerting", "receivers", "page", "webhook_configs"),
    ("alerting", "receivers", "ticket", "name"),
    ("alerting", "mute_windows", 0, "location"),
    ("alerting", "mute_windows", 0, "name"),
    ("labels", "env"),
    ("labels", "team_label"),
    (*service, "selector", "label"),
    (*service, "selector", "value"),
    (*service, "team"),
    (*service, "slos", 1, "routes"),
    (*service, "slos", 0, "objective"),
    (*service, "limits", "memory_mb"),
    (*service, "limits", "cpu_cores"),
    (*service, "thresholds", "restarts_per_hour"),
    (*service, "thresholds", "error_ratio"),
    (*service, "thresholds", "memory_exhaustion_hours"),
    (*service, "kpis", 0, "title"),
    ("grafana", "url"),
    ("runbooks", "base_url"),
    ("grafana", "datasources", "loki", "url"),
]


def leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in leaf_paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in leaf_paths(v, (*prefix, i))]
    return [prefix]


PATHS = sorted(set(leaf_paths(BASE)) | set(EXTRA_PATHS), key=repr)


@st.composite
def hostile_specs(draw: st.DrawFn) -> str:
    spec = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = spec
        for step in path[:-1]:
            if isinstance(parent, dict):
                parent = parent.setdefault(step, {})
            elif isinstance(parent, list) and isinstance(step, int) and step < len(parent):
                parent = parent[step]
            else:
                break
        else:
            if isinstance(parent, dict) or (isinstance(parent, list) and path[-1] < len(parent)):
                parent[path[-1]] = draw(VALUE)
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXPLORE is None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile_specs())
def test_a_hostile_spec_is_rejected_with_located_lines_or_builds_what_the_tools_accept(
    tmp_path_factory: Any, text: str
) -> None:
    tmp = tmp_path_factory.mktemp("closure")
    code, output = build(tmp, text)
    _outcomes.append(code)
    assert code in (0, 2), output
    if code == 2:
        lines = output.strip().splitlines()
        assert lines and all(ERROR_LINE.match(line) for line in lines), output
        assert not (tmp / "out").exists()
        return
    out = tmp / "out"
    rules = b"".join(p.read_bytes() for p in sorted((out / "prometheus").rglob("*.yaml")))
    digest = hashlib.sha256(rules).hexdigest()
    unit_tests = digest not in _unit_tested and len(_unit_tested) < UNIT_TEST_BUDGET
    if unit_tests:
        _unit_tested.add(digest)
    assert tool_problems(Path(out), unit_tests=unit_tests) == [], text
