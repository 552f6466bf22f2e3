"""Small readers over the stack's files: ports, mounts, endpoints. Pure functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PublishedPort:
    host_ip: str | None
    published: int
    target: int


@dataclass(frozen=True)
class Mount:
    kind: str  # "bind" or "volume"
    source: str
    target: str
    read_only: bool


def published_ports(service: dict[str, Any]) -> list[PublishedPort]:
    """Parse compose `ports` in short ("127.0.0.1:3000:3000/tcp") or long syntax."""
    result = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            result.append(
                PublishedPort(entry.get("host_ip"), int(entry["published"]), int(entry["target"]))
            )
            continue
        spec = str(entry).split("/")[0]
        parts = spec.rsplit(":", 2)
        if len(parts) == 3:
            result.append(PublishedPort(parts[0].strip("[]"), int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            result.append(PublishedPort(None, int(parts[0]), int(parts[1])))
        else:
            result.append(PublishedPort(None, int(parts[0]), int(parts[0])))
    return result


def mounts(service: dict[str, Any]) -> list[Mount]:
    """Parse compose `volumes`: a source that looks like a path is a bind mount."""
    result = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            result.append(
                Mount(
                    entry["type"],
                    entry.get("source", ""),
                    entry["target"],
                    bool(entry.get("read_only", False)),
                )
            )
            continue
        parts = str(entry).split(":")
        source, target = parts[0], parts[1]
        mode = parts[2] if len(parts) > 2 else "rw"
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        result.append(Mount(kind, source, target, "ro" in mode.split(",")))
    return result


def host_port(address: str) -> tuple[str, int]:
    """'http://loki:3100/otlp' or 'tempo:4317' or '0.0.0.0:4317' -> (host, port)."""
    if "://" not in address:
        address = "//" + address
    parts = urlsplit(address)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"no host:port in {address!r}")
    return parts.hostname, parts.port


def listen_port(address: str) -> int:
    """'0.0.0.0:4317' or ':4317' -> 4317."""
    return int(address.rsplit(":", 1)[1])


def env_map(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def healthcheck_url(service: dict[str, Any]) -> str | None:
    """The http URL a healthcheck probes, if it probes one."""
    test = service.get("healthcheck", {}).get("test", [])
    text = " ".join(test) if isinstance(test, list) else str(test)
    match = re.search(r"https?://[^\s'\"]+", text)
    return match.group(0) if match else None


def flag_values(command: list[str], flag: str) -> list[str]:
    """Values of `--flag=value` / `-flag=value` in a command list."""
    values = []
    for arg in command:
        name, _, value = arg.partition("=")
        if name.lstrip("-") == flag.lstrip("-"):
            values.append(value)
    return values


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a nested JSON/YAML structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def component_type(component_id: str) -> str:
    """Collector component id 'otlp_grpc/tempo' -> type 'otlp_grpc'."""
    return component_id.split("/", 1)[0]
