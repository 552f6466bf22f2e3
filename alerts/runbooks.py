"""Runbook pages, one per alert name, plus an index: what it means, impact, first checks with
dashboard links, and mitigations taken from the guide's failure-mode table (F1–F8)."""

from __future__ import annotations

from alerts.links import dashboard_url, runbook_file
from dashboards.ids import KIND_TITLES
from alerts.rule import AlertRule
from obsgen.artifacts import Artifact
from obsgen.model import Project, Service

DIR = "runbooks"
SLO_TEXT = {
    "Availability": ("Requests fail with 5xx faster than the SLO's error budget allows.",
                     "Users see errors; at this burn the monthly budget runs out early.",
                     ["Find the failing routes on the 5xx-by-route panel; correlate with recent "
                      "deploys and roll back a bad release (guide: rapid error budget burn).",
                      "Check dependency errors (DB, external APIs) in traces of failing requests.",
                      "Centralize error handling for unhandled exceptions (F8)."]),
    "Latency": ("Too many requests are slower than the SLO's latency threshold.",
                "Users wait; timeouts upstream turn slowness into errors.",
                ["Look for blocking sync code in async handlers; move it to a threadpool (F1).",
                 "Check DB pool waiters and slow queries (F2) and CPU saturation (F5).",
                 "Scale out or roll back the release that made it slower."]),
}
# alert → (meaning, impact, mitigations), from the guide's failure-mode table.
SYMPTOM_TEXT: dict[str, tuple[str, str, list[str]]] = {
    "TargetDown": ("Prometheus cannot scrape a target of the service.", "The instance is likely "
                   "not serving; its metrics and alerts are blind.", ["Check pod status, "
                   "restarts and readiness probes; check the /metrics endpoint answers."]),
    "TargetMissing": ("No scrape target exists for the service.", "Every alert for it is blind.",
                      ["Check the deployment exists and service discovery/labels select it."]),
    "ProcessRestarts": ("The process restarts repeatedly (F6).", "Requests drop during restarts.",
                        ["Check OOM kills and exit codes; tune worker counts and probes (F6)."]),
    "RouteErrorRatioHigh": ("A route fails with 5xx (F8).", "Users of that route see errors.",
                            ["Centralize error handling; roll back; check dependencies (F8)."]),
    "LatencyP99High": ("Tail latency is over the spec's limit (M3).", "Slow responses, timeouts.",
                       ["Move blocking code off the event loop (F1); offload CPU work (F5)."]),
    "EventLoopLagHigh": ("Blocking code stalls the asyncio event loop (F1).", "All requests on "
                         "the worker slow down together.", ["Move to async or run in a "
                         "threadpool (F1); find the handler in slow traces."]),
    "DbPoolSaturated": ("The DB connection pool is nearly exhausted (F2).", "Requests will queue "
                        "for connections and time out.", ["Use connection pools and close on "
                        "teardown (F2); look for leaked sessions and slow queries."]),
    "DbPoolWaiters": ("Requests wait for a DB connection (F2).", "Latency rises, then timeouts.",
                      ["Fix connection leaks (F2); raise the pool size only with DB headroom."]),
    "MemoryNearLimit": ("Resident memory is close to the limit (F3, M8).", "OOM kills follow.",
                        ["Rate-limit background tasks or use an external queue (F3)."]),
    "MemoryExhaustionProjected": ("Memory grows steadily toward the limit (F3).", "An OOM kill "
                                  "within hours.", ["Find the leak; bound background tasks (F3)."]),
    "CpuSaturated": ("CPU is near the limit (F5).", "Slow responses under load.",
                     ["Offload CPU-bound work to workers or increase workers (F5)."]),
    "BackgroundQueueBacklog": ("The background queue fills up (M10).", "Deferred work is late "
                               "or dropped.", ["Scale workers; find stuck jobs; shed load."]),
    "LogFlood": ("The service logs far more than usual (F7).", "Disk or the logging system "
                 "saturates.", ["Rate-limit or sample logs; lower log levels (F7)."]),
    "TelemetryExportDropping": ("The OTLP exporter drops spans or logs.", "Traces and logs of "
                                "incidents are lost.", ["Check the collector is up and keeping "
                                "up; tune batch/queue sizes and sampling."]),
}


def _text(alert: AlertRule) -> tuple[str, str, list[str]]:
    if alert.name in SYMPTOM_TEXT:
        return SYMPTOM_TEXT[alert.name]
    return SLO_TEXT["Latency" if alert.name.startswith("Latency") else "Availability"]


def _page(project: Project, name: str, uses: list[tuple[Service, AlertRule]]) -> str:
    alert = uses[0][1]
    meaning, impact, mitigations = _text(alert)
    kind, key = alert.panel
    lines = [f"# {name}", "", f"Severity: **{alert.severity}**.", "", "## What it means", "",
             meaning, "", "## Impact", "", impact, "", "## First checks", ""]
    for service, _ in uses:
        lines.append(f"- {service.name}: the [{key} panel of the {KIND_TITLES[kind]} dashboard]"
                     f"({dashboard_url(project, service, kind, key)}); then the "
                     f"[Debug dashboard]({dashboard_url(project, service, 'debug')}).")
    lines += ["", "## Mitigations", ""] + [f"- {m}" for m in mitigations]
    return "\n".join(lines) + "\n"


def runbooks(project: Project, alerts: list[tuple[Service, AlertRule]]) -> list[Artifact]:
    by_name: dict[str, list[tuple[Service, AlertRule]]] = {}
    for service, alert in alerts:
        by_name.setdefault(alert.name, []).append((service, alert))
    pages = [Artifact(f"{DIR}/{runbook_file(n)}", _page(project, n, uses))
             for n, uses in sorted(by_name.items())]
    index = ["# Runbooks", "", "| Alert | Severity |", "|---|---|"]
    index += [f"| [{n}]({runbook_file(n)}) | {uses[0][1].severity} |"
              for n, uses in sorted(by_name.items())]
    return pages + [Artifact(f"{DIR}/README.md", "\n".join(index) + "\n")]
