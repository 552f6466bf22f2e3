"""Field checks, each named for what will consume the value: a check returns the problem
("what is wrong and what would be valid") or None.

A spec that passes must build artifacts Prometheus, Alertmanager and Grafana accept, so each
value is checked by the rules of where it lands: regexes with RE2 (the engine whose syntax Go's
regexp, and so Prometheus, follows), label values by PromQL string and Go template rules,
time zones with the IANA database Alertmanager reads, numbers within ranges that render exactly.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Callable
from functools import cache
from urllib.parse import urlsplit

import re2

from obsgen import conventions
from obsgen.durations import parse_duration
from obsgen.promql import syntax_error
from obsgen.spec.reader import shown

Check = Callable[[str], str | None]

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TEXT = 1024
MAX_REGEX = 512
# Labels obsgen itself sets on rules and alerts, or that Prometheus and Alertmanager give a
# meaning: a user value for one of them would silently change what an alert is or routes to.
RESERVED_LABELS = (
    conventions.SERVICE_LABEL,
    conventions.SLO_LABEL,
    conventions.SEVERITY_LABEL,
    conventions.TEAM_LABEL,
    "alertname",
    "alertstate",
    "le",
    "quantile",
    "instance",
)


def name(value: str) -> str | None:
    if _NAME.match(value):
        return None
    return f"{shown(value)} must be lowercase letters, digits and '-', starting with a letter"


def label_name(value: str) -> str | None:
    if not _LABEL_NAME.match(value):
        return f"{shown(value)} is not a valid Prometheus label name"
    if value.startswith("__"):
        return f"{shown(value)}: names starting with '__' are reserved for Prometheus's own use"
    return None


def user_label_name(value: str) -> str | None:
    """A label name the user adds beside obsgen's own labels."""
    if problem := label_name(value):
        return problem
    if value in RESERVED_LABELS:
        return (
            f"{shown(value)} is set by obsgen or Prometheus; reserved: {', '.join(RESERVED_LABELS)}"
        )
    return None


def metric_name(value: str) -> str | None:
    return (
        None
        if _METRIC_NAME.match(value)
        else f"{shown(value)} is not a valid Prometheus metric name"
    )


def duration(value: str) -> str | None:
    try:
        parse_duration(value)
    except ValueError as exc:
        return str(exc)
    return None


def promql(value: str) -> str | None:
    problem = syntax_error(value)
    return f"not valid PromQL: {problem}" if problem else None


def text(value: str) -> str | None:
    """Free text shown in dashboards or runbooks: one line, bounded."""
    if _CONTROL.search(value):
        return "must be one line without control characters"
    if len(value) > MAX_TEXT:
        return f"must be at most {MAX_TEXT} characters"
    return None


# The variables every generated dashboard defines (dashboards/frame.py, dashboards/panels.py);
# Grafana's own (`$__rate_interval`, ...) start with "__" and are always allowed.
DASHBOARD_VARIABLES = ("datasource", "loki_datasource", "tempo_datasource", "service")


def _undefined_variables(value: str) -> str | None:
    """Grafana expands `$name`, `${name}` and `[[name]]` in dashboard text and queries; one the
    dashboards do not define fails the dashboard lint (and shows raw in Grafana)."""
    from dashboards.lint import variables_used

    unknown = sorted(variables_used(value) - set(DASHBOARD_VARIABLES))
    if not unknown:
        return None
    defined = ", ".join(f"${name}" for name in DASHBOARD_VARIABLES)
    return f"uses ${unknown[0]}, which no dashboard defines (defined: {defined})"


def dashboard_text(value: str) -> str | None:
    """Text shown in a dashboard (titles, descriptions, tags)."""
    return text(value) or _undefined_variables(value)


def kpi_expr(value: str) -> str | None:
    """A KPI's PromQL, run by the executive dashboard with its variables."""
    return promql(value) or _undefined_variables(value)


def template_safe(value: str) -> str | None:
    """Text that lands in alert labels or annotations, which Prometheus and Grafana expand as
    Go templates: a '{{' would be run, not shown."""
    if problem := text(value):
        return problem
    if "{{" in value or "}}" in value:
        return f"{shown(value)} must not contain '{{{{' or '}}}}' (alert text is a Go template)"
    return None


