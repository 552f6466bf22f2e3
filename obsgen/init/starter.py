"""Starter spec text for one service, with comments that say what to check and change.

Written as text (not dumped YAML) so the comments survive; every value it writes is one the
validator accepts, and the text is loaded back before it is written.
"""

from __future__ import annotations

import json

from obsgen import conventions
from obsgen.conventions import format_bound
from obsgen.init.discover import Discovered, latency_threshold


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as the same string."""
    return json.dumps(value)


def starter_spec(
    name: str, selector: tuple[str, str] | None = None, found: Discovered | None = None
) -> str:
    """A spec for service ``name``; ``found`` fills it from what the live service exposes."""
    label, value = selector or ("job", name)
    preset = found.preset if found else conventions.OTEL
    buckets = found.buckets if found else preset.buckets
    threshold = latency_threshold(buckets)
    bounds = ", ".join(format_bound(b) for b in buckets)
    lines = [
        "# obsgen spec: run `obsgen validate` after every edit, then `obsgen build`.",
        '# Every key is documented in obsgen\'s README ("The spec").',
        "apiVersion: obsgen/v1",
        "",
        "services:",
        f"  - name: {name}",
        "    team: unowned                # who is paged: set your team (a label on every alert)",
        "    selector:                    # the label and value that select this service's series",
        f"      label: {label}",
        f"      value: {_scalar(value)}",
    ]
    if found is None:
        lines += [
            "    # How the service is instrumented: `otel` (opentelemetry-instrumentation-fastapi)",
            "    # or `prometheus-fastapi-instrumentator`. `obsgen init --from-prometheus` finds out.",
        ]
    else:
        lines += ["    # found in Prometheus: the request metrics of this instrumentation"]
    convention = preset.name
    if buckets != preset.buckets:
        convention = (
            f"{{preset: {preset.name}, buckets: [{', '.join(format_bound(b) for b in buckets)}]}}"
        )
    lines.append(f"    convention: {convention}")
    metrics_from = found.metrics_from if found else conventions.SCRAPED
    lines.append(
        f"    metrics_from: {metrics_from}          # scrape, or otlp (pushed through a Collector)"
    )
    if found and found.signals:
        lines.append(
            "    signals:                     # found: beyond the preset (null: the service lacks it)"
        )
        for signal, metric in sorted(found.signals.items()):
            lines.append(f"      {signal}: {metric if metric is not None else 'null'}")
    else:
        lines.append(
            "    # signals: {event_loop_lag: my_loop_lag_seconds}   # metrics beyond the preset"
        )
    lines += [
        "    traces: false                # true if it sends traces to Tempo (trace panels)",
        "    logs: false                  # true if it sends logs to Loki (log panels)",
        "    slos:",
        "      - name: availability",
        "        type: availability       # share of requests that are not 5xx",
        "        objective: 99.9          # percent over the period: start where you are today",
        "        period: 30d",
        "      - name: latency",
        "        type: latency            # share of requests faster than threshold_seconds",
        "        objective: 99",
        f"        threshold_seconds: {format_bound(threshold)}   # a bucket bound: {bounds}",
        "        period: 30d",
        "",
        "alerting:",
        "  receivers:                     # any Alertmanager receiver configs",
        "    page: {name: page}           # e.g. pagerduty_configs: [{routing_key: ...}]",
        "    ticket: {name: ticket}       # e.g. slack_configs: [...]",
        "",
    ]
    return "\n".join(lines)
