"""One alerting rule as data, before it becomes a rule-file entry.

Keeping severity, annotations and the dashboard panel as fields (not buried in dicts) lets the
runbook, lint and promtool-test generators read the same alert the rule file gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from obsgen import conventions as names
from obsgen.durations import parse_duration


@dataclass(frozen=True)
class Runbook:
    """What a runbook page says about an alert, from the guide's failure-mode table."""

    meaning: str
    impact: str
    mitigations: tuple[str, ...]


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_: str
    severity: str
    labels: Mapping[str, str]  # everything but severity: extra labels, service, slo
    summary: str
    description: str
    runbook_url: str
    dashboard_url: str
    panel: tuple[str, str]  # (dashboard kind, panel key)
    runbook: Runbook
    extra_annotations: Mapping[str, str] = field(default_factory=dict)
    speed: tuple[str, ...] = ()  # runbook lines: how fast it fires and resets (burn-rate tiers)

    @property
    def all_labels(self) -> dict[str, str]:
        return {**self.labels, names.SEVERITY_LABEL: self.severity}

    @property
    def annotations(self) -> dict[str, str]:
        return {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": self.runbook_url,
            "dashboard_url": self.dashboard_url,
            **self.extra_annotations,
        }

    @property
    def for_seconds(self) -> float:
        return parse_duration(self.for_, allow_zero=True)

    def to_rule(self) -> dict[str, Any]:
        """The Prometheus rule-file entry, keys in the order people read them.

        A zero `for:` is left out (Prometheus' default): the alert fires at its first evaluation.
        """
        wait = {"for": self.for_} if self.for_seconds else {}
        return {
            "alert": self.name,
            "expr": self.expr,
            **wait,
            "labels": dict(sorted(self.all_labels.items())),
            "annotations": self.annotations,
        }


@dataclass(frozen=True)
class AlertGroup:
    """A named group of alerts, kept as AlertRules so every output format (rule file,
    PrometheusRule, Grafana provisioning) groups and names the same alerts the same way."""

    name: str
    alerts: tuple[AlertRule, ...]

    def to_group(self) -> dict[str, Any]:
        """The Prometheus rule-file group."""
        return {"name": self.name, "rules": [a.to_rule() for a in self.alerts]}
