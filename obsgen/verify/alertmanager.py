"""Does the running Alertmanager route our alerts where the generated config says?

Reads the live configuration (`/api/v2/status`) and sends a label set per severity through its
route tree, as Alertmanager would, comparing the receiver reached with the generated
`alertmanager.yml`. Users often merge our routes into their own config, so the check is about
where page and ticket alerts end up, not about the files being identical.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from obsgen import conventions as names
from obsgen.verify.backends import BackendError, Http
from obsgen.verify.collect import Scope
from obsgen.verify.run import DATA, ERROR, Result

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')

SOURCE = "alertmanager"


def _matchers(route: dict[str, Any]) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for text in route.get("matchers") or []:
        match = _MATCHER.match(str(text))
        if match:
            found.append((match.group(1), match.group(2), match.group(3)))
    found += [(str(k), "=", str(v)) for k, v in (route.get("match") or {}).items()]
    found += [(str(k), "=~", str(v)) for k, v in (route.get("match_re") or {}).items()]
    return found


def _matches(route: dict[str, Any], labels: dict[str, str]) -> bool:
    for name, op, value in _matchers(route):
        actual = labels.get(name, "")
        if op in ("=~", "!~"):
            hit = re.fullmatch(value, actual) is not None
        else:
            hit = actual == value
        if hit != (op in ("=", "=~")):
            return False
    return True


def receivers_for(route: dict[str, Any], labels: dict[str, str], parent: str = "") -> list[str]:
    """Receivers an alert with ``labels`` is delivered to (first match wins unless `continue`)."""
    receiver = str(route.get("receiver") or parent)
    reached: list[str] = []
    for child in route.get("routes") or []:
        if _matches(child, labels):
            reached += receivers_for(child, labels, receiver)
            if not child.get("continue"):
                break
    return reached or [receiver]


def check(services: list[Scope], generated: bytes, http: Http) -> list[Result]:
    """Per service and severity: the receiver the live config reaches vs the generated one."""
    try:
        status = http.get("/api/v2/status")
        live = yaml.safe_load(status["config"]["original"]) or {}
    except (BackendError, KeyError, TypeError, yaml.YAMLError) as exc:
        return [Result(SOURCE, "config", "alertmanager", "/api/v2/status", ERROR, str(exc))]
    if not generated:
        return [
            Result(
                SOURCE,
                "config",
                "alertmanager",
                "",
                ERROR,
                "the build has no alertmanager/alertmanager.yml to compare with",
            )
        ]
    wanted = yaml.safe_load(generated) or {}
    results = []
    for service in services:
        for severity in ("page", "ticket"):
            labels = {
                **service.alert_labels,
                names.SEVERITY_LABEL: severity,
                "alertname": "ObsgenVerify",
            }
            expected = receivers_for(wanted.get("route") or {}, labels)
            reached = receivers_for(live.get("route") or {}, labels)
            item = f"{service.name}: severity={severity} alerts"
            ok = reached == expected
            detail = f"routed to {', '.join(reached)}"
            if not ok:
                detail += f", the generated config routes to {', '.join(expected)}"
            results.append(
                Result(SOURCE, item, "alertmanager", str(labels), DATA if ok else ERROR, detail)
            )
    return results
