"""House-style panel factories: every obsgen dashboard looks and behaves the same.

Like grafanalib's ``weave.py``, each factory varies one house-style base panel with
``attr.evolve``; grafanalib stays here and in the dashboard modules, never in the model.
Datasources are always template variables, so a dashboard works with whatever uids a Grafana
has (provisioned defaults come from the spec).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import attr
from attr.validators import instance_of
from grafanalib.core import GridPos, Logs, Panel, Stat, Table, TimeSeries

from dashboards import ids
from obsgen.model import Service

PROMETHEUS_VAR = "datasource"  # dashboard-linter's expected name for the Prometheus variable
LOKI_VAR = "loki_datasource"
TEMPO_VAR = "tempo_datasource"
PROMETHEUS = {"type": "prometheus", "uid": f"${{{PROMETHEUS_VAR}}}"}
LOKI = {"type": "loki", "uid": f"${{{LOKI_VAR}}}"}
TEMPO = {"type": "tempo", "uid": f"${{{TEMPO_VAR}}}"}
GRID_WIDTH = 24


@attr.s(frozen=True)
class PromTarget:
    """A Prometheus query; only the fields Grafana's current query editor writes."""

    expr: str = attr.ib(validator=instance_of(str))
    legendFormat: str = attr.ib(default="__auto")
    refId: str = attr.ib(default="A")
    instant: bool = attr.ib(default=False)
    format: str = attr.ib(default="time_series")
    exemplar: bool = attr.ib(default=False)
    datasource: dict[str, str] = PROMETHEUS

    def to_json_data(self) -> dict[str, Any]:
        return {
            "datasource": self.datasource,
            "expr": self.expr,
            "legendFormat": self.legendFormat,
            "refId": self.refId,
            "instant": self.instant,
            "range": not self.instant,
            "format": self.format,
            "exemplar": self.exemplar,
            "editorMode": "code",
        }


@attr.s(frozen=True)
class LokiTarget:
    expr: str = attr.ib(validator=instance_of(str))
    legendFormat: str = attr.ib(default="")
    refId: str = attr.ib(default="A")
    queryType: str = attr.ib(default="range")
    datasource: dict[str, str] = LOKI

    def to_json_data(self) -> dict[str, Any]:
        return {
            "datasource": self.datasource,
            "expr": self.expr,
            "legendFormat": self.legendFormat,
            "refId": self.refId,
            "queryType": self.queryType,
            "editorMode": "code",
        }


@attr.s(frozen=True)
class TempoTarget:
    query: str = attr.ib(validator=instance_of(str))
    refId: str = attr.ib(default="A")
    limit: int = attr.ib(default=20)
    datasource: dict[str, str] = TEMPO

    def to_json_data(self) -> dict[str, Any]:
        return {
            "datasource": self.datasource,
            "query": self.query,
            "queryType": "traceql",
            "refId": self.refId,
            "limit": self.limit,
            "tableType": "traces",
            "filters": [],  # required by Grafana's Tempo query schema (the search builder's)
        }


Target = PromTarget | LokiTarget | TempoTarget


def legend(label: str) -> str:
    """A legend showing a series' value of ``label`` (Grafana's ``{{label}}`` form)."""
    return f"{{{{{label}}}}}"


def prom(expr: str, legend: str = "__auto", ref: str = "A", **kwargs: Any) -> PromTarget:
    return PromTarget(expr=expr, legendFormat=legend, refId=ref, **kwargs)


@attr.s
class HeatmapPanel(Panel):  # type: ignore[misc]  # grafanalib ships no type hints
    """Grafana's current heatmap (grafanalib's Heatmap emits the pre-8 format)."""

    unit: str = attr.ib(default="s")

    def to_json_data(self) -> dict[str, Any]:
        return dict(
            self.panel_json(
                {
                    "type": "heatmap",
                    "fieldConfig": {"defaults": {"unit": self.unit, "custom": {}}, "overrides": []},
                    "options": {
                        "calculate": False,
                        "yAxis": {"unit": self.unit, "axisPlacement": "left"},
                        "cellGap": 1,
                        "color": {
                            "mode": "scheme",
                            "scheme": "Oranges",
                            "exponent": 0.5,
                            "steps": 64,
                            "fill": "dark-orange",
                            "scale": "exponential",
                            "reverse": False,
                        },
                        "exemplars": {"color": "rgba(255,0,255,0.7)"},
                        "filterValues": {"le": 1e-9},
                        "rowsFrame": {"layout": "auto"},
                        "tooltip": {"mode": "single", "yHistogram": True},
                        "legend": {"show": True},
                        "showValue": "auto",  # required by Grafana's heatmap schema
                    },
                }
            )
        )


def thresholds(*steps: tuple[str, float | None]) -> list[dict[str, Any]]:
    return [{"color": color, "value": value} for color, value in steps]


GOOD = thresholds(("green", None))

# The house-style bases every factory varies.
_TIMESERIES = TimeSeries(
    dataSource=PROMETHEUS,
    maxDataPoints=None,
    fillOpacity=10,
    showPoints="never",
    legendDisplayMode="table",
    legendCalcs=["mean", "max", "lastNotNull"],
    tooltipMode="multi",
    tooltipSort="desc",
    thresholds=GOOD,
)
_STAT = Stat(
    dataSource=PROMETHEUS,
    maxDataPoints=None,
    reduceCalc="lastNotNull",
    graphMode="area",
    colorMode="value",
    noValue="no data",
    thresholds=GOOD,
)
_TABLE = Table(dataSource=PROMETHEUS, maxDataPoints=None, thresholds=GOOD, filterable=True)
_HEATMAP = HeatmapPanel(dataSource=PROMETHEUS, maxDataPoints=None)  # type: ignore[call-arg]
_LOGS = Logs(
    dataSource=LOKI,
    maxDataPoints=None,
    showTime=True,
    wrapLogMessages=True,
    enableLogDetails=True,
    prettifyLogMessage=False,
    thresholds=GOOD,
)


