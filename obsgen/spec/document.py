"""The ``obsgen/v1`` format as checked data: what the validation pass hands to the mapping.

Each type mirrors a section of the YAML with every default filled in and every value checked,
so the mapping to the model needs no checks and cannot fail (Sloth's split between the
versioned spec and the internal model).
"""

from __future__ import annotations

from typing import Any, TypedDict


class SelectorDoc(TypedDict):
    label: str
    value: str


class ConventionDoc(TypedDict):
    preset: str
    custom: bool  # given as a mapping: a custom convention, even without overrides
    overrides: dict[str, Any]  # Convention field → checked value (runtime: metric names)


class SloDoc(TypedDict):
    name: str
    type: str
    objective: float
    period: str
    threshold_seconds: float | None
    routes: str | None
    description: str


class KpiDoc(TypedDict):
    title: str
    expr: str
    unit: str
    description: str


class ServiceDoc(TypedDict):
    name: str
    team: str
    selector: SelectorDoc
    convention: ConventionDoc
    memory_mb: float
    cpu_cores: float
    thresholds: dict[str, float]  # SymptomThresholds field → value
    slos: list[SloDoc]
    kpis: list[KpiDoc]
    metrics_from: str  # conventions.SCRAPED or PUSHED
    signals: dict[str, str | None]  # opt-in signal → metric name (None drops the preset's)
    exclude_routes: list[str]  # route values left out of every SLI
    traces: bool
    logs: bool


class TierOverrideDoc(TypedDict):
    enabled: bool
    severity: str | None  # None: the policy's
    for_: str | None


class ReceiverDoc(TypedDict):
    name: str
    configs: dict[str, Any]  # Alertmanager `*_configs` lists, checked, as plain data


class MuteWindowDoc(TypedDict):
    name: str
    weekdays: list[str]
    start: str
    end: str
    location: str


class AlertingDoc(TypedDict):
    policy: str
    tiers: dict[str, TierOverrideDoc]
    min_request_rate: float
    page: ReceiverDoc
    ticket: ReceiverDoc
    mute_windows: list[MuteWindowDoc]
    group_wait: str
    group_interval: str
    repeat_interval: str
    window_ratios: str  # a WindowRatios value


class DatasourceDoc(TypedDict):
    uid: str
    url: str | None


class GrafanaDoc(TypedDict):
    url: str
    alertmanager_url: str | None
    datasources: dict[str, DatasourceDoc]  # prometheus, loki, tempo


class ProjectDoc(TypedDict):
    services: list[ServiceDoc]
    alerting: AlertingDoc
    grafana: GrafanaDoc
    runbook_base_url: str
    labels: dict[str, str]
    kubernetes_labels: dict[str, str]
