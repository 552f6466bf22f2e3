"""YAML loading that remembers where every value came from, so errors can say file:line.

Mappings load as :class:`LocDict` and sequences as :class:`LocList`; both carry the line of
the container and of each key / item. Duplicate keys, which plain PyYAML silently overwrites,
are reported, since a second `slos:` under one service would otherwise lose the first.
"""

from __future__ import annotations

from typing import Any

import yaml

from obsgen.errors import Problem, SpecError


class LocDict(dict[str, Any]):
    """A mapping with the 1-based source line of itself and of each key."""

    line: int
    key_lines: dict[str, int]


class LocList(list[Any]):
    """A sequence with the 1-based source line of itself and of each item."""

    line: int
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that builds LocDict/LocList and records duplicate keys."""

    duplicates: list[tuple[int, str]]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocDict:
    loader.flatten_mapping(node)
    result = LocDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = str(key) if not isinstance(key, str) else key
        line = key_node.start_mark.line + 1
        if key in result:
            loader.duplicates.append((line, key))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocList:
    result = LocList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load(text: str, source: str) -> Any:
    """Parse YAML text; syntax errors and duplicate keys become a :class:`SpecError`."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # control characters the YAML reader refuses
        line = text[: exc.position].count("\n") + 1
        raise SpecError([Problem(source, line, "", f"invalid YAML: {exc.reason}")]) from None
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or str(exc)
        raise SpecError([Problem(source, line, "", f"invalid YAML: {what}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise SpecError([Problem(source, line, "", f"invalid YAML: {exc.reason}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(source, 0, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise SpecError(
            [Problem(source, line, key, "duplicate key") for line, key in loader.duplicates]
        )
    return data
