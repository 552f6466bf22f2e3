"""alertmanager.yml from the spec: page vs ticket routing, inhibition, deploy-window mutes.

One notification per incident: pages are grouped by service and SLO, so every burn-rate tier
of one SLO lands in one Alertmanager group (page-slow joining page-fast updates the same
incident; PagerDuty and Opsgenie dedup by group key); a service's symptom pages (no slo label)
share one group. Tickets stay grouped by alert name. Inhibition follows the alert design: a
firing page silences the tickets of the same SLO (they describe the same burn, slower); an SLO
page silences the symptom pages it explains (:attr:`Symptom.explained_by`: the 5xx ratio by
route under availability, P99 under latency); a down or missing target silences the rest of
its service's alerts (they only echo it). Matching on `slo=~".+"` keeps symptom alerts, which
have no slo label, from inhibiting each other.
"""

from __future__ import annotations

from typing import Any

from alerts.symptoms import Symptom
from obsgen import conventions as names
from obsgen.model import MuteWindow, Project, SloKind

PATH = "alertmanager/alertmanager.yml"


def _receiver(name: str, config: Any) -> dict[str, Any]:
    return {"name": name, **dict(config)}


def _time_interval(window: MuteWindow) -> dict[str, Any]:
    return {
        "name": window.name,
        "time_intervals": [
            {
                "weekdays": list(window.weekdays),
                "times": [{"start_time": window.start_time, "end_time": window.end_time}],
                "location": window.location,
            }
        ],
    }


def _either(values: list[str]) -> str:
    return "|".join(values)


def _explained(project: Project, symptoms: tuple[Symptom, ...]) -> list[dict[str, Any]]:
    """Per service and SLO kind: its SLO pages inhibit the symptom pages that kind explains."""
    sev, svc, slo = names.SEVERITY_LABEL, names.SERVICE_LABEL, names.SLO_LABEL
    rules = []
    for service in project.services:
        for kind in SloKind:
            slos = [s.name for s in service.slos if s.kind is kind]
            targets = [s.name for s in symptoms if s.explained_by is kind]
            if slos and targets:
                rules.append(
                    {
                        "source_matchers": [
                            f'{sev}="page"',
                            f'{svc}="{service.name}"',
                            f'{slo}=~"{_either(slos)}"',
                        ],
                        "target_matchers": [
                            f'{svc}="{service.name}"',
                            f'alertname=~"{_either(targets)}"',
                        ],
                        "equal": [svc],
                    }
                )
    return rules


def alertmanager_config(project: Project, symptoms: tuple[Symptom, ...]) -> dict[str, Any]:
    """Routing and inhibition for ``project``'s alerts; ``symptoms`` say which of them silence
    the service (:attr:`Symptom.silences_service`) or are explained by an SLO."""
    alerting = project.alerting
    service_silencers = [s.name for s in symptoms if s.silences_service]
    sev, svc, slo = names.SEVERITY_LABEL, names.SERVICE_LABEL, names.SLO_LABEL
    page, ticket = alerting.page_receiver, alerting.ticket_receiver
    receivers = {r.name: _receiver(r.name, r.config) for r in (ticket, page)}
    ticket_route: dict[str, Any] = {"receiver": ticket.name, "matchers": [f'{sev}="ticket"']}
    if alerting.mute_windows:
        ticket_route["mute_time_intervals"] = [w.name for w in alerting.mute_windows]
    config: dict[str, Any] = {
        "route": {
            "receiver": ticket.name,  # anything unlabelled lands on the ticket queue
            "group_by": ["alertname", svc],
            "group_wait": alerting.group_wait,
            "group_interval": alerting.group_interval,
            "repeat_interval": alerting.repeat_interval,
            "routes": [
                {"receiver": page.name, "matchers": [f'{sev}="page"'], "group_by": [svc, slo]},
                ticket_route,
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": [f'{sev}="page"', f'{slo}=~".+"'],
                "target_matchers": [f'{sev}="ticket"', f'{slo}=~".+"'],
                "equal": [svc, slo],
            },
            *_explained(project, symptoms),
            {
                "source_matchers": [f'alertname=~"{_either(service_silencers)}"'],
                "target_matchers": [f'alertname!~"{_either(service_silencers)}"'],
                "equal": [svc],
            },
        ],
        "receivers": list(receivers.values()),
    }
    if alerting.mute_windows:
        config["time_intervals"] = [_time_interval(w) for w in alerting.mute_windows]
    return config
