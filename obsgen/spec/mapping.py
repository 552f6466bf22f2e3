"""Checked ``obsgen/v1`` data → the frozen model. Pure and total: validation ran first.

Validation also calls :func:`convention` and :func:`tiers` for its cross-field checks (a
threshold must be a bucket bound of the convention; an objective must let every tier fire).
"""

from __future__ import annotations

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
    WindowRatios,
)
from obsgen.spec.document import (
    AlertingDoc,
    ConventionDoc,
    GrafanaDoc,
    ProjectDoc,
    ReceiverDoc,
    ServiceDoc,
    SloDoc,
)


def project(doc: ProjectDoc, source: str) -> Project:
    return Project(
        source=source,
        services=tuple(service(s) for s in doc["services"]),
        alerting=alerting(doc["alerting"]),
        grafana=grafana(doc["grafana"]),
        runbook_base_url=doc["runbook_base_url"],
        extra_labels=doc["labels"],
        kubernetes_labels=doc["kubernetes_labels"],
    )


def service(doc: ServiceDoc) -> Service:
    return Service(
        name=doc["name"],
        selector=Selector(doc["selector"]["label"], doc["selector"]["value"]),
        convention=service_convention(doc),
        team=doc["team"],
        slos=tuple(slo(s) for s in doc["slos"]),
        limits=Limits(memory_bytes=int(doc["memory_mb"] * 1024 * 1024), cpu_cores=doc["cpu_cores"]),
        thresholds=SymptomThresholds(**doc["thresholds"]),  # type: ignore[arg-type]
        kpis=tuple(Kpi(k["title"], k["expr"], k["unit"], k["description"]) for k in doc["kpis"]),
        sli_excluded_routes=tuple(doc["exclude_routes"]),
        metrics_from=doc["metrics_from"],
        traces=doc["traces"],
        logs=doc["logs"],
    )


def service_convention(doc: ServiceDoc) -> Convention:
    """The convention as the service's metrics arrive (pushed: no process collectors), plus
    the signals it opts in to."""
    base = convention(doc["convention"])
    if doc["metrics_from"] == conventions.PUSHED:
        base = conventions.pushed(base)
    return conventions.with_signals(base, doc["signals"]) if doc["signals"] else base


def convention(doc: ConventionDoc) -> Convention:
    """A preset, or a preset with names replaced (`convention: {preset: ..., ...}`)."""
    base = conventions.PRESETS[doc["preset"]]
    if not doc["custom"]:
        return base
    overrides = dict(doc["overrides"])
    if "runtime" in overrides:
        overrides["runtime"] = RuntimeMetrics(**{**base.runtime.__dict__, **overrides["runtime"]})
    return conventions.custom(base, overrides)


def slo(doc: SloDoc) -> Slo:
    return Slo(
        name=doc["name"],
        kind=SloKind(doc["type"]),
        objective_percent=doc["objective"],
        period=doc["period"],
        period_seconds=int(parse_duration(doc["period"])),
        threshold_seconds=doc["threshold_seconds"],
        route_regex=doc["routes"],
        description=doc["description"],
    )


def tiers(doc: AlertingDoc) -> tuple[Tier, ...]:
    """The policy's tiers with the spec's overrides (`tiers: {page-slow: {enabled: false}}`)."""
    result = []
    for tier in policy.load(doc["policy"]):
        override = doc["tiers"].get(tier.name)
        if override is None:
            result.append(tier)
        elif override["enabled"]:
            result.append(
                Tier(
                    tier.name,
                    override["severity"] or tier.severity,
                    tier.budget_percent,
                    tier.long_window,
                    tier.short_window,
                    override["for_"] or tier.for_,
                )
            )
    return tuple(result)


def receiver(doc: ReceiverDoc) -> Receiver:
    return Receiver(doc["name"], doc["configs"])


def alerting(doc: AlertingDoc) -> Alerting:
    return Alerting(
        tiers=tiers(doc),
        min_request_rate=doc["min_request_rate"],
        page_receiver=receiver(doc["page"]),
        ticket_receiver=receiver(doc["ticket"]),
        mute_windows=tuple(
            MuteWindow(w["name"], tuple(w["weekdays"]), w["start"], w["end"], w["location"])
            for w in doc["mute_windows"]
        ),
        group_wait=doc["group_wait"],
        group_interval=doc["group_interval"],
        repeat_interval=doc["repeat_interval"],
        window_ratios=WindowRatios(doc["window_ratios"]),
    )


def grafana(doc: GrafanaDoc) -> Grafana:
    sources = {k: Datasource(v["uid"], v["url"]) for k, v in doc["datasources"].items()}
    return Grafana(
        url=doc["url"].rstrip("/"),
        prometheus=sources["prometheus"],
        loki=sources["loki"],
        tempo=sources["tempo"],
        alertmanager_url=doc["alertmanager_url"],
    )
