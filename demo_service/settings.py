"""Settings read once from environment variables, so a container needs no config file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from opentelemetry.util.re import parse_env_headers


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


ACCESS_LOG_MODES = ("off", "sampled", "all")


def _access_log(value: str | None) -> str:
    """``DEMO_ACCESS_LOG``: off (default); sampled (or true/1/yes/on): a line per request whose
    trace is sampled, as decided by the sampler (an upstream caller's traceparent included),
    plus every 5xx; all: a line per request."""
    raw = (value or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return "off"
    if raw in ("1", "true", "yes", "on", "sampled"):
        return "sampled"
    if raw == "all":
        return "all"
    raise ValueError(f"DEMO_ACCESS_LOG={value!r}: expected off, sampled (or true) or all")


def _compression(value: str | None) -> str | None:
    """``OTEL_EXPORTER_OTLP_COMPRESSION``: gzip or none (the two OTLP defines)."""
    raw = (value or "").strip().lower()
    if raw in ("", "none"):
        return None
    if raw == "gzip":
        return raw
    raise ValueError(f"OTEL_EXPORTER_OTLP_COMPRESSION={value!r}: expected gzip or none")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    return float(raw) if raw else default


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    """Everything the service can be told; defaults suit a laptop run."""

    service_name: str = "profiles"
    version: str = "0.1.0"
    commit: str = "unknown"
    database_path: str = ":memory:"
    db_pool_size: int = 5
    db_acquire_timeout: float = 2.0
    queue_capacity: int = 100
    job_seconds: float = 0.01
    fault_token: str | None = field(default=None, repr=False)  # never printed
    enable_docs: bool = False
    access_log: str = "off"  # one of ACCESS_LOG_MODES
    log_level: str = "INFO"
    upload_max_bytes: int = 1_048_576
    max_body_bytes: int = 1_048_576  # every route; the avatar upload has its own limit too
    refused_log_interval: float = 60.0  # at most one "fault API call refused" line per interval
    shutdown_grace_seconds: float = 5.0
    shutdown_drain_seconds: float = 1.0
    loop_lag_interval: float = 0.1
    gc_freeze: bool = True
    gc_gen0_threshold: int = 10_000  # Python's default is 700
    # OpenTelemetry export (standard OTEL_* variables)
    otel_disabled: bool = False
    otlp_endpoint: str | None = field(default=None, repr=False)  # may carry user:pass@
    otlp_protocol: str = "grpc"
    otlp_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # often a key
    otlp_compression: str | None = None
    otlp_certificate: str | None = None  # CA bundle path for an https:// endpoint
    otlp_timeout: float = 2.0
    sampler_ratio: float = 1.0
    export_queue_size: int = 2048
    export_batch_size: int = 512
    export_interval: float = 0.5

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``DEMO_*`` and the standard ``OTEL_*`` variables."""
        e = os.environ if env is None else env
        from demo_service import __version__

        return cls(
            service_name=e.get("OTEL_SERVICE_NAME") or e.get("DEMO_SERVICE_NAME") or "profiles",
            version=e.get("DEMO_VERSION") or __version__,
            commit=e.get("DEMO_COMMIT") or e.get("GIT_COMMIT") or "unknown",
            database_path=e.get("DEMO_DATABASE_PATH")
            or e.get("DATABASE_URL", "").removeprefix("sqlite:///")
            or ":memory:",
            db_pool_size=_int(e, "DEMO_DB_POOL_SIZE", 5),
            db_acquire_timeout=_float(e, "DEMO_DB_ACQUIRE_TIMEOUT", 2.0),
            queue_capacity=_int(e, "DEMO_QUEUE_CAPACITY", 100),
            job_seconds=_float(e, "DEMO_JOB_SECONDS", 0.01),
            fault_token=e.get("DEMO_FAULT_TOKEN") or None,
            enable_docs=_bool(e.get("DEMO_ENABLE_DOCS"), False),
            access_log=_access_log(e.get("DEMO_ACCESS_LOG")),
            log_level=(e.get("DEMO_LOG_LEVEL") or "INFO").upper(),
            upload_max_bytes=_int(e, "DEMO_UPLOAD_MAX_BYTES", 1_048_576),
            max_body_bytes=_int(e, "DEMO_MAX_BODY_BYTES", 1_048_576),
            refused_log_interval=_float(e, "DEMO_REFUSED_LOG_INTERVAL_SECONDS", 60.0),
            shutdown_grace_seconds=_float(e, "DEMO_SHUTDOWN_GRACE_SECONDS", 5.0),
            shutdown_drain_seconds=_float(e, "DEMO_SHUTDOWN_DRAIN_SECONDS", 1.0),
            loop_lag_interval=_float(e, "DEMO_LOOP_LAG_INTERVAL", 0.1),
            gc_freeze=_bool(e.get("DEMO_GC_FREEZE"), True),
            gc_gen0_threshold=_int(e, "DEMO_GC_GEN0_THRESHOLD", 10_000),
            otel_disabled=_bool(e.get("OTEL_SDK_DISABLED"), False),
            otlp_endpoint=e.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
            otlp_protocol=(e.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "grpc").strip(),
            otlp_headers=tuple(
                parse_env_headers(e.get("OTEL_EXPORTER_OTLP_HEADERS", ""), True).items()
            ),
            otlp_compression=_compression(e.get("OTEL_EXPORTER_OTLP_COMPRESSION")),
            otlp_certificate=e.get("OTEL_EXPORTER_OTLP_CERTIFICATE") or None,
            otlp_timeout=_float(e, "DEMO_OTLP_TIMEOUT_SECONDS", 2.0),
            sampler_ratio=_float(e, "OTEL_TRACES_SAMPLER_ARG", 1.0),
            export_queue_size=_int(e, "OTEL_BSP_MAX_QUEUE_SIZE", 2048),
            export_batch_size=_int(e, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512),
            export_interval=_int(e, "OTEL_BSP_SCHEDULE_DELAY", 500) / 1000.0,
        )
