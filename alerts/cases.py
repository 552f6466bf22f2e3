"""A promtool unit-test case as data: input series, then what each alert must (not) do when.

Expected labels are the expression's own labels plus the rule's; expected annotations are the
rule's templates expanded the way Prometheus will, so a case proves the page a human reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alerts.rule import AlertRule
from alerts.templates import expand


@dataclass(frozen=True)
class Firing:
    """One alert instance: the labels its expression yields and its value."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class AlertCheck:
    alert: AlertRule
    minute: int
    firing: tuple[Firing, ...] = ()  # empty: the alert must be silent at ``minute``

    def to_test(self) -> dict[str, Any]:
        expected = []
        for f in self.firing:
            labels = {**f.labels, **self.alert.all_labels}
            annotations = {k: expand(v, labels, f.value) for k, v in self.alert.annotations.items()}
            expected.append(
                {"exp_labels": dict(sorted(labels.items())), "exp_annotations": annotations}
            )
        return {
            "eval_time": f"{self.minute}m",
            "alertname": self.alert.name,
            "exp_alerts": expected,
        }


@dataclass(frozen=True)
class ExprCheck:
    """A PromQL expression's samples at ``minute`` (empty: it must return nothing)."""

    expr: str
    minute: int
    samples: tuple[Firing, ...] = ()

    def to_test(self) -> dict[str, Any]:
        def labels(f: Firing) -> str:
            return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(f.labels.items())) + "}"

        return {
            "expr": self.expr,
            "eval_time": f"{self.minute}m",
            "exp_samples": [{"labels": labels(f), "value": f.value} for f in self.samples],
        }


@dataclass(frozen=True)
class Case:
    name: str  # a sentence: what the case proves
    series: Mapping[str, str]  # selector → promtool values
    alerts: tuple[AlertCheck, ...] = ()
    exprs: tuple[ExprCheck, ...] = field(default=())

    def to_test(self) -> dict[str, Any]:
        test: dict[str, Any] = {
            "name": self.name,
            "interval": "1m",
            "input_series": [{"series": s, "values": v} for s, v in self.series.items()],
        }
        if self.alerts:
            test["alert_rule_test"] = [a.to_test() for a in self.alerts]
        if self.exprs:
            test["promql_expr_test"] = [e.to_test() for e in self.exprs]
        return test
