"""What every query is built from: the convention to ask for names, and the series selector.

A :class:`Target` is one service seen either by a rule (``job="profiles"``) or by a dashboard
(``job=~"$service"``); the same query function serves both, so a panel and the alert about the
same thing always run the same expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from obsgen import conventions as names
from obsgen.conventions import Convention
from obsgen.model import Service

RATE_INTERVAL = "$__rate_interval"  # Grafana's safe rate window for panels


@dataclass(frozen=True)
class Target:
    """A service's convention plus the label matcher that selects its series."""

    convention: Convention
    matcher: str  # e.g. 'job="profiles"'
    name: str  # the service name, for recording-rule label matchers
    sli_excluded_routes: tuple[str, ...] = ()
    pushed: bool = False  # metrics arrive over OTLP: no `up`, liveness from target_info

    def select(self, metric: str, *matchers: str) -> str:
        """A vector selector: ``metric{<service matcher>, *matchers}``."""
        inner = ", ".join((self.matcher, *filter(None, matchers)))
        return f"{metric}{{{inner}}}"


def rule_target(service: Service) -> Target:
    """How recording and alerting rules select the service: an exact match."""
    return Target(
        service.convention,
        service.selector.matcher(),
        service.name,
        service.sli_excluded_routes,
        service.pushed,
    )


def dashboard_target(service: Service, variable: str = "service") -> Target:
    """How dashboards select the service: the selector label matched to a template variable."""
    return Target(
        service.convention,
        f'{service.selector.label}=~"${variable}"',
        service.name,
        service.sli_excluded_routes,
        service.pushed,
    )


def route_matcher(target: Target, route_regex: str | None) -> str:
    """A matcher on the route label, or "" when no route filter applies.

    The regex is written as a PromQL string literal: a backslash or quote in it is escaped,
    so `/profiles/\\d+` reaches Prometheus's regex engine as written in the spec."""
    if not route_regex:
        return ""
    return f'{target.convention.route_label}=~"{_literal(route_regex)}"'


def _literal(regex: str) -> str:
    return regex.replace("\\", "\\\\").replace('"', '\\"')


def sli_traffic_matcher(target: Target) -> str:
    """Leaves out the routes that are not user traffic (scrapes, probes), or "" if none."""
    if not target.sli_excluded_routes:
        return ""
    regex = "|".join(re.escape(route) for route in target.sli_excluded_routes)
    return f'{target.convention.route_label}!~"{_literal(regex)}"'


def by(labels: tuple[str, ...]) -> str:
    """An aggregation clause, empty when there is nothing to group by."""
    return f" by ({', '.join(labels)})" if labels else ""


def route_values(target: Target) -> str:
    """The debug dashboard's ``$route`` variable query: the routes of the selected service."""
    conv = target.convention
    return f"label_values({target.select(conv.requests_counter)}, {conv.route_label})"


def occurred(expr: str) -> str:
    """Only the steps where ``expr`` counted something: an annotation query's events."""
    return f"({expr}) > 0"


def firing_alerts(service: Service) -> str:
    """Alerts currently firing for the service, from Prometheus' ``ALERTS`` series."""
    return (
        f"sum by (alertname, {names.SEVERITY_LABEL}) "
        f'(ALERTS{{{names.ALERT_STATE_LABEL}="firing", {names.SERVICE_LABEL}="{service.name}"}})'
    )
