"""Run every query against live backends and classify the answer.

A query with no samples is only a failure when the data it needs does not exist: each metric it
selects must have series for the service, and each label it filters on must appear on them.
A 5xx panel on a healthy service is "empty" (fine); a misspelled metric is "no data" (a bug).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from obsgen import conventions
from obsgen.promql import selectors
from obsgen.verify.backends import BackendError, Loki, Prometheus, Tempo
from obsgen.verify.collect import Query
from obsgen.verify.variables import resolve, undefined_variables

DATA, EMPTY, NO_DATA, ERROR, SKIPPED = "data", "empty", "no data", "error", "skipped"
FAILURES = (NO_DATA, ERROR)


@dataclass(frozen=True)
class Result:
    source: str
    item: str
    backend: str
    query: str
    status: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Backends:
    prometheus: Prometheus
    loki: Loki | None = None
    tempo: Tempo | None = None
    rate_interval: str = "5m"


def _missing_data(prometheus: Prometheus, query: Query, text: str) -> str | None:
    """Why an empty result is a real gap (metric or label absent), or None if it is fine."""
    identity = {query.service.selector.label, conventions.SERVICE_LABEL, conventions.SLO_LABEL}
    for selector in selectors(text):
        if not selector.metric or selector.metric in ("ALERTS", "ALERTS_FOR_STATE"):
            continue
        scope = ", ".join(
            f'{name}{op}"{value}"'
            for name, op, value in selector.matchers
            if name in identity and op in ("=", "=~")
        )
        series = prometheus.series(f"{selector.metric}{{{scope}}}")
        if not series:
            return f"{selector.metric}{{{scope}}} has no series"
        present = set().union(*(s.keys() for s in series))
        for name, op, value in selector.matchers:
            if name not in present and op in ("=", "=~") and value not in ("", ".*"):
                return f"label {name!r} never appears on {selector.metric}"
    return None


def _run_prometheus(backends: Backends, query: Query, text: str) -> tuple[str, str]:
    result = backends.prometheus.query(text)
    if result:
        return DATA, f"{len(result)} series"
    gap = _missing_data(backends.prometheus, query, text)
    return (NO_DATA, gap) if gap else (EMPTY, "no samples match now; the series exist")


def run_query(backends: Backends, query: Query) -> Result:
    text = resolve(query, backends.prometheus, backends.rate_interval)
    leftovers = undefined_variables(text)
    if leftovers:
        return Result(
            query.source,
            query.item,
            query.backend,
            text,
            ERROR,
            f"undefined variables: {', '.join(leftovers)}",
        )
    try:
        if query.backend == "prometheus":
            status, detail = _run_prometheus(backends, query, text)
        elif query.backend == "loki" and backends.loki is not None:
            count = backends.loki.query(text)
            status, detail = (DATA, f"{count} streams") if count else (NO_DATA, "no log streams")
        elif query.backend == "tempo" and backends.tempo is not None:
            count = backends.tempo.search(text)
            status, detail = (
                (DATA, f"{count} traces") if count else (EMPTY, "no matching traces now")
            )
        else:
            status, detail = SKIPPED, f"no --{query.backend} URL given"
    except BackendError as exc:
        status, detail = ERROR, str(exc)
    return Result(query.source, query.item, query.backend, text, status, detail)


def rule_health(prometheus: Prometheus) -> list[Result]:
    """Rule-group health as Prometheus reports it (health, last error, evaluation time)."""
    results = []
    for group in prometheus.rules():
        for rule in group.get("rules", []):
            healthy = rule.get("health") == "ok"
            detail = rule.get("lastError") or f"evaluated in {rule.get('evaluationTime', 0):.4f}s"
            results.append(
                Result(
                    group.get("file", "?"),
                    rule.get("name", "?"),
                    "prometheus",
                    rule.get("query", ""),
                    DATA if healthy else ERROR,
                    f"{rule.get('health')}: {detail}",
                )
            )
    return results
