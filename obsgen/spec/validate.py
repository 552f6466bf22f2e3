"""The validation pass of the ``obsgen/v1`` format: walks the located YAML once, records every
problem (file:line field: what, and what would be valid), and returns the checked data with
defaults filled in (:mod:`obsgen.spec.document`), which :mod:`obsgen.spec.mapping` turns into
the model. Field checks live in :mod:`obsgen.spec.checks`, receiver schemas in
:mod:`obsgen.spec.receivers`; the checks across fields (objectives vs tiers, label collisions)
are here."""

from __future__ import annotations

import math
import re
from dataclasses import fields
from typing import Any

from obsgen import conventions, policy
from obsgen.conventions import Convention, RuntimeMetrics
from obsgen.durations import parse_duration
from obsgen.model import SloKind, SymptomThresholds, Tier
from obsgen.spec import checks, mapping, receivers
from obsgen.spec.document import (
    AlertingDoc,
    ConventionDoc,
    DatasourceDoc,
    GrafanaDoc,
    KpiDoc,
    MuteWindowDoc,
    ProjectDoc,
    ReceiverDoc,
    SelectorDoc,
    ServiceDoc,
    SloDoc,
    TierOverrideDoc,
)
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


def project(root: Node) -> ProjectDoc | None:
    """Validate a whole spec; the checked data, or None when a section could not be read
    (problems are recorded either way)."""
    root.check_keys(
        ("apiVersion", "services", "alerting", "grafana", "runbooks", "labels"),
        required=("apiVersion", "services"),
    )
    version = root.get("apiVersion", str)
    if version is not None and version != API_VERSION:
        root.error("apiVersion", f"{version!r} is not supported (use {API_VERSION!r})")
    slo_nodes: list[tuple[Node, SloDoc]] = []
    services = _read_services(root, slo_nodes)
    alerting = _read_alerting(root.child("alerting"))
    grafana = _read_grafana(root.child("grafana"))
    runbooks = root.child("runbooks")
    runbook_base = "https://github.com/obsgen/obsgen/blob/main/build/runbooks/"
    if runbooks is not None:
        runbooks.check_keys(("base_url",))
        runbook_base = runbooks.get("base_url", str, runbook_base, checks.url) or runbook_base
    labels = _read_labels(root)
    if alerting is not None:
        _check_objectives(slo_nodes, mapping.tiers(alerting))
    _check_label_collisions(root, labels, services)
    if alerting is None or grafana is None:
        return None
    return ProjectDoc(
        services=services,
        alerting=alerting,
        grafana=grafana,
        runbook_base_url=runbook_base,
        labels=labels,
    )


def _series_labels(convention: Convention) -> tuple[str, ...]:
    return (convention.route_label, convention.method_label, convention.status_label)


def _check_objectives(slo_nodes: list[tuple[Node, SloDoc]], tiers: tuple[Tier, ...]) -> None:
    """Every enabled tier must page a full outage within its long window: the minutes until the
    window's error ratio crosses the tier's threshold (burn rate x error budget), plus `for`.
    A 1 % objective leaves a 99 % budget that no 14.4x burn can ever reach."""
    for node, doc in slo_nodes:
        slo = mapping.slo(doc)
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


def _check_label_collisions(root: Node, labels: dict[str, str], services: list[ServiceDoc]) -> None:
    """An extra label named like a label of the services' series would overwrite it."""
    node = root.child("labels")
    if node is None:
        return
    taken = {s["selector"]["label"] for s in services}
    taken.update(l for s in services for l in _series_labels(mapping.convention(s["convention"])))
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


