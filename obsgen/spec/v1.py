"""The ``obsgen/v1`` spec format: validated in one pass, then mapped to the frozen model."""

from __future__ import annotations

import math
import re
from dataclasses import fields
from typing import Any

from obsgen import conventions, policy
from obsgen.conventions import Convention, RuntimeMetrics
from obsgen.durations import parse_duration
from obsgen.model import (
    Alerting,
    Datasource,
    Grafana,
    Kpi,
    Limits,
    MuteWindow,
    Project,
    Receiver,
    Selector,
    Service,
    Slo,
    SloKind,
    SymptomThresholds,
    Tier,
)
from obsgen.spec import checks, receivers
from obsgen.spec.reader import Node

API_VERSION = "obsgen/v1"
PERIODS = ("28d", "30d")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RECEIVER_CONFIG_KEYS = tuple(sorted(receivers.KINDS))
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
MAX_MIN_REQUEST_RATE = 10_000.0


def read_project(root: Node, source: str) -> Project | None:
    """Validate a whole spec; return the model, or None when any problem was recorded."""
    root.check_keys(
        ("apiVersion", "services", "alerting", "grafana", "runbooks", "labels"),
        required=("apiVersion", "services"),
    )
    version = root.get("apiVersion", str)
    if version is not None and version != API_VERSION:
        root.error("apiVersion", f"{version!r} is not supported (use {API_VERSION!r})")
    slo_nodes: list[tuple[Node, Slo]] = []
    services = _read_services(root, slo_nodes)
    alerting = _read_alerting(root.child("alerting"), root)
    grafana = _read_grafana(root.child("grafana"), root)
    runbooks = root.child("runbooks")
    runbook_base = "https://github.com/obsgen/obsgen/blob/main/build/runbooks/"
    if runbooks is not None:
        runbooks.check_keys(("base_url",))
        runbook_base = runbooks.get("base_url", str, runbook_base, checks.url) or runbook_base
    labels = _read_labels(root)
    if alerting is not None:
        _check_objectives(slo_nodes, alerting.tiers)
    _check_label_collisions(root, labels, services)
    if root.reader.problems or alerting is None or grafana is None:
        return None
    return Project(
        source=source,
        services=tuple(services),
        alerting=alerting,
        grafana=grafana,
        runbook_base_url=runbook_base,
        extra_labels=labels,
    )


def _series_labels(convention: Convention) -> tuple[str, ...]:
    return (convention.route_label, convention.method_label, convention.status_label)


def _check_objectives(slo_nodes: list[tuple[Node, Slo]], tiers: tuple[Tier, ...]) -> None:
    """Every enabled tier must page a full outage within its long window: the minutes until the
    window's error ratio crosses the tier's threshold (burn rate x error budget), plus `for`.
    A 1 % objective leaves a 99 % budget that no 14.4x burn can ever reach."""
    for node, slo in slo_nodes:
        for tier in tiers:
            window = math.ceil(parse_duration(tier.long_window) / 60)
            wait = math.ceil(parse_duration(tier.for_) / 60)
            rate = tier.burn_rate(slo.period_seconds, window * 60)
            threshold = rate * slo.error_budget_ratio
            if window - wait - 1 <= 0 or (
                threshold < 1 and math.ceil(threshold * window) + wait + 1 <= window
            ):
                continue  # a `for` as long as the window is reported at the tier's `for`
            lowest = math.ceil(100_000 * (1 - (window - wait - 1) / (window * rate))) / 1000
            node.error(
                "objective",
                f"{slo.objective_percent:g} is too low for the {tier.name} "
                f"tier (burn rate {rate:g}, for {tier.for_}): a full outage would not "
                f"fire it within its {tier.long_window} window; use at least {lowest:g} "
                "or disable the tier",
            )
            break


def _check_label_collisions(root: Node, labels: dict[str, str], services: list[Service]) -> None:
    """An extra label named like a label of the services' series would overwrite it."""
    node = root.child("labels")
    if node is None:
        return
    taken = {s.selector.label for s in services}
    taken.update(label for s in services for label in _series_labels(s.convention))
    for key in labels:
        if key in taken:
            node.error(
                key,
                f"{key!r} is a label of the services' own series (a selector or "
                "convention label); choose another name",
            )


