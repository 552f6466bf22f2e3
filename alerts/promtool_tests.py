"""The promtool unit-test file of a service, shipped in build/ beside the rules it tests.

Both rule files are loaded (alerts are built on the recording rules), paths relative to the
test file; one `interval: 1m` and short series keep `promtool test rules` to seconds.
"""

from __future__ import annotations

from typing import Any

from alerts.slo_cases import slo_cases
from alerts.symptoms import symptom_cases
from obsgen.model import Project, Service

TESTS_DIR = "prometheus/tests"


def tests_path(service: str) -> str:
    return f"{TESTS_DIR}/{service}.test.yaml"


def test_file(
    project: Project, service: Service, rule_files: list[str], group_order: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """The test file's data and notes on alerts it could not cover.

    ``group_order`` lists recording groups before alert groups: promtool otherwise picks an
    order, and an alert one evaluation behind its ratio makes exact values flaky."""
    cases, notes = slo_cases(project, service)
    symptoms, symptom_notes = symptom_cases(project, service)
    return (
        {
            "rule_files": [f"../rules/{f.rsplit('/', 1)[-1]}" for f in rule_files],
            "evaluation_interval": "1m",
            "group_eval_order": group_order,
            "tests": [c.to_test() for c in cases + symptoms],
        },
        notes + symptom_notes,
    )
