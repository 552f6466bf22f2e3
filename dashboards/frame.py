"""What every obsgen dashboard shares: variables, links between the three, and the JSON pass.

grafanalib renders the dashboard; :func:`to_json` then removes what grafanalib emits by default
but modern Grafana does not want (legacy keys, ``maxDataPoints: 100``, nulls), so the files are
what Grafana itself would save.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from grafanalib.core import Annotations, Dashboard, DashboardLink, Panel, Template, Templating, Time

from dashboards.ids import KIND_TITLES, dashboard_uid
from dashboards.panels import LOKI_VAR, PROMETHEUS_VAR, TEMPO_VAR
from obsgen.model import Project, Service

SCHEMA_VERSION = 39  # Grafana 10.4+; dashboards are saved in this model
REFRESH_ON_TIME_RANGE_CHANGE = 2
ALL = "$__all"

# Keys grafanalib emits that the current dashboard model does not have (or only as noise).
_LEGACY_DASHBOARD_KEYS = {"rows", "style", "hideControls", "sharedCrosshair", "gnetId", "id"}
_LEGACY_PANEL_KEYS = {
    "cacheTimeout",
    "editable",
    "error",
    "height",
    "hideTimeOverride",
    "minSpan",
    "span",
    "maxPerRow",
    "repeatDirection",
    "columns",
    "fontSize",
    "mappings",
    "color",
}
_LEGACY_TEMPLATE_KEYS = {"useTags", "tagsQuery", "tagValuesQuery", "auto", "auto_min", "auto_count"}
# Options that Grafana's panel schemas require, each at its schema default (what Grafana's own
# save writes), which grafanalib leaves out. tests/dashboards/test_grafana_schema.py decodes
# every dashboard with the schema types of grafana-foundation-sdk, which insist on them.
_REQUIRED_OPTIONS: dict[str, dict[str, Any]] = {
    "stat": {"showPercentChange": False, "percentChangeColorMode": "standard", "wideLayout": True},
    "table": {"frameIndex": 0},
    "logs": {"showLogContextToggle": False},
}
_REQUIRED_CUSTOM: dict[str, dict[str, Any]] = {"table": {"inspect": False}}


def datasource_variable(name: str, plugin: str, label: str, uid: str) -> Template:
    """A datasource picker defaulting to the spec's uid."""
    return Template(
        name=name, query=plugin, type="datasource", label=label, default=uid, refresh=1, regex=""
    )


def service_choices(project: Project, service: Service) -> list[str]:
    """The spec's services this dashboard can switch to: those selected by the same label (the
    panels match ``<label>=~"$service"``), never every job Prometheus happens to have."""
    return [
        s.selector.value for s in project.services if s.selector.label == service.selector.label
    ]


_choices_of: tuple[tuple[Service, ...], dict[str, str]] = ((), {})


def _choices_query(project: Project, service: Service) -> str:
    """:func:`service_choices` as a custom variable's query, computed once per selector label
    of the project (every dashboard asks; a project is immutable)."""
    global _choices_of
    services, queries = _choices_of
    if services is not project.services:
        services, queries = project.services, {}
        _choices_of = (services, queries)
    label = service.selector.label
    if label not in queries:
        # Grafana splits a custom variable's query on commas; a literal comma is written "\,".
        queries[label] = ",".join(v.replace(",", "\\,") for v in service_choices(project, service))
    return queries[label]


def service_variable(project: Project, service: Service) -> Template:
    current = service.selector.value
    return Template(
        name="service",
        label="Service",
        type="custom",
        query=_choices_query(project, service),
        default=current,
        # The selected option given, grafanalib does not split the query into options that
        # to_json drops anyway (Grafana derives them from the query).
        options=[{"selected": True, "text": current, "value": current}],
        sort=1,
        regex="",
    )


def variables(project: Project, service: Service, extra: Sequence[Template] = ()) -> Templating:
    """Datasource variables, ``$service`` (the spec's services), then ``extra``."""
    ds = project.grafana
    return Templating(
        list=[
            datasource_variable(PROMETHEUS_VAR, "prometheus", "Data source", ds.prometheus.uid),
            datasource_variable(LOKI_VAR, "loki", "Logs data source", ds.loki.uid),
            datasource_variable(TEMPO_VAR, "tempo", "Traces data source", ds.tempo.uid),
            service_variable(project, service),
            *extra,
        ]
    )


def dashboard_links(service: Service, kind: str) -> list[DashboardLink]:
    """Executive → on-call → debug (and back), keeping the time range and every variable."""
    others = {
        "executive": ("oncall",),
        "oncall": ("executive", "debug"),
        "debug": ("oncall", "executive"),
    }[kind]
    return [
        DashboardLink(
            type="link",
            title=f"{KIND_TITLES[other]} dashboard",
            icon="dashboard",
            uri=f"/d/{dashboard_uid(service.name, other)}",
            keepTime=True,
            includeVars=True,
            tooltip=f"Open the {KIND_TITLES[other]} view of $service",
        )
        for other in others
    ]


