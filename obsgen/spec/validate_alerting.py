"""Validation of `alerting`: policy and tier overrides, receivers, mute windows, timings.

Part of the validation pass (:mod:`obsgen.spec.validate`): records problems, returns checked
data (:mod:`obsgen.spec.document`).
"""

from __future__ import annotations

import re
from typing import Any

from obsgen import policy
from obsgen.durations import parse_duration
from obsgen.model import Tier, WindowRatios
from obsgen.spec import checks, receivers
from obsgen.spec.document import AlertingDoc, MuteWindowDoc, ReceiverDoc, TierOverrideDoc
from obsgen.spec.reader import Node

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RECEIVER_CONFIG_KEYS = tuple(sorted(receivers.KINDS))
WINDOW_RATIOS = tuple(w.value for w in WindowRatios)
MAX_MIN_REQUEST_RATE = 10_000.0


def _policy_check(value: str) -> str | None:
    policies = policy.available()
    return None if value in policies else f"unknown policy {value!r} (valid: {', '.join(policies)})"


def read_alerting(node: Node | None) -> AlertingDoc | None:
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
        window_ratios=WindowRatios.RAW.value,
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
            "window_ratios",
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
    window_ratios = node.get(
        "window_ratios", str, WindowRatios.RAW.value, checks.one_of(WINDOW_RATIOS)
    )
    if min_rate is None or group_wait is None or group_interval is None:
        return None
    if repeat_interval is None or window_ratios is None:
        return None
    doc["min_request_rate"] = min_rate
    doc["group_wait"], doc["group_interval"] = group_wait, group_interval
    doc["repeat_interval"] = repeat_interval
    doc["window_ratios"] = window_ratios
    return doc


def _for_check(long_window: str) -> checks.Check:
    """A tier's `for`: a duration no longer than the window the tier looks at."""

    def check(value: str) -> str | None:
        if value in ("0", "0s", "0m"):
            return None  # no `for`: the short window is the guard (SRE Workbook)
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


def _plain(value: Any) -> Any:
    """Strip location info so receiver configs are plain dicts/lists for rendering."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
