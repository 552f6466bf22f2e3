"""The frozen, validated model every renderer reads. Renderers never see raw YAML.

The user-facing spec (``obsgen/v1``) is checked by one validation pass
(:mod:`obsgen.spec.validate`), then mapped to these types (:mod:`obsgen.spec.mapping`); this
split lets the file format evolve without touching the generators (as Sloth does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from obsgen.conventions import DEFAULT_SLI_EXCLUDED_ROUTES, PUSHED, SCRAPED, Convention


class SloKind(str, Enum):
    AVAILABILITY = "availability"  # ratio of non-5xx responses
    LATENCY = "latency"  # ratio of responses faster than a threshold


class WindowRatios(str, Enum):
    """What the SLO error ratios over windows longer than 5m (1h ... 3d) read."""

    RAW = "raw"  # rate() over the raw series: exact, reads every raw series at full depth
    RECORDED = "recorded"  # from the recorded 5m rates: one series per SLO, close, not identical


@dataclass(frozen=True)
class Selector:
    """The label matcher that selects one service's series (default ``job="<name>"``)."""

    label: str
    value: str

    def matcher(self) -> str:
        return f'{self.label}="{self.value}"'


@dataclass(frozen=True)
class Slo:
    name: str
    kind: SloKind
    objective_percent: float  # e.g. 99.9
    period: str  # "28d" or "30d"
    period_seconds: int
    threshold_seconds: float | None = None  # latency SLOs only
    route_regex: str | None = None  # optional filter on the route label
    description: str = ""

    @property
    def objective_ratio(self) -> float:
        return round(self.objective_percent / 100.0, 12)  # 99.9 → 0.999, not 0.99900…01

    @property
    def error_budget_ratio(self) -> float:
        return round(1.0 - self.objective_ratio, 12)


@dataclass(frozen=True)
class Limits:
    """Resource limits the saturation alerts and panels compare against."""

    memory_bytes: int
    cpu_cores: float


@dataclass(frozen=True)
class SymptomThresholds:
    """Thresholds of the failure-mode (symptom) alerts; defaults follow the guide's targets."""

    latency_p99_seconds: float = 0.5  # guide M3
    error_ratio: float = 0.05  # 5xx ratio per route
    event_loop_lag_seconds: float = 0.1
    memory_ratio: float = 0.8  # of limits.memory_bytes (guide M8: keep 20% headroom)
    cpu_ratio: float = 0.9  # of limits.cpu_cores
    queue_fill_ratio: float = 0.8  # of the queue capacity
    log_rate_per_second: float = 100.0  # logging flood
    db_pool_ratio: float = 0.9  # of the DB pool's connections in use (F2, M7)
    restarts_per_hour: int = 3  # more restarts than this within an hour is a crash loop (F6)
    memory_exhaustion_hours: float = 4.0  # ticket when memory's trend hits the limit this soon (F3)


@dataclass(frozen=True)
class Kpi:
    """A business KPI panel on the executive dashboard, given by the user as PromQL."""

    title: str
    expr: str
    unit: str = "short"
    description: str = ""


@dataclass(frozen=True)
class Service:
    name: str
    selector: Selector
    convention: Convention
    team: str
    slos: tuple[Slo, ...]
    limits: Limits
    thresholds: SymptomThresholds
    kpis: tuple[Kpi, ...] = ()
    # route label values that are not user traffic (scrapes, probes): left out of every SLI
    sli_excluded_routes: tuple[str, ...] = DEFAULT_SLI_EXCLUDED_ROUTES
    metrics_from: str = SCRAPED  # SCRAPED or PUSHED (OTLP through a Collector)
    traces: bool = False  # the service sends traces to Tempo: trace panels
    logs: bool = False  # the service sends logs to Loki: log panels

    @property
    def pushed(self) -> bool:
        return self.metrics_from == PUSHED


@dataclass(frozen=True)
class Tier:
    """One multiwindow burn-rate alert tier (SRE Workbook, "Alerting on SLOs")."""

    name: str  # e.g. "page-fast"
    severity: str  # page | ticket
    budget_percent: float  # share of the period's error budget spent in long_window
    long_window: str
    short_window: str
    for_: str

    def burn_rate(self, period_seconds: int, long_window_seconds: int) -> float:
        """The burn rate that spends ``budget_percent`` of the budget in ``long_window``."""
        return round(self.budget_percent / 100.0 * period_seconds / long_window_seconds, 4)


@dataclass(frozen=True)
class Receiver:
    """An Alertmanager receiver: a name plus its raw Alertmanager receiver config."""

    name: str
    config: Mapping[str, object]


@dataclass(frozen=True)
class MuteWindow:
    """A recurring deploy window in Alertmanager `time_intervals` form."""

    name: str
    weekdays: tuple[str, ...]
    start_time: str  # "HH:MM"
    end_time: str
    location: str = "UTC"


@dataclass(frozen=True)
class Alerting:
    tiers: tuple[Tier, ...]
    min_request_rate: float  # req/s below which SLO alerts stay silent
    page_receiver: Receiver
    ticket_receiver: Receiver
    mute_windows: tuple[MuteWindow, ...] = ()
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "4h"
    window_ratios: WindowRatios = WindowRatios.RAW


@dataclass(frozen=True)
class Datasource:
    uid: str
    url: str | None = None


@dataclass(frozen=True)
class Grafana:
    url: str
    prometheus: Datasource
    loki: Datasource
    tempo: Datasource
    alertmanager_url: str | None = None


@dataclass(frozen=True)
class Project:
    """Everything one spec describes; the single input of every renderer."""

    source: str  # the spec's file name (not its path as typed), for headers and messages
    services: tuple[Service, ...]
    alerting: Alerting
    grafana: Grafana
    runbook_base_url: str
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    kubernetes_labels: Mapping[str, str] = field(default_factory=dict)  # on k8s objects
