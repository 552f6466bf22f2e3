"""Redaction of credentials before a log record leaves the process (stdout or OTLP)."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[REDACTED]"
# Field names that carry credentials: headers and the usual secret-ish names.
_SECRET_KEY = re.compile(
    r"(authorization|cookie|set-cookie|passw(or)?d|secret|token|api[-_]?key|credential|session)",
    re.IGNORECASE,
)
# Credentials embedded in free text: "Bearer abc", "authorization: xyz", "password=hunter2".
_SECRET_TEXT = re.compile(
    r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"
    r"|\b(authorization|cookie|password|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)((?:(?:bearer|basic)\s+)?[^\s,;&\"']+)"
)

# Userinfo in a URL: "http://user:pass@collector:4317" (an OTLP endpoint, a database URL).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]+@")


def is_secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


def redact_text(text: str) -> str:
    """Mask credential values in free text, keeping the key so the log still reads."""

    def _mask(m: re.Match[str]) -> str:
        if m.group(1):
            return f"{m.group(1)} {REDACTED}"
        return f"{m.group(2)}{m.group(3)}{REDACTED}"

    return redact_url(_SECRET_TEXT.sub(_mask, text))


def redact_url(text: str) -> str:
    """Mask the userinfo of every URL in ``text``; host, port and path stay readable."""
    return _USERINFO.sub(rf"\1{REDACTED}@", text) if "@" in text else text


def redact_value(key: str, value: Any) -> Any:
    """Mask ``value`` entirely when ``key`` names a credential; recurse into mappings."""
    if is_secret_key(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, str):
        return redact_text(value)
    return value