def _read_labels(root: Node) -> dict[str, str]:
    node = root.child("labels")
    if node is None:
        return {}
    labels: dict[str, str] = {}
    for key in node.data:
        value = node.get(key, str, check=checks.label_value)
        if problem := checks.user_label_name(key):
            node.error(key, problem)
        elif value is not None:
            labels[key] = value
    return labels


def _read_services(root: Node, slo_nodes: list[tuple[Node, Slo]]) -> list[Service]:
    services: list[Service] = []
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


def _read_service(node: Node, slo_nodes: list[tuple[Node, Slo]]) -> Service | None:
    node.check_keys(
        ("name", "team", "selector", "convention", "slos", "limits", "thresholds", "kpis"),
        required=("name",),
    )
    name = node.get("name", str, check=checks.name)
    team = node.get("team", str, "unowned", checks.text) or "unowned"
    convention = _read_convention(node)
    selector = Selector("job", name or "")
    if (sel := node.child("selector")) is not None:
        sel.check_keys(("label", "value"))
        label = sel.get("label", str, "job", checks.user_label_name) or "job"
        if convention is not None and label in _series_labels(convention):
            sel.error(
                "label",
                f"{label!r} is a label of the convention's request metrics; "
                "the selector needs a label of its own (e.g. job)",
            )
        selector = Selector(
            label, sel.get("value", str, name or "", checks.selector_value) or name or ""
        )
    limits = _read_limits(node.child("limits"))
    thresholds = _read_thresholds(node.child("thresholds"))
    slos = _read_slos(node, convention, slo_nodes)
    kpis = _read_kpis(node)
    if name is None or convention is None or limits is None or thresholds is None:
        return None
    return Service(
        name=name,
        selector=selector,
        convention=convention,
        team=team,
        slos=tuple(slos),
        limits=limits,
        thresholds=thresholds,
        kpis=tuple(kpis),
    )


def _read_convention(node: Node) -> Convention | None:
    raw = node.data.get("convention")
    if raw is None:  # absent or `convention:` left empty: the default, as for any other key
        raw = conventions.OTEL.name
    presets = ", ".join(conventions.PRESETS)
    if isinstance(raw, str):
        if raw not in conventions.PRESETS:
            node.error("convention", f"unknown preset {raw!r} (valid: {presets}, or a mapping)")
            return None
        return conventions.PRESETS[raw]
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
    base = conventions.PRESETS[base_name]
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
        overrides["runtime"] = RuntimeMetrics(**{**base.runtime.__dict__, **values})
    return conventions.custom(base, overrides)


def _read_limits(node: Node | None) -> Limits | None:
    if node is None:
        return Limits(memory_bytes=512 * 1024 * 1024, cpu_cores=1.0)
    node.check_keys(("memory_mb", "cpu_cores"))
    memory = node.get("memory_mb", float, 512.0, checks.number_in(1, 1024 * 1024, " MB"))
    cpu = node.get("cpu_cores", float, 1.0, checks.number_in(0.001, 1024))
    if memory is None or cpu is None:
        return None
    return Limits(memory_bytes=int(memory * 1024 * 1024), cpu_cores=cpu)


def _read_thresholds(node: Node | None) -> SymptomThresholds | None:
    defaults = SymptomThresholds()
    if node is None:
        return defaults
    names = tuple(f.name for f in fields(SymptomThresholds))
    node.check_keys(names)
    ratios = ("error_ratio", "memory_ratio", "cpu_ratio", "queue_fill_ratio", "db_pool_ratio")
    values: dict[str, Any] = {}
    for key in names:
        kind: type = int if key == "restarts_per_hour" else float
        check = _ratio if key in ratios else THRESHOLD_RANGES[key]
        value = node.get(key, kind, getattr(defaults, key), check)
        if value is None:
            return None
        values[key] = value
    return SymptomThresholds(**values)


def _slo_kind_check(value: str) -> str | None:
    kinds = [k.value for k in SloKind]
    return None if value in kinds else f"unknown SLO type {value!r} (valid: {', '.join(kinds)})"


