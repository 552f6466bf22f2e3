"""Typed, located reads from a loaded spec that collect problems instead of raising.

Validation is one pass that reports every problem at once (file:line field: what, and what
would be valid), so a user fixes a spec in one round trip, not one error at a time.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from obsgen.errors import Problem
from obsgen.yamlsrc import LocDict, LocList

T = TypeVar("T")
_MISSING = object()
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    dict: "a mapping",
    list: "a list",
}


@dataclass
class Reader:
    """Collects problems for one spec file."""

    source: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, path: str, message: str) -> None:
        self.problems.append(Problem(self.source, line, path, message))


@dataclass(frozen=True)
class Node:
    """A mapping in the spec, with its path and the reader collecting problems."""

    reader: Reader
    data: LocDict
    path: str

    def line_of(self, key: str) -> int:
        return self.data.key_lines.get(key, self.data.line)

    def sub_path(self, key: str) -> str:
        if not _PLAIN_KEY.match(key):
            return f"{self.path}[{json.dumps(key)}]"  # a key with spaces or symbols stays readable
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str) -> None:
        self.reader.error(self.line_of(key), self.sub_path(key), message)

    def check_keys(self, allowed: Sequence[str], required: Sequence[str] = ()) -> None:
        """Report unknown keys (with a 'did you mean') and missing required keys."""
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f"; valid keys: {', '.join(allowed)}"
                )
                self.error(key, f"unknown key{hint}")
        for key in required:
            if key not in self.data:
                self.reader.error(self.data.line, self.sub_path(key), "is required")

    def get(
        self,
        key: str,
        kind: type[T],
        default: Any = _MISSING,
        check: Callable[[T], str | None] | None = None,
    ) -> T | None:
        """The value of ``key`` if present and of ``kind`` (and passing ``check``), else default.

        Problems are recorded; None is returned for a missing required or invalid value.
        """
        if key not in self.data or self.data[key] is None:
            if default is _MISSING:
                if key not in self.data:
                    return None  # check_keys reports the missing required key
                self.error(key, f"must be {_TYPE_NAMES.get(kind, kind.__name__)}, got nothing")
                return None
            return default  # type: ignore[no-any-return]
        value = self.data[key]
        value = _coerce(value, kind)
        if value is _MISSING:
            got = self.data[key]
            self.error(key, f"must be {_TYPE_NAMES.get(kind, kind.__name__)}, got {describe(got)}")
            return None
        if check is not None:
            message = check(value)
            if message:
                self.error(key, message)
                return None
        return value  # type: ignore[no-any-return]

    def child(self, key: str, required: bool = False) -> Node | None:
        """The mapping under ``key`` as a Node (None when absent or not a mapping)."""
        if key not in self.data or self.data[key] is None:
            if required:
                self.reader.error(self.data.line, self.sub_path(key), "is required")
            return None
        value = self.data[key]
        if not isinstance(value, LocDict):
            self.error(key, f"must be a mapping, got {describe(value)}")
            return None
        return Node(self.reader, value, self.sub_path(key))

    def items(self, key: str) -> Iterator[tuple[Node, str]]:
        """Mapping items of the list under ``key``, each with its path label (name or index)."""
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, LocList):
            self.error(key, f"must be a list, got {describe(value)}")
            return
        for index, (item, line) in enumerate(zip(value, value.item_lines)):
            name = item.get("name") if isinstance(item, LocDict) else None
            label = f"[{name}]" if isinstance(name, str) and name else f"[{index}]"
            path = f"{self.sub_path(key)}{label}"
            if not isinstance(item, LocDict):
                self.reader.error(line, path, f"must be a mapping, got {describe(item)}")
                continue
            yield Node(self.reader, item, path), label


def _coerce(value: Any, kind: type) -> Any:
    """``value`` as ``kind`` when that is lossless (an int is a fine float), else _MISSING."""
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _MISSING
        return float(value)
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _MISSING
    if kind is dict:
        return value if isinstance(value, LocDict) else _MISSING
    if kind is list:
        return value if isinstance(value, LocList) else _MISSING
    return value if isinstance(value, kind) else _MISSING


def describe(value: Any) -> str:
    if isinstance(value, LocDict):
        return "a mapping"
    if isinstance(value, LocList):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    return shown(value)


def shown(value: Any) -> str:
    """``repr(value)`` cut short, so a problem stays one readable line."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}...({len(text)} characters)"
