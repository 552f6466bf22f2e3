"""The validation pass of the ``obsgen/v1`` format: walks the located YAML once, records every
problem (file:line field: what, and what would be valid), and returns the checked data with
defaults filled in (:mod:`obsgen.spec.document`), which :mod:`obsgen.spec.mapping` turns into
the model. Sections are validated in :mod:`obsgen.spec.validate_services` and
:mod:`obsgen.spec.validate_alerting`, field checks live in :mod:`obsgen.spec.checks`, receiver
schemas in :mod:`obsgen.spec.receivers`; the checks across sections (objectives vs tiers, label
collisions) are here."""

from __future__ import annotations

import math
import re

from obsgen.durations import parse_duration
from obsgen.model import Tier
from obsgen.spec import checks, mapping, validate_alerting, validate_services
from obsgen.spec.document import DatasourceDoc, GrafanaDoc, ProjectDoc, ServiceDoc, SloDoc
from obsgen.spec.reader import Node

API_VERSION = "obsgen/v1"
# The runbook server of obsgen's stack (compose and stack/native/up publish it there).
DEFAULT_RUNBOOK_BASE_URL = "http://127.0.0.1:8088/"


def project(root: Node) -> ProjectDoc | None:
    """Validate a whole spec; the checked data, or None when a section could not be read
    (problems are recorded either way)."""
    root.check_keys(
        ("apiVersion", "services", "alerting", "grafana", "runbooks", "labels", "kubernetes"),
        required=("apiVersion", "services"),
    )
    version = root.get("apiVersion", str)
    if version is not None and version != API_VERSION:
        root.error("apiVersion", f"{version!r} is not supported (use {API_VERSION!r})")
    slo_nodes: list[tuple[Node, SloDoc]] = []
    services = validate_services.read_services(root, slo_nodes)
    alerting = validate_alerting.read_alerting(root.child("alerting"))
    grafana = _read_grafana(root.child("grafana"))
    runbooks = root.child("runbooks")
    runbook_base = DEFAULT_RUNBOOK_BASE_URL
    if runbooks is not None:
        runbooks.check_keys(("base_url",))
        runbook_base = runbooks.get("base_url", str, runbook_base, checks.url) or runbook_base
    labels = _read_labels(root)
    kubernetes_labels = _read_kubernetes_labels(root.child("kubernetes"))
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
        kubernetes_labels=kubernetes_labels,
    )


def _check_objectives(slo_nodes: list[tuple[Node, SloDoc]], tiers: tuple[Tier, ...]) -> None:
    """Every enabled tier must page a full outage within its long window: the minutes until the
    window's error ratio crosses the tier's threshold (burn rate x error budget), plus `for`.
    A 1 % objective leaves a 99 % budget that no 14.4x burn can ever reach."""
    for node, doc in slo_nodes:
        slo = mapping.slo(doc)
        for tier in tiers:
            window = math.ceil(parse_duration(tier.long_window) / 60)
            wait = math.ceil(parse_duration(tier.for_, allow_zero=True) / 60)
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
    taken.update(
        l
        for s in services
        for l in validate_services.series_labels(mapping.convention(s["convention"]))
    )
    for key in labels:
        if key in taken:
            node.error(
                key,
                f"{key!r} is a label of the services' own series (a selector or "
                "convention label); choose another name",
            )


def _read_kubernetes_labels(node: Node | None) -> dict[str, str]:
    """Labels for the PrometheusRule and dashboard ConfigMap objects, e.g. the ``release``
    label kube-prometheus-stack's rule selector matches."""
    if node is None:
        return {}
    node.check_keys(("labels",))
    return _read_label_map(
        node.child("labels"), checks.kubernetes_label_name, checks.kubernetes_label_value
    )


def _read_labels(root: Node) -> dict[str, str]:
    return _read_label_map(root.child("labels"), checks.user_label_name, checks.label_value)


def _read_label_map(
    node: Node | None, name_check: checks.Check, value_check: checks.Check
) -> dict[str, str]:
    """A ``{name: value}`` mapping of labels, each name and value checked by where it lands."""
    if node is None:
        return {}
    labels: dict[str, str] = {}
    for key in node.data:
        value = node.get(key, str, check=value_check)
        if problem := name_check(key):
            node.error(key, problem)
        elif value is not None:
            labels[key] = value
    return labels


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