def _read_slos(
    service: Node, convention: Convention | None, slo_nodes: list[tuple[Node, Slo]]
) -> list[Slo]:
    slos: list[Slo] = []
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
        objective = node.get(
            "objective",
            float,
            check=lambda v: (
                None
                if 0 < v < 100 and v <= MAX_OBJECTIVE
                else f"{v:g} must be a percentage in (0, 100), at most {MAX_OBJECTIVE:g}, e.g. 99.9"
            ),
        )
        period = node.get(
            "period",
            str,
            "30d",
            lambda v: (
                None
                if v in PERIODS
                else f"{v!r} is not a supported compliance period (valid: {', '.join(PERIODS)})"
            ),
        )
        routes = node.get("routes", str, None, checks.route_regex)
        description = node.get("description", str, "", checks.text) or ""
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
        if None in (name, kind_text, objective, period) or (
            kind_text == "latency" and threshold is None
        ):
            continue
        assert name and kind_text and objective and period
        slo = Slo(
            name=name,
            kind=SloKind(kind_text),
            objective_percent=objective,
            period=period,
            period_seconds=int(parse_duration(period)),
            threshold_seconds=threshold,
            route_regex=routes,
            description=description,
        )
        slos.append(slo)
        slo_nodes.append((node, slo))
    return slos


def _read_kpis(service: Node) -> list[Kpi]:
    kpis: list[Kpi] = []
    for node, _ in service.items("kpis"):
        node.check_keys(("title", "expr", "unit", "description"), required=("title", "expr"))
        title = node.get("title", str, check=checks.text)
        expr = node.get("expr", str, check=checks.promql)
        unit = node.get("unit", str, "short", checks.text) or "short"
        description = node.get("description", str, "", checks.text) or ""
        if title and expr:
            kpis.append(Kpi(title=title, expr=expr, unit=unit, description=description))
    return kpis


def _read_alerting(node: Node | None, root: Node) -> Alerting | None:
    if node is None:
        return _default_alerting()
    node.check_keys(
        (
            "policy",
            "tiers",
            "min_request_rate",
            "receivers",
            "mute_windows",
            "group_wait",
            "group_interval",
            "repeat_interval",
        )
    )
    policies = policy.available()
    policy_name = node.get(
        "policy",
        str,
        "sre-workbook",
        lambda v: None if v in policies else f"unknown policy {v!r} (valid: {', '.join(policies)})",
    )
    tiers = list(policy.load(policy_name)) if policy_name else []
    if (overrides := node.child("tiers")) is not None:
        tiers = _apply_tier_overrides(overrides, tiers)
    min_rate = node.get(
        "min_request_rate",
        float,
        0.1,
        checks.number_in(0, MAX_MIN_REQUEST_RATE, " requests per second"),
    )
    receivers = node.child("receivers")
    page = ticket = None
    if receivers is not None:
        receivers.check_keys(("page", "ticket"))
        page = _read_receiver(receivers.child("page"), "page")
        ticket = _read_receiver(receivers.child("ticket"), "ticket")
        if (
            page
            and ticket
            and page.name == ticket.name
            and (ticket_node := receivers.child("ticket"))
        ):
            ticket_node.error(
                "name",
                f"{ticket.name!r} is the page receiver's name too; "
                "the two receivers need different names",
            )
    windows = []
    seen_windows: dict[str, int] = {}
    for item, _ in node.items("mute_windows"):
        if (window := _read_mute_window(item)) is None:
            continue
        if window.name in seen_windows:
            item.error(
                "name",
                f"duplicate mute window name {window.name!r} "
                f"(first at line {seen_windows[window.name]})",
            )
            continue
        seen_windows[window.name] = item.line_of("name")
        windows.append(window)
    timings = {
        key: node.get(key, str, default, checks.duration)
        for key, default in (
            ("group_wait", "30s"),
            ("group_interval", "5m"),
            ("repeat_interval", "4h"),
        )
    }
    if min_rate is None or any(v is None for v in timings.values()):
        return None
    return Alerting(
        tiers=tuple(tiers),
        min_request_rate=min_rate,
        page_receiver=page or Receiver("page", {}),
        ticket_receiver=ticket or Receiver("ticket", {}),
        mute_windows=tuple(windows),
        group_wait=timings["group_wait"] or "30s",
        group_interval=timings["group_interval"] or "5m",
        repeat_interval=timings["repeat_interval"] or "4h",
    )


def _default_alerting() -> Alerting:
    return Alerting(
        tiers=policy.load("sre-workbook"),
        min_request_rate=0.1,
        page_receiver=Receiver("page", {}),
        ticket_receiver=Receiver("ticket", {}),
    )


def _for_check(long_window: str) -> checks.Check:
    """A tier's `for`: a duration no longer than the window the tier looks at."""

    def check(value: str) -> str | None:
        if problem := checks.duration(value):
            return problem
        if parse_duration(value) + 60 > parse_duration(long_window):
            return (
                f"{value!r} must be at least a minute shorter than the tier's long window "
                f"{long_window}, or a full outage could not fire it within the window"
            )
        return None

    return check


