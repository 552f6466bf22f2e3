"""YAML loading that remembers where every value came from, so errors can say file:line.

Mappings load as :class:`LocDict` and sequences as :class:`LocList`; both carry the line of
the container and of each key / item. Duplicate keys, which plain PyYAML silently overwrites,
are reported, since a second `slos:` under one service would otherwise lose the first.

Input is bounded before anything walks it: the text's size, the nesting depth, and the size of
the document with every alias expanded (a "billion laughs" bomb is a few lines of YAML that
expand to gigabytes in whatever later copies or serializes it, such as a receiver config).
"""

from __future__ import annotations

from typing import Any

import yaml

from obsgen.errors import Problem, SpecError

MAX_SPEC_BYTES = 4 * 1024 * 1024  # a spec of 200 services is ~100 kB
MAX_DEPTH = 64  # the spec format nests 7 deep; receiver configs a few more
MAX_NODES = 200_000  # scalars and containers, counted with every alias expanded


class LocDict(dict[str, Any]):
    """A mapping with the 1-based source line of itself and of each key."""

    line: int
    key_lines: dict[str, int]


class LocList(list[Any]):
    """A sequence with the 1-based source line of itself and of each item."""

    line: int
    item_lines: list[int]


# libyaml's parser (PyYAML's C binding) when PyYAML has it: a 1000-service spec loads in a
# fifth of the pure-Python parser's time, with the same nodes and marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that builds LocDict/LocList and records duplicate keys."""

    duplicates: list[tuple[int, str]]


def _check_depth(text: str) -> None:
    """Raise :class:`_TooBig` past MAX_DEPTH nested values, before anything composes the
    document recursively (the parser itself keeps a stack, not the call stack)."""
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, _CLOSE):
            depth -= 1
            continue
        if isinstance(event, yaml.NodeEvent) and depth + 1 > MAX_DEPTH:
            line = event.start_mark.line + 1 if event.start_mark else 0
            raise _TooBig(line, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(event, _OPEN):
            depth += 1


class _TooBig(Exception):
    """The document exceeds a bound; ``line`` is where it was noticed."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(what)
        self.line = line
        self.what = what


def _check_expanded_size(root: yaml.Node) -> None:
    """Raise :class:`_TooBig` when the document, aliases expanded, exceeds the bounds.

    Aliases make the node graph a DAG (or a cycle), so sizes are memoized per node object:
    linear in the text, however large the expansion.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            raise _TooBig(line, f"nested deeper than {MAX_DEPTH} levels once aliases are expanded")
        if key in active:
            raise _TooBig(line, "an alias refers to the collection that contains it")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(key)
        if total > MAX_NODES:
            raise _TooBig(line, f"expands to more than {MAX_NODES} values (through aliases?)")
        sizes[key] = total
        return total

    size(root, 1)


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


def too_large(source: str) -> Problem:
    mb = MAX_SPEC_BYTES // (1024 * 1024)
    return Problem(source, 0, "", f"the spec is larger than {mb} MB; refusing to read it")


def load(text: str, source: str) -> Any:
    """Parse YAML text; syntax errors, duplicate keys and exceeded bounds become a
    :class:`SpecError`."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError([too_large(source)])
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # control characters the YAML reader refuses
        line = text[: exc.position].count("\n") + 1
        raise SpecError([Problem(source, line, "", f"invalid YAML: {exc.reason}")]) from None
    loader.duplicates = []
    try:
        _check_depth(text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node)
        data = loader.construct_document(node)
    except _TooBig as exc:
        raise SpecError([Problem(source, exc.line, "", f"invalid YAML: {exc.what}")]) from None
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
    except ValueError as exc:  # an integer of more than 4300 digits
        what = str(exc).split(":", 1)[0]
        raise SpecError([Problem(source, 0, "", f"invalid YAML value: {what}")]) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise SpecError(
            [Problem(source, line, key, "duplicate key") for line, key in loader.duplicates]
        )
    return data