def _common(
    title: str, description: str, targets: Sequence[Target], w: int, h: int
) -> dict[str, Any]:
    if not targets:
        raise ValueError(f"panel {title!r} has no targets")
    return {
        "title": title,
        "description": description,
        "targets": list(targets),
        "dataSource": targets[0].datasource,
        "gridPos": GridPos(h=h, w=w, x=0, y=0),
    }


def data_links(links: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """``fieldConfig`` data links (grafanalib only models panel-header links)."""
    return {"fieldConfig": {"defaults": {"links": list(links)}}} if links else None


def timeseries(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Target],
    *,
    w: int = 12,
    h: int = 8,
    stack: bool = False,
    max_: int | None = None,
    steps: list[dict[str, Any]] | None = None,
    links: Sequence[dict[str, Any]] = (),
) -> TimeSeries:
    return attr.evolve(
        _TIMESERIES,
        **_common(title, description, targets, w, h),
        unit=unit,
        valueMax=max_,
        stacking={"mode": "normal", "group": "A"} if stack else {"mode": "none", "group": "A"},
        thresholds=steps or GOOD,
        thresholdsStyleMode="line" if steps else "off",
        extraJson=data_links(links),
    )


def stat(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Target],
    *,
    w: int = 6,
    h: int = 5,
    steps: list[dict[str, Any]] | None = None,
    decimals: int | None = None,
) -> Stat:
    return attr.evolve(
        _STAT,
        **_common(title, description, targets, w, h),
        format=unit,
        thresholds=steps or GOOD,
        decimals=decimals,
        colorMode="background" if steps else "value",
    )


def table(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Target],
    *,
    w: int = 12,
    h: int = 8,
    transformations: Sequence[dict[str, Any]] = (),
    links: Sequence[dict[str, Any]] = (),
) -> Table:
    return attr.evolve(
        _TABLE,
        **_common(title, description, targets, w, h),
        unit=unit,
        transformations=list(transformations),
        extraJson=data_links(links),
    )


def heatmap(
    title: str, description: str, unit: str, targets: Sequence[Target], *, w: int = 24, h: int = 9
) -> HeatmapPanel:
    return attr.evolve(_HEATMAP, **_common(title, description, targets, w, h), unit=unit)


def logs(
    title: str, description: str, targets: Sequence[Target], *, w: int = 24, h: int = 12
) -> Logs:
    return attr.evolve(_LOGS, **_common(title, description, targets, w, h))


def traces(
    title: str, description: str, targets: Sequence[Target], *, w: int = 24, h: int = 9
) -> Table:
    """A Tempo search result table: each trace id opens the trace view."""
    return attr.evolve(_TABLE, **_common(title, description, targets, w, h), unit="none")


@dataclass(frozen=True)
class Slot:
    """One fixed place on a dashboard: a stable key, its panel, or why the panel is missing."""

    key: str
    panel: Panel | None
    skipped_because: str = ""


def assemble(
    kind: str, slots: Sequence[Slot], extra: Sequence[Panel] = ()
) -> tuple[list[Panel], list[str]]:
    """Give panels their stable ids and a non-overlapping flow layout; collect skip notes.

    Ids come from :mod:`dashboards.ids` (the kind's fixed key list), so a skipped panel leaves a
    gap instead of renumbering the rest; ``extra`` panels are the spec's KPIs, in order.
    """
    keys = ids.PANEL_KEYS[kind]
    if [s.key for s in slots] != list(keys):
        raise ValueError(f"slots {[s.key for s in slots]} do not match the fixed keys {list(keys)}")
    numbered = [(ids.panel_id(kind, s.key), s.panel) for s in slots if s.panel is not None]
    numbered += [(ids.panel_id(kind, ids.kpi_key(n)), p) for n, p in enumerate(extra, start=1)]
    placed: list[Panel] = []
    x = y = row_h = 0
    for panel_id, panel in numbered:
        w, h = panel.gridPos.w, panel.gridPos.h
        if x + w > GRID_WIDTH:
            x, y, row_h = 0, y + row_h, 0
        placed.append(attr.evolve(panel, id=panel_id, gridPos=GridPos(h=h, w=w, x=x, y=y)))
        x, row_h = x + w, max(row_h, h)
    notes = [s.skipped_because for s in slots if s.panel is None]
    return placed, notes


REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # Grafana's query refIds, in order


def proms(exprs: Sequence[tuple[str, str]], **kwargs: Any) -> list[PromTarget]:
    """One Prometheus target per (expr, legend), with refIds A, B, C, ..."""
    return [prom(expr, legend, REF_IDS[i], **kwargs) for i, (expr, legend) in enumerate(exprs)]


def optional(
    kind: str, service: Service, key: str, expr: str | None, build: Callable[[str], Panel]
) -> Slot:
    """A panel whose metric the convention may lack: skipped with a note instead of a panel
    that could never show data."""
    if expr is None:
        return Slot(
            key,
            None,
            f"{service.name}: {kind} panel {key!r} skipped: convention "
            f"{service.convention.name!r} has no metric for it",
        )
    return Slot(key, build(expr))
