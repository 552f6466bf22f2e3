"""Validation of `services[]`: name, selector, convention, limits, thresholds, SLOs, KPIs.

Part of the validation pass (:mod:`obsgen.spec.validate`): records problems, returns checked
data (:mod:`obsgen.spec.document`).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from obsgen import conventions
from obsgen.conventions import Convention, RuntimeMetrics
from obsgen.model import SloKind, SymptomThresholds
from obsgen.spec import checks, mapping
from obsgen.spec.document import ConventionDoc, KpiDoc, SelectorDoc, ServiceDoc, SloDoc
from obsgen.spec.reader import Node

PERIODS = ("28d", "30d")
_CUSTOM_CONVENTION_KEYS = (
    "preset",
    "duration_histogram",
    "buckets",
    "requests_counter",
    "route_label",
    "method_label",
    "status_label",
    "duration_has_status",
    "unmatched_route",
    "active_requests",
    "runtime",
)


def _ratio(value: float) -> str | None:
    """A ratio threshold: alerts fire above it, so 1 (100 %) could never be exceeded."""
    return checks.number_in(0.0001, 0.99)(value)


# Sane ranges of the symptom thresholds: wide for any real service, narrow enough that the
# generated promtool series stay exact and small (restarts are counted minute by minute).
THRESHOLD_RANGES = {
    "latency_p99_seconds": checks.number_in(0.001, 3600, "s"),
    "event_loop_lag_seconds": checks.number_in(0.001, 60, "s"),
    "log_rate_per_second": checks.number_in(0.001, 1e6, "/s"),
    "restarts_per_hour": checks.number_in(1, 50),
    "memory_exhaustion_hours": checks.number_in(0.1, 720, "h"),
}
MAX_OBJECTIVE = 99.999  # five nines: beyond it a 30d budget is seconds, not an alerting target


def series_labels(convention: Convention) -> tuple[str, ...]:
    return (convention.route_label, convention.method_label, convention.status_label)


def read_services(root: Node, slo_nodes: list[tuple[Node, SloDoc]]) -> list[ServiceDoc]:
    services: list[ServiceDoc] = []
    seen: dict[str, int] = {}
    if "services" in root.data and root.data["services"] in (None, []):
        root.error("services", "must list at least one service")
    for node, _ in root.items("services"):
        before = len(node.reader.problems)
        service = _read_service(node, slo_nodes)
        if service is None and len(node.reader.problems) == before:  # never drop one silently
            node.reader.error(node.data.line, node.path, "is not a valid service")
        name = node.data.get("name")
        if isinstance(name, str):
            if name in seen:
                node.error("name", f"duplicate service name {name!r} (first at line {seen[name]})")
            seen.setdefault(name, node.line_of("name"))
        if service is not None:
            services.append(service)
    return services


def _read_service(node: Node, slo_nodes: list[tuple[Node, SloDoc]]) -> ServiceDoc | None:
    node.check_keys(
        (
            "name",
            "team",
            "selector",
            "convention",
            "signals",
            "metrics_from",
            "exclude_routes",
            "traces",
            "logs",
            "slos",
            "limits",
            "thresholds",
            "kpis",
        ),
        required=("name",),
    )
    name = node.get("name", str, check=checks.name)
    team = node.get("team", str, "unowned", checks.dashboard_text) or "unowned"
    convention_doc = _read_convention(node)
    convention = mapping.convention(convention_doc) if convention_doc else None
    selector = SelectorDoc(label="job", value=name or "")
    if (sel := node.child("selector")) is not None:
        sel.check_keys(("label", "value"))
        label = sel.get("label", str, "job", checks.user_label_name) or "job"
        if convention is not None and label in series_labels(convention):
            sel.error(
                "label",
                f"{label!r} is a label of the convention's request metrics; "
                "the selector needs a label of its own (e.g. job)",
            )
        value = sel.get("value", str, name or "", checks.selector_value) or name or ""
        selector = SelectorDoc(label=label, value=value)
    limits = _read_limits(node.child("limits"))
    thresholds = _read_thresholds(node.child("thresholds"))
    slos = _read_slos(node, convention, slo_nodes)
    kpis = _read_kpis(node)
    metrics_from = (
        node.get(
            "metrics_from", str, conventions.SCRAPED, checks.one_of(conventions.METRICS_SOURCES)
        )
        or conventions.SCRAPED
    )
    signals = _read_signals(node)
    excluded = _read_excluded_routes(node)
    traces = node.get("traces", bool, False)
    logs = node.get("logs", bool, False)
    if name is None or convention_doc is None or limits is None or thresholds is None:
        return None
    if signals is None or excluded is None or traces is None or logs is None:
        return None
    return ServiceDoc(
        metrics_from=metrics_from,
        signals=signals,
        exclude_routes=excluded,
        traces=traces,
        logs=logs,
        name=name,
        team=team,
        selector=selector,
        convention=convention_doc,
        memory_mb=limits[0],
        cpu_cores=limits[1],
        thresholds=thresholds,
        slos=slos,
        kpis=kpis,
    )


def _read_convention(node: Node) -> ConventionDoc | None:
    raw = node.data.get("convention")
    if raw is None:  # absent or `convention:` left empty: the default, as for any other key
        raw = conventions.OTEL.name
    presets = ", ".join(conventions.PRESETS)
    if isinstance(raw, str):
        if raw not in conventions.PRESETS:
            node.error("convention", f"unknown preset {raw!r} (valid: {presets}, or a mapping)")
            return None
        return ConventionDoc(preset=raw, custom=False, overrides={})
    custom = node.child("convention")
    if custom is None:
        return None
    custom.check_keys(_CUSTOM_CONVENTION_KEYS)
    base_name = custom.get("preset", str, conventions.OTEL.name)
    if base_name is None:
        return None
    if base_name not in conventions.PRESETS:
        custom.error("preset", f"unknown preset {base_name!r} (valid: {presets})")
        return None
    overrides: dict[str, Any] = {}
    for key in ("duration_histogram", "requests_counter", "active_requests"):
        if (value := custom.get(key, str, None, checks.metric_name)) is not None:
            overrides[key] = value
    for key in ("route_label", "method_label", "status_label"):
        if (value := custom.get(key, str, None, checks.user_label_name)) is not None:
            if value in overrides.values():
                custom.error(key, f"{value!r} is already another label of this convention")
            else:
                overrides[key] = value
    if (value := custom.get("unmatched_route", str, None, checks.matched_label_value)) is not None:
        overrides["unmatched_route"] = value
    if (flag := custom.get("duration_has_status", bool, None)) is not None:
        overrides["duration_has_status"] = flag
    buckets = custom.get("buckets", list, None)
    if buckets is not None:
        if (
            not buckets
            or len(buckets) > 100
            or not all(
                isinstance(b, (int, float)) and not isinstance(b, bool) and 0 < b < 1e9
                for b in buckets
            )
        ):
            custom.error(
                "buckets",
                "must be a list of 1 to 100 positive finite numbers (the histogram's le bounds)",
            )
        elif list(buckets) != sorted(set(buckets)):
            custom.error("buckets", "must be strictly increasing")
        else:
            overrides["buckets"] = tuple(float(b) for b in buckets)
    if (runtime := custom.child("runtime")) is not None:
        names = tuple(f.name for f in fields(RuntimeMetrics))
        runtime.check_keys(names)
        values = {key: runtime.data[key] for key in names if key in runtime.data}
        for key, value in values.items():
            if value is not None and (not isinstance(value, str) or checks.metric_name(value)):
                runtime.error(key, "must be a metric name, or null when the service lacks it")
        overrides["runtime"] = values
    return ConventionDoc(preset=base_name, custom=True, overrides=overrides)


def _read_signals(node: Node) -> dict[str, str | None] | None:
    """Opt-in signals beyond the preset: ``{signal: metric name}`` (null drops a signal)."""
    signals = node.child("signals")
    if signals is None:
        return None if node.data.get("signals") is not None else {}
    signals.check_keys(conventions.SIGNALS)
    found: dict[str, str | None] = {}
    for key in conventions.SIGNALS:
        if key not in signals.data:
            continue
        value = signals.data[key]
        if value is not None and (not isinstance(value, str) or checks.metric_name(value)):
            signals.error(key, "must be a metric name, or null when the service lacks it")
        else:
            found[key] = value
    return found


def _read_excluded_routes(node: Node) -> list[str] | None:
    """Route label values that are not user traffic, left out of every SLI."""
    routes = node.get("exclude_routes", list, None)
    if routes is None:
        if node.data.get("exclude_routes") is not None:
            return None  # not a list: recorded by get
        return list(conventions.DEFAULT_SLI_EXCLUDED_ROUTES)
    if len(routes) > 100:
        node.error("exclude_routes", "must list at most 100 routes")
        return None
    for route in routes:
        problem = (
            checks.matched_label_value(route)
            if isinstance(route, str)
            else "each route must be a string"
        )
        if problem:
            node.error("exclude_routes", problem)
            return None
    return list(routes)


def _read_limits(node: Node | None) -> tuple[float, float] | None:
    """(memory_mb, cpu_cores)."""
    if node is None:
        return 512.0, 1.0
    node.check_keys(("memory_mb", "cpu_cores"))
    memory = node.get("memory_mb", float, 512.0, checks.number_in(1, 1024 * 1024, " MB"))
    cpu = node.get("cpu_cores", float, 1.0, checks.number_in(0.001, 1024))
    if memory is None or cpu is None:
        return None
    return memory, cpu


def _read_thresholds(node: Node | None) -> dict[str, float] | None:
    defaults = SymptomThresholds()
    names = tuple(f.name for f in fields(SymptomThresholds))
    if node is None:
        return {key: getattr(defaults, key) for key in names}
    node.check_keys(names)
    ratios = ("error_ratio", "memory_ratio", "cpu_ratio", "queue_fill_ratio", "db_pool_ratio")
    values: dict[str, float] = {}
    for key in names:
        kind: type = int if key == "restarts_per_hour" else float
        check = _ratio if key in ratios else THRESHOLD_RANGES[key]
        value = node.get(key, kind, getattr(defaults, key), check)
        if value is not None:  # else recorded; read on, so every bad threshold is reported
            values[key] = value
    return values if len(values) == len(names) else None


def _slo_kind_check(value: str) -> str | None:
    kinds = [k.value for k in SloKind]
    return None if value in kinds else f"unknown SLO type {value!r} (valid: {', '.join(kinds)})"


def _objective_check(value: float) -> str | None:
    if 0 < value < 100 and value <= MAX_OBJECTIVE:
        return None
    return f"{value:g} must be a percentage in (0, 100), at most {MAX_OBJECTIVE:g}, e.g. 99.9"


def _period_check(value: str) -> str | None:
    if value in PERIODS:
        return None
    return f"{value!r} is not a supported compliance period (valid: {', '.join(PERIODS)})"


def _read_slos(
    service: Node, convention: Convention | None, slo_nodes: list[tuple[Node, SloDoc]]
) -> list[SloDoc]:
    slos: list[SloDoc] = []
    seen: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for node, _ in service.items("slos"):
        node.check_keys(
            ("name", "type", "objective", "period", "threshold_seconds", "routes", "description"),
            required=("name", "type", "objective"),
        )
        name = node.get("name", str, check=checks.name)
        if name is not None:
            if name in seen:
                node.error("name", f"duplicate SLO name {name!r} (first at line {seen[name]})")
            seen.setdefault(name, node.line_of("name"))
        kind_text = node.get("type", str, check=_slo_kind_check)
        if kind_text is not None:
            if kind_text in kinds:
                node.error(
                    "type",
                    f"a service has at most one {kind_text} SLO (its dashboards "
                    f"and Grafana alert rules are keyed by type); first at line "
                    f"{kinds[kind_text]}",
                )
                kind_text = None
            else:
                kinds[kind_text] = node.line_of("type")
        objective = node.get("objective", float, check=_objective_check)
        period = node.get("period", str, "30d", _period_check)
        routes = node.get("routes", str, None, checks.route_regex)
        description = node.get("description", str, "", checks.dashboard_text) or ""
        threshold = None
        if kind_text == SloKind.LATENCY.value:
            threshold = node.get(
                "threshold_seconds", float, check=checks.number_in(0, 1e9, "s", low_open=True)
            )
            if "threshold_seconds" not in node.data:
                node.reader.error(
                    node.data.line,
                    node.sub_path("threshold_seconds"),
                    "is required for a latency SLO",
                )
            elif (
                threshold is not None
                and convention is not None
                and threshold not in convention.buckets
            ):
                bounds = ", ".join(conventions.format_bound(b) for b in convention.buckets)
                node.error(
                    "threshold_seconds",
                    f"{threshold:g} is not a bucket bound of "
                    f"{convention.duration_histogram} (valid: {bounds})",
                )
                threshold = None
        elif "threshold_seconds" in node.data and kind_text is not None:
            node.error("threshold_seconds", "only applies to latency SLOs")
        if name is None or kind_text is None or objective is None or period is None:
            continue
        if kind_text == SloKind.LATENCY.value and threshold is None:
            continue
        slo = SloDoc(
            name=name,
            type=kind_text,
            objective=objective,
            period=period,
            threshold_seconds=threshold,
            routes=routes,
            description=description,
        )
        slos.append(slo)
        slo_nodes.append((node, slo))
    return slos


def _read_kpis(service: Node) -> list[KpiDoc]:
    kpis: list[KpiDoc] = []
    for node, _ in service.items("kpis"):
        node.check_keys(("title", "expr", "unit", "description"), required=("title", "expr"))
        title = node.get("title", str, check=checks.dashboard_text)
        expr = node.get("expr", str, check=checks.kpi_expr)
        unit = node.get("unit", str, "short", checks.dashboard_text) or "short"
        description = node.get("description", str, "", checks.dashboard_text) or ""
        if title and expr:
            kpis.append(KpiDoc(title=title, expr=expr, unit=unit, description=description))
    return kpis