def url(value: str) -> str | None:
    """An http(s) URL that lands in alert annotations and Grafana provisioning."""
    if problem := template_safe(value):
        return problem
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        return f"{shown(value)} is not a valid URL: {exc}"
    if "$" in value:
        return f"{shown(value)} must not contain '$' (Grafana's provisioning expands $VARIABLES)"
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        return f"{shown(value)} is not an http(s) URL (e.g. https://grafana.example.com)"
    return None


def label_value(value: str) -> str | None:
    """A label value obsgen adds to every rule and alert (alert labels are Go templates)."""
    if not value:
        return "must not be empty (Prometheus drops a label whose value is empty)"
    return template_safe(value)


def matched_label_value(value: str) -> str | None:
    """A label value written into a PromQL string literal and a promtool series."""
    if problem := label_value(value):
        return problem
    if '"' in value or "\\" in value:
        return f"{shown(value)} must not contain '\"' or '\\'"
    return None


def selector_value(value: str) -> str | None:
    """The value that selects a service: rules match it exactly, dashboards as the regex
    ``=~"$service"``, so it must be a valid RE2 regex that matches itself."""
    if problem := matched_label_value(value):
        return problem
    if "$" in value:
        return f"{shown(value)} must not contain '$' (Grafana reads it as a variable)"
    compiled = _re2(value)
    if isinstance(compiled, str) or not compiled.fullmatch(value):
        return (
            f"{shown(value)}: dashboards match it as a regex, which must match the value itself; "
            "avoid regex operators such as + * ? ( ) [ ] |"
        )
    return None


def route_regex(value: str) -> str | None:
    """A route filter, matched by Prometheus (Go regexp = RE2 syntax, fully anchored)."""
    if not value:
        return "must not be empty (leave routes out to cover every route)"
    if problem := text(value):
        return problem
    if len(value) > MAX_REGEX:
        return f"must be at most {MAX_REGEX} characters"
    if '"' in value:
        return f"{shown(value)} must not contain '\"' (no route template holds one)"
    if "\\C" in value or "(?<" in value:
        return f"{shown(value)} uses syntax Go's regexp lacks (\\C, (?<name>...))"
    compiled = _re2(value)
    if isinstance(compiled, str):
        return f"{shown(value)} is not a valid RE2 regex (Prometheus's syntax): {compiled}"
    return None


def _re2(pattern: str) -> re2._Regexp | str:
    """The compiled pattern, or RE2's message."""
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        message = exc.args[0] if exc.args else exc
        return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def location(value: str) -> str | None:
    """An IANA time zone name, as Alertmanager's time intervals load it."""
    if value in _zones():
        return None
    close = [z for z in _zones() if z.lower() == value.lower()]
    hint = f"; did you mean {close[0]!r}?" if close else " (e.g. UTC, Europe/Berlin)"
    return f"{shown(value)} is not an IANA time zone name{hint}"


def number_in(
    low: float, high: float, unit: str = "", low_open: bool = False
) -> Callable[[float], str | None]:
    """A finite number in [low, high] (or (low, high] when ``low_open``)."""

    def check(value: float) -> str | None:
        below = value <= low if low_open else value < low
        if math.isfinite(value) and not below and value <= high:
            return None
        opening = "(" if low_open else "["
        return f"{value:g} must be a number in {opening}{low:g}, {high:g}]{unit}"

    return check


def one_of(choices: tuple[str, ...]) -> Check:
    """A value from a fixed set of words."""

    def check(value: str) -> str | None:
        return None if value in choices else f"{shown(value)} is not one of {', '.join(choices)}"

    return check


_K8S_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_K8S_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def kubernetes_label_name(value: str) -> str | None:
    """A Kubernetes label key: an optional DNS-subdomain prefix and '/', then a name."""
    prefix, _, name_ = value.rpartition("/")
    if _K8S_NAME.match(name_) and (
        not prefix or (len(prefix) <= 253 and _K8S_PREFIX.match(prefix))
    ):
        return None
    return f"{shown(value)} is not a valid Kubernetes label key"


def kubernetes_label_value(value: str) -> str | None:
    if value == "" or _K8S_NAME.match(value):
        return None
    return (
        f"{shown(value)} is not a valid Kubernetes label value (63 characters of A-Z a-z 0-9 - _ .)"
    )