def _read_services(root: Node, slo_nodes: list[tuple[Node, SloDoc]]) -> list[ServiceDoc]:
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
        ("name", "team", "selector", "convention", "slos", "limits", "thresholds", "kpis"),
        required=("name",),
    )
    name = node.get("name", str, check=checks.name)
    team = node.get("team", str, "unowned", checks.text) or "unowned"
    convention_doc = _read_convention(node)
    convention = mapping.convention(convention_doc) if convention_doc else None
    selector = SelectorDoc(label="job", value=name or "")
    if (sel := node.child("selector")) is not None:
        sel.check_keys(("label", "value"))
        label = sel.get("label", str, "job", checks.user_label_name) or "job"
        if convention is not None and label in _series_labels(convention):
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
    if name is None or convention_doc is None or limits is None or thresholds is None:
        return None
    return ServiceDoc(
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
        if value is None:
            return None
        values[key] = value
    return values


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
        title = node.get("title", str, check=checks.text)
        expr = node.get("expr", str, check=checks.promql)
        unit = node.get("unit", str, "short", checks.text) or "short"
        description = node.get("description", str, "", checks.text) or ""
        if title and expr:
            kpis.append(KpiDoc(title=title, expr=expr, unit=unit, description=description))
    return kpis


def _policy_check(value: str) -> str | None:
    policies = policy.available()
    return None if value in policies else f"unknown policy {value!r} (valid: {', '.join(policies)})"


def _read_alerting(node: Node | None) -> AlertingDoc | None:
    doc = AlertingDoc(
        policy="sre-workbook",
        tiers={},
        min_request_rate=0.1,
        page=ReceiverDoc(name="page", configs={}),
        ticket=ReceiverDoc(name="ticket", configs={}),
        mute_windows=[],
        group_wait="30s",
        group_interval="5m",
        repeat_interval="4h",
    )
    if node is None:
        return doc
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
    policy_name = node.get("policy", str, "sre-workbook", _policy_check)
    if policy_name is None:
        return None
    doc["policy"] = policy_name
    if (overrides := node.child("tiers")) is not None:
        doc["tiers"] = _read_tier_overrides(overrides, policy.load(policy_name))
    min_rate = node.get(
        "min_request_rate",
        float,
        0.1,
        checks.number_in(0, MAX_MIN_REQUEST_RATE, " requests per second"),
    )
    if (receivers_node := node.child("receivers")) is not None:
        receivers_node.check_keys(("page", "ticket"))
        doc["page"] = _read_receiver(receivers_node.child("page"), "page")
        doc["ticket"] = _read_receiver(receivers_node.child("ticket"), "ticket")
        if doc["page"]["name"] == doc["ticket"]["name"] and (
            ticket_node := receivers_node.child("ticket")
        ):
            ticket_node.error(
                "name",
                f"{doc['ticket']['name']!r} is the page receiver's name too; "
                "the two receivers need different names",
            )
    seen_windows: dict[str, int] = {}
    for item, _ in node.items("mute_windows"):
        if (window := _read_mute_window(item)) is None:
            continue
        if window["name"] in seen_windows:
            item.error(
                "name",
                f"duplicate mute window name {window['name']!r} "
                f"(first at line {seen_windows[window['name']]})",
            )
            continue
        seen_windows[window["name"]] = item.line_of("name")
        doc["mute_windows"].append(window)
    group_wait = node.get("group_wait", str, "30s", checks.duration)
    group_interval = node.get("group_interval", str, "5m", checks.duration)
    repeat_interval = node.get("repeat_interval", str, "4h", checks.duration)
    if min_rate is None or group_wait is None or group_interval is None:
        return None
    if repeat_interval is None:
        return None
    doc["min_request_rate"] = min_rate
    doc["group_wait"], doc["group_interval"] = group_wait, group_interval
    doc["repeat_interval"] = repeat_interval
    return doc


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


def _severity_check(value: str) -> str | None:
    if value in policy.SEVERITIES:
        return None
    return f"{value!r} is not a severity (valid: {', '.join(policy.SEVERITIES)})"


def _read_tier_overrides(node: Node, tiers: tuple[Tier, ...]) -> dict[str, TierOverrideDoc]:
    """`tiers: {page-slow: {enabled: false}, ticket-fast: {severity: page}}`."""
    node.check_keys(tuple(t.name for t in tiers))
    result: dict[str, TierOverrideDoc] = {}
    for tier in tiers:
        override = node.child(tier.name)
        if override is None:
            continue
        override.check_keys(("enabled", "severity", "for"))
        enabled = override.get("enabled", bool, True)
        severity = override.get("severity", str, None, _severity_check)
        for_ = override.get("for", str, None, _for_check(tier.long_window))
        result[tier.name] = TierOverrideDoc(
            enabled=enabled is not False, severity=severity, for_=for_
        )
    return result


def _read_receiver(node: Node | None, default_name: str) -> ReceiverDoc:
    if node is None:
        return ReceiverDoc(name=default_name, configs={})
    node.check_keys(("name",) + RECEIVER_CONFIG_KEYS)
    name = node.get(
        "name",
        str,
        default_name,
        lambda v: checks.text(v) or (None if v.strip() else "must not be empty"),
    )
    configs: dict[str, Any] = {}
    for key in RECEIVER_CONFIG_KEYS:
        if key in node.data and receivers.check_configs(node, key):
            configs[key] = _plain(node.data[key])
    return ReceiverDoc(name=name or default_name, configs=configs)


def _clock_check(value: str) -> str | None:
    return None if _CLOCK.match(value) else f"{value!r} must be a time of day as HH:MM"


def _read_mute_window(node: Node) -> MuteWindowDoc | None:
    node.check_keys(
        ("name", "weekdays", "start", "end", "location"), required=("name", "start", "end")
    )
    name = node.get("name", str, check=checks.name)
    days = node.get("weekdays", list, None)
    if days is not None and not all(isinstance(d, str) and d.lower() in WEEKDAYS for d in days):
        node.error("weekdays", f"must be a list of weekday names ({', '.join(WEEKDAYS)})")
        days = None
    start = node.get("start", str, check=_clock_check)
    end = node.get("end", str, check=_clock_check)
    location = node.get("location", str, "UTC", checks.location) or "UTC"
    if name is None or start is None or end is None:
        return None
    if start >= end:
        node.error("end", f"{end!r} must be later than start {start!r}")
        return None
    weekdays = [d.lower() for d in days or WEEKDAYS]
    return MuteWindowDoc(name=name, weekdays=weekdays, start=start, end=end, location=location)


def _uid_check(value: str) -> str | None:
    if re.match(r"^[a-zA-Z0-9_-]{1,40}$", value):
        return None
    return f"{value!r} is not a Grafana uid (letters, digits, '-', '_', at most 40)"


def _read_grafana(node: Node | None) -> GrafanaDoc | None:
    sources = {k: DatasourceDoc(uid=k, url=None) for k in ("prometheus", "loki", "tempo")}
    doc = GrafanaDoc(url="http://localhost:3000", alertmanager_url=None, datasources=sources)
    if node is None:
        return doc
    node.check_keys(("url", "datasources", "alertmanager_url"))
    url = node.get("url", str, doc["url"], checks.url)
    doc["alertmanager_url"] = node.get("alertmanager_url", str, None, checks.url)
    if (ds := node.child("datasources")) is not None:
        ds.check_keys(tuple(sources))
        for kind in sources:
            if (entry := ds.child(kind)) is not None:
                entry.check_keys(("uid", "url"))
                uid = entry.get("uid", str, kind, _uid_check) or kind
                sources[kind] = DatasourceDoc(uid=uid, url=entry.get("url", str, None, checks.url))
    if url is None:
        return None
    doc["url"] = url
    return doc


def _plain(value: Any) -> Any:
    """Strip location info so receiver configs are plain dicts/lists for rendering."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