def route_to_debug(service: Service, route_field: str) -> dict[str, Any]:
    """A data link from a per-route series to the debug dashboard with the route filled in."""
    uid = dashboard_uid(service.name, "debug")
    return {
        "title": f"Debug ${{__field.labels.{route_field}}}",
        "url": (
            f"/d/{uid}?${{__url_time_range}}&${{service:queryparam}}"
            f"&var-route=${{__field.labels.{route_field}}}"
        ),
        "targetBlank": False,
    }


def builtin_annotations() -> dict[str, Any]:
    return {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }


def build(
    project: Project,
    service: Service,
    kind: str,
    description: str,
    panels: list[Panel],
    extra_vars: Sequence[Template] = (),
    annotations: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The dashboard JSON (provisioning form) of one service and kind."""
    dash = Dashboard(
        title=f"{service.name} / {KIND_TITLES[kind]}",
        uid=dashboard_uid(service.name, kind),
        description=(
            f"{description} Generated by obsgen from {project.source}; "
            "change the spec and run `obsgen build` instead of editing."
        ),
        tags=["obsgen", f"service:{service.name}", f"team:{service.team}", kind],
        panels=panels,
        templating=variables(project, service, extra_vars),
        annotations=Annotations(list=[builtin_annotations(), *annotations]),
        links=dashboard_links(service, kind),
        schemaVersion=SCHEMA_VERSION,
        time=Time("now-6h", "now") if kind != "executive" else Time("now-7d", "now"),
        refresh="1m",
        graphTooltip=1,
        editable=False,
        timezone="browser",
    )
    return to_json(dash)


def _grafanalib_data(value: Any) -> Any:
    """A grafanalib object's JSON data through its public ``to_json_data`` (grafanalib's own
    encoder lives in a private module)."""
    to_json_data = getattr(value, "to_json_data", None)
    if not callable(to_json_data):
        raise TypeError(f"not JSON data: {type(value).__name__}")
    return to_json_data()


def to_json(dash: Dashboard) -> dict[str, Any]:
    """grafanalib's JSON with its harmful defaults and legacy keys removed."""
    data: dict[str, Any] = orjson.loads(
        orjson.dumps(dash, default=_grafanalib_data, option=orjson.OPT_NON_STR_KEYS)
    )
    for key in _LEGACY_DASHBOARD_KEYS | {"__inputs"}:
        data.pop(key, None)
    data["fiscalYearStartMonth"] = 0
    data["liveNow"] = False
    data["weekStart"] = ""
    # Gone from Grafana's dashboard schema (the time picker ignores it).
    data.get("timepicker", {}).pop("time_options", None)
    for panel in data["panels"]:
        for key in _LEGACY_PANEL_KEYS:
            panel.pop(key, None)
        if panel.get("maxDataPoints") == 100:
            del panel["maxDataPoints"]
        if panel.get("type") == "table" and not panel["options"].get("sortBy"):
            panel["options"].pop("sortBy", None)
        _add_required_options(panel)
    for variable in data["templating"]["list"]:
        for key in _LEGACY_TEMPLATE_KEYS:
            variable.pop(key, None)
        current = variable.get("current")
        if current is not None:
            current.pop("tags", None)  # not in the schema's VariableOption
        if current == {} and variable.get("includeAll"):
            # grafanalib finds no option equal to the default "$__all" of a custom variable
            # and leaves the selection empty, which the schema rejects (text, value required).
            current = {"value": ALL}
        if current == {}:
            del variable["current"]  # Grafana selects the first option
        elif current is not None and current.get("value") == ALL:
            variable["current"] = {"selected": True, "text": ["All"], "value": [ALL]}
        if variable["type"] == "datasource":
            variable.pop("datasource", None)
        if variable["type"] == "custom":
            # Grafana derives a custom variable's options from its query whenever a dashboard
            # loads (legacy and Scenes alike), so saved options are only bytes: for `$service`,
            # every spec service in every dashboard, which made large builds quadratic.
            variable["options"] = []
    cleaned: dict[str, Any] = _drop_nulls(data)
    return cleaned


def _add_required_options(panel: dict[str, Any]) -> None:
    """Fill in the options Grafana's schema for the panel's type requires, at their defaults."""
    kind = panel.get("type", "")
    for key, value in _REQUIRED_OPTIONS.get(kind, {}).items():
        panel["options"].setdefault(key, value)
    custom = _REQUIRED_CUSTOM.get(kind)
    if custom:
        defaults = panel.setdefault("fieldConfig", {}).setdefault("defaults", {})
        for key, value in custom.items():
            defaults.setdefault("custom", {}).setdefault(key, value)
    legend = panel.get("options", {}).get("legend")
    if kind == "timeseries" and legend is not None:
        # Grafana's own migration of a legend without it: shown unless its mode is "hidden".
        legend.setdefault("showLegend", legend.get("displayMode") != "hidden")


def _drop_nulls(value: Any) -> Any:
    """Remove null-valued keys, except a threshold step's base ``value`` (null means -inf)."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None or k == "value"}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value
