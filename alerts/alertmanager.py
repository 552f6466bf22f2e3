"""alertmanager.yml from the spec: page vs ticket routing, inhibition, deploy-window mutes.

Inhibition follows the alert design: a firing page silences the tickets of the same SLO (they
describe the same burn, slower), and a down or missing target silences the rest of its
service's alerts (they only echo it). Matching on `slo=~".+"` keeps symptom alerts, which have
no slo label, from inhibiting each other.
"""

from __future__ import annotations

from typing import Any

from obsgen import conventions as names
from obsgen.model import Alerting, MuteWindow

PATH = "alertmanager/alertmanager.yml"


def _receiver(name: str, config: Any) -> dict[str, Any]:
    return {"name": name, **dict(config)}


def _time_interval(window: MuteWindow) -> dict[str, Any]:
    return {"name": window.name, "time_intervals": [{
        "weekdays": list(window.weekdays),
        "times": [{"start_time": window.start_time, "end_time": window.end_time}],
        "location": window.location}]}


def alertmanager_config(alerting: Alerting, service_silencers: tuple[str, ...]) -> dict[str, Any]:
    """``service_silencers``: alerts whose firing makes every other alert of the service noise."""
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
            "routes": [{"receiver": page.name, "matchers": [f'{sev}="page"']}, ticket_route],
        },
        "inhibit_rules": [
            {"source_matchers": [f'{sev}="page"', f'{slo}=~".+"'],
             "target_matchers": [f'{sev}="ticket"', f'{slo}=~".+"'],
             "equal": [svc, slo]},
            {"source_matchers": [f'alertname=~"{"|".join(service_silencers)}"'],
             "target_matchers": [f'alertname!~"{"|".join(service_silencers)}"'],
             "equal": [svc]},
        ],
        "receivers": list(receivers.values()),
    }
    if alerting.mute_windows:
        config["time_intervals"] = [_time_interval(w) for w in alerting.mute_windows]
    return config