def _apply_tier_overrides(node: Node, tiers: list[Tier]) -> list[Tier]:
    """`tiers: {page-slow: {enabled: false}, ticket-fast: {severity: page}}`."""
    by_name = {t.name: t for t in tiers}
    node.check_keys(tuple(by_name))
    result = []
    for tier in tiers:
        override = node.child(tier.name)
        if override is None:
            result.append(tier)
            continue
        override.check_keys(("enabled", "severity", "for"))
        enabled = override.get("enabled", bool, True)
        severity = override.get(
            "severity",
            str,
            tier.severity,
            lambda v: (
                None
                if v in policy.SEVERITIES
                else f"{v!r} is not a severity (valid: {', '.join(policy.SEVERITIES)})"
            ),
        )
        for_ = override.get("for", str, tier.for_, _for_check(tier.long_window))
        if enabled and severity and for_:
            result.append(
                Tier(
                    tier.name,
                    severity,
                    tier.budget_percent,
                    tier.long_window,
                    tier.short_window,
                    for_,
                )
            )
    return result


def _read_receiver(node: Node | None, default_name: str) -> Receiver | None:
    if node is None:
        return None
    node.check_keys(("name",) + RECEIVER_CONFIG_KEYS)
    name = node.get(
        "name",
        str,
        default_name,
        lambda v: checks.text(v) or (None if v.strip() else "must not be empty"),
    )
    config: dict[str, Any] = {}
    for key in RECEIVER_CONFIG_KEYS:
        if key in node.data and receivers.check_configs(node, key):
            config[key] = _plain(node.data[key])
    return Receiver(name or default_name, config)


def _read_mute_window(node: Node) -> MuteWindow | None:
    node.check_keys(
        ("name", "weekdays", "start", "end", "location"), required=("name", "start", "end")
    )
    name = node.get("name", str, check=checks.name)
    days = node.get("weekdays", list, None)
    if days is not None and not all(isinstance(d, str) and d.lower() in WEEKDAYS for d in days):
        node.error("weekdays", f"must be a list of weekday names ({', '.join(WEEKDAYS)})")
        days = None
    clock = lambda v: None if _CLOCK.match(v) else f"{v!r} must be a time of day as HH:MM"
    start = node.get("start", str, check=clock)
    end = node.get("end", str, check=clock)
    location = node.get("location", str, "UTC", checks.location) or "UTC"
    if name is None or start is None or end is None:
        return None
    if start >= end:
        node.error("end", f"{end!r} must be later than start {start!r}")
        return None
    return MuteWindow(name, tuple(d.lower() for d in days or WEEKDAYS), start, end, location)


def _read_grafana(node: Node | None, root: Node) -> Grafana | None:
    defaults = Grafana(
        url="http://localhost:3000",
        prometheus=Datasource("prometheus"),
        loki=Datasource("loki"),
        tempo=Datasource("tempo"),
    )
    if node is None:
        return defaults
    node.check_keys(("url", "datasources", "alertmanager_url"))
    url = node.get("url", str, defaults.url, checks.url)
    alertmanager_url = node.get("alertmanager_url", str, None, checks.url)
    sources = {"prometheus": defaults.prometheus, "loki": defaults.loki, "tempo": defaults.tempo}
    if (ds := node.child("datasources")) is not None:
        ds.check_keys(tuple(sources))
        for kind in sources:
            if (entry := ds.child(kind)) is not None:
                entry.check_keys(("uid", "url"))
                uid = entry.get(
                    "uid",
                    str,
                    kind,
                    lambda v: (
                        None
                        if re.match(r"^[a-zA-Z0-9_-]{1,40}$", v)
                        else f"{v!r} is not a Grafana uid (letters, digits, '-', '_', at most 40)"
                    ),
                )
                sources[kind] = Datasource(uid or kind, entry.get("url", str, None, checks.url))
    if url is None:
        return None
    return Grafana(
        url=url.rstrip("/"),
        prometheus=sources["prometheus"],
        loki=sources["loki"],
        tempo=sources["tempo"],
        alertmanager_url=alertmanager_url,
    )


def _plain(value: Any) -> Any:
    """Strip location info so receiver configs are plain dicts/lists for rendering."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
