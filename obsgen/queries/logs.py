"""LogQL for the service's logs in Loki: the one place dashboards get log queries from.

The demo service ships logs over OTLP, so Loki's stream label ``service_name`` is the service
name; each line is JSON carrying ``level`` and ``trace_id``.
"""

from __future__ import annotations

from obsgen.conventions import LOG_LEVEL_LABEL, LOKI_SERVICE_LABEL
from obsgen.model import Service

TRACE_ID_FIELD = "trace_id"  # the JSON field the Loki derived field links to Tempo


def stream(service: Service) -> str:
    """The stream selector of the service's logs."""
    return f'{{{LOKI_SERVICE_LABEL}="{service.name}"}}'


def lines(service: Service, level_regex: str) -> str:
    """The service's log lines whose ``level`` matches ``level_regex``."""
    return f'{stream(service)} | json | {LOG_LEVEL_LABEL}=~"{level_regex}"'


def volume_by_level(service: Service, window: str) -> str:
    """Log lines per ``window`` by level: a logging flood (F7) or an error burst shows here."""
    return f"sum by ({LOG_LEVEL_LABEL}) (count_over_time({stream(service)} | json [{window}]))"
