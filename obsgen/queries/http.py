"""HTTP server queries: throughput, errors, latency quantiles, in-flight requests."""

from __future__ import annotations

from obsgen import conventions as names
from obsgen.queries.base import Target, by, route_matcher


def request_rate(
    target: Target, window: str, group: tuple[str, ...] = (), route_regex: str | None = None
) -> str:
    """Requests per second."""
    series = target.select(target.convention.requests_counter, route_matcher(target, route_regex))
    return f"sum{by(group)} (rate({series}[{window}]))"


def error_selector(target: Target) -> str:
    conv = target.convention
    return f'{conv.status_label}=~"{conv.error_status_regex}"'


def error_rate(
    target: Target, window: str, group: tuple[str, ...] = (), route_regex: str | None = None
) -> str:
    """5xx responses per second."""
    series = target.select(
        target.convention.requests_counter,
        error_selector(target),
        route_matcher(target, route_regex),
    )
    return f"sum{by(group)} (rate({series}[{window}]))"


def error_ratio(target: Target, window: str, group: tuple[str, ...] = ()) -> str:
    """Share of responses that are 5xx; no traffic gives no sample rather than NaN."""
    return f"{error_rate(target, window, group)}\n/\n({request_rate(target, window, group)} > 0)"


def status_class_rate(target: Target, window: str) -> str:
    """Requests per second by status class (2xx, 4xx, 5xx)."""
    conv = target.convention
    series = target.select(conv.requests_counter)
    cls = names.STATUS_CLASS_LABEL
    return (
        f'sum by ({cls}) (label_replace(rate({series}[{window}]), "{cls}", '
        f'"${{1}}xx", "{conv.status_label}", "([0-9]).*"))'
    )


def latency_quantile(
    target: Target,
    quantile: float,
    window: str,
    group: tuple[str, ...] = (),
    route_regex: str | None = None,
) -> str:
    """A latency quantile from the duration histogram (seconds), optionally of some routes."""
    conv = target.convention
    series = target.select(
        conv.bucket(),
        f'{conv.route_label}!="{conv.unmatched_route}"',
        route_matcher(target, route_regex),
    )
    labels = ", ".join((names.BUCKET_BOUND_LABEL, *group))
    return f"histogram_quantile({quantile}, sum by ({labels}) (rate({series}[{window}])))"


def active_requests(target: Target) -> str | None:
    """Requests in flight, or None when the convention has no gauge for it."""
    metric = target.convention.active_requests
    return f"sum({target.select(metric)})" if metric else None


def top_error_routes(target: Target, window: str, k: int = 5) -> str:
    """The ``k`` routes with the most 5xx responses per second."""
    return f"topk({k}, {error_rate(target, window, (target.convention.route_label,))} > 0)"


def latency_heatmap_for_routes(target: Target, window: str, route_regex: str) -> str:
    """Bucket rates of the routes matching ``route_regex`` for a heatmap (format: heatmap)."""
    series = target.select(target.convention.bucket(), route_matcher(target, route_regex))
    return f"sum by (le) (rate({series}[{window}]))"
