"""The game day's time compression changes durations only, never thresholds or names."""

from __future__ import annotations

import yaml

from tests.e2e.compress import compress_duration, compress_expr, compress_rule_file


def test_durations_shrink_by_the_factor() -> None:
    assert [compress_duration(d) for d in ("5m", "1h", "3d", "90s", "2m")] == [
        "5s",
        "60s",
        "4320s",
        "1500ms",
        "2s",
    ]


def test_expression_ranges_offsets_and_horizons_shrink_but_numbers_stay() -> None:
    expr = (
        'sum(rate(x{code=~"5[0-9]{2}"}[5m] offset 1h)) / 0.001 > 14.4 '
        "and max_over_time(y[30d:5m]) and predict_linear(m[1h], 14400) > 1"
    )
    assert compress_expr(expr) == (
        'sum(rate(x{code=~"5[0-9]{2}"}[5s] offset 60s)) / 0.001 > 14.4 '
        "and max_over_time(y[43200s:5s]) and predict_linear(m[60s], 240) > 1"
    )


def test_rule_file_keeps_names_labels_and_shrinks_for() -> None:
    text = yaml.safe_dump(
        {
            "groups": [
                {
                    "name": "g",
                    "rules": [
                        {
                            "alert": "A",
                            "expr": "rate(x[5m]) > 1",
                            "for": "10m",
                            "labels": {"severity": "page"},
                        },
                        {"record": "r:rate5m", "expr": "rate(x[5m])"},
                    ],
                }
            ]
        }
    )
    rules = yaml.safe_load(compress_rule_file(text))["groups"][0]["rules"]
    assert rules[0] == {
        "alert": "A",
        "expr": "rate(x[5s]) > 1",
        "for": "10s",
        "labels": {"severity": "page"},
    }
    assert rules[1] == {"record": "r:rate5m", "expr": "rate(x[5s])"}
