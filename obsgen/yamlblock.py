"""Block YAML for plain data, written directly: the bytes libyaml's emitter writes for it.

Most of a build's time was YAML (rule files, promtool tests, Grafana alert rules): a node
per value, then libyaml's emitter, which calls back into Python's resolver twice per scalar.
Generated data is nearly all identifiers, PromQL and sentences, whose YAML form is fixed
by a few rules of the emitter (``analyze_scalar`` and ``choose_scalar_style`` in PyYAML's
emitter, libyaml's twin): this module writes those forms and refuses anything else (control
or non-printable characters, lines near the fold width, keys libyaml writes in the complex form,
literal blocks that need indentation or keep hints, scalar documents), so the caller falls back
to libyaml for the whole document. tests/core/test_encoding.py compares both byte for byte.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

STR_TAG, FLOAT_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:float"
WIDTH = 1000  # the emitter's width (``width=`` of the dump); lines past it are folded
_WIDTH_MARGIN = 8
_SIMPLE_KEY_LENGTH = 128  # longer keys are written as "? key"
# What libyaml writes as is with allow_unicode: printable ASCII and the BMP outside the
# surrogates, the byte-order mark and U+FFFE/U+FFFF; no breaks (NEL, U+2028/9) or controls.
# (Characters past the BMP are printable to PyYAML's Python emitter but not to libyaml's.)
_PRINTABLE_LINE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
_INDICATOR_FIRST = frozenset("#,[]{}&*!|>'\"%@`")
_RESOLVE: Callable[[Any, str, tuple[bool, bool]], Any] = Resolver().resolve
_RESOLVED: dict[str, str] = {}  # plain text → the tag it would read back as
_FORMS: dict[str, str] = {}  # one-line text → how it is written
_CACHED_LENGTH, _CACHED_TEXTS = 64, 100_000


class Unsupported(Exception):
    """Data or text whose YAML form this module does not write; libyaml's emitter does."""


def dump(data: Any) -> str:
    """``data`` (a non-empty dict or list of plain data) as block YAML; raises
    :class:`Unsupported` for anything :func:`yaml.dump` might write differently."""
    out: list[str] = []
    if type(data) is dict and data:
        _mapping(data, 0, out, inline=False)
    elif type(data) is list and data:
        _sequence(data, 0, out, inline=False)
    else:
        raise Unsupported  # scalar documents end with "..."; empty ones are flow
    return "".join(out)


def yaml_float(value: float) -> str:
    """SafeRepresenter.represent_float's text, which `.nan`/`.inf` and `1e17` need."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


def _plain_tag(text: str) -> str:
    """The tag a plain scalar of this text reads back as (str, or int, bool, null...)."""
    tag = _RESOLVED.get(text)
    if tag is None:
        tag = str(_RESOLVE(ScalarNode, text, (True, False)))
        if len(text) <= _CACHED_LENGTH and len(_RESOLVED) < _CACHED_TEXTS:
            _RESOLVED[text] = tag
    return tag


def _plain_allowed(text: str) -> bool:
    """The emitter's block-plain rule for one printable ASCII line."""
    first = text[0]
    return not (
        first == " "
        or text[-1] == " "
        or first in _INDICATOR_FIRST
        or (first in "?:-" and (len(text) == 1 or text[1] == " "))
        or text.startswith(("---", "..."))
        or ": " in text
        or text.endswith(":")
        or " #" in text
    )


def _line_scalar(text: str) -> str:
    """A one-line string: plain where allowed and read back as a string, else single-quoted.
    Short texts repeat (keys, labels, units), so their forms are kept."""
    form = _FORMS.get(text)
    if form is not None:
        return form
    if _PRINTABLE_LINE.fullmatch(text) is None:
        raise Unsupported
    if text and _plain_allowed(text) and _plain_tag(text) == STR_TAG:
        form = text
    else:
        form = "'" + text.replace("'", "''") + "'"
    if len(text) <= _CACHED_LENGTH and len(_FORMS) < _CACHED_TEXTS:
        _FORMS[text] = form
    return form


def _scalar(value: Any, column: int) -> str:
    """A scalar written at ``column``; refused where the emitter could fold it."""
    kind = type(value)
    if kind is str:
        text = _line_scalar(value)
    elif kind is bool:
        text = "true" if value else "false"
    elif kind is int:
        text = str(value)
    elif kind is float:
        text = yaml_float(value)
        if _plain_tag(text) != FLOAT_TAG:
            raise Unsupported
    elif value is None:
        text = "null"
    else:
        raise Unsupported
    if column + len(text) > WIDTH - _WIDTH_MARGIN:
        raise Unsupported
    return text


def _key(key: Any) -> str:
    if type(key) is not str or not key or len(key) >= _SIMPLE_KEY_LENGTH or "\n" in key:
        raise Unsupported
    return _line_scalar(key)


def _literal(text: str, indent: int) -> str:
    """A multi-line string as a literal block (``|`` or ``|-``), content at ``indent``."""
    if text[0] in " \n" or text.endswith("\n\n") or " \n" in text or text[-1] == " ":
        raise Unsupported  # indentation or keep hints, or the emitter's quoted forms
    lines = text.split("\n")
    if text[-1] == "\n":
        header, lines = "|\n", lines[:-1]
    else:
        header = "|-\n"
    pad = " " * indent
    body = []
    for line in lines:
        if line and _PRINTABLE_LINE.fullmatch(line) is None:
            raise Unsupported
        body.append(pad + line + "\n" if line else "\n")
    return header + "".join(body)


def _value(value: Any, indent: int, column: int, out: list[str]) -> None:
    """A value after ``key:`` or ``- `` (``column`` where it starts), its line ended."""
    kind = type(value)
    if kind is dict:
        if not value:
            out.append("{}\n")
            return
    elif kind is list:
        if not value:
            out.append("[]\n")
            return
    elif kind is str and "\n" in value:
        out.append(_literal(value, indent + 2))
        return
    out.append(_scalar(value, column) + "\n")


def _mapping(data: dict[Any, Any], indent: int, out: list[str], inline: bool) -> None:
    """Keys at ``indent``; ``inline``: the first key goes after a sequence's ``- ``."""
    pad = " " * indent
    for index, (key, value) in enumerate(data.items()):
        if index or not inline:
            out.append(pad)
        text = _key(key)
        kind = type(value)
        if kind is dict and value:
            out.append(text + ":\n")
            _mapping(value, indent + 2, out, inline=False)
        elif kind is list and value:
            out.append(text + ":\n")
            _sequence(value, indent, out, inline=False)  # block lists in mappings: indentless
        else:
            out.append(text + ": ")
            _value(value, indent, indent + len(text) + 2, out)


def _sequence(data: list[Any], indent: int, out: list[str], inline: bool) -> None:
    """Items at ``indent``; ``inline``: the first item goes after an outer ``- ``."""
    pad = " " * indent
    for index, item in enumerate(data):
        if index or not inline:
            out.append(pad)
        out.append("- ")
        kind = type(item)
        if kind is dict and item:
            _mapping(item, indent + 2, out, inline=True)
        elif kind is list and item:
            _sequence(item, indent + 2, out, inline=True)
        else:
            _value(item, indent, indent + 2, out)
