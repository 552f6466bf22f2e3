"""The demo touches only the public APIs of its dependencies (issue 15): users copy it, and a
private attribute or module can change in any minor release without a word."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "demo_service"
# Underscore-named modules that are the documented (and only) home of a public API.
DOCUMENTED_MODULES = {
    "opentelemetry._logs": "the logs API (SeverityNumber, LogRecord) lives only here",
    "opentelemetry.sdk._logs": "the logs SDK (LoggerProvider, ReadableLogRecord) lives only here",
    "opentelemetry.sdk._logs.export": "the logs SDK's LogRecordExporter extension point",
    "opentelemetry.exporter.otlp.proto.http._log_exporter": (
        "the OTLP/HTTP log exporter: the module its entry point names"
    ),
}


def _defined_here(tree: ast.AST) -> set[str]:
    """Underscore names this code defines itself: ``self._x = ...``, methods, class attributes
    and ``__slots__`` entries. A ``self._x`` outside this set is a base class's private."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return names


def _private_uses(path: Path) -> list[str]:
    """Reads of ``obj._name`` that this code did not define (a dependency's private, on any
    object including ``self``), and imports of underscore modules not listed above. Our own
    markers on foreign objects start ``_demo_``."""
    tree = ast.parse(path.read_text(), str(path))
    ours_names = _defined_here(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = node.attr
            private = name.startswith("_") and not name.startswith("__")
            on_self = isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}
            own = on_self and name in ours_names
            if private and not own and not name.startswith("_demo_"):
                found.append(f"{path.name}:{node.lineno}: .{name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            ours = parts[0] in {"demo_service", "obsgen"}
            underscored = any(p.startswith("_") and not p.startswith("__") for p in parts)
            if not ours and underscored and node.module not in DOCUMENTED_MODULES:
                found.append(f"{path.name}:{node.lineno}: from {node.module}")
            found += [
                f"{path.name}:{node.lineno}: import {a.name}"
                for a in node.names
                if not ours and a.name.startswith("_") and not a.name.startswith("__")
            ]
    return found


@pytest.mark.parametrize("path", sorted(DEMO.rglob("*.py")), ids=lambda p: p.name)
def test_no_private_attribute_or_module_of_a_dependency_is_used(path: Path) -> None:
    assert _private_uses(path) == []


def test_the_check_itself_catches_what_the_demo_used_to_do(tmp_path: Path) -> None:
    sample = tmp_path / "old.py"
    sample.write_text(
        "from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter\n"
        "x = span._attributes\n"
        "y = kind._value_\n"
        "self._captured_signals.append(1)\n"  # inherited from uvicorn.Server
        "self._mine = 1\n"
        "z = self._mine\n"
        "record._demo_done = True\n"
    )
    assert _private_uses(sample) == [
        "old.py:1: from opentelemetry.exporter.otlp.proto.grpc._log_exporter",
        "old.py:2: ._attributes",
        "old.py:3: ._value_",
        "old.py:4: ._captured_signals",
    ]
