"""The fast encoders write exactly what the standard ones would: `obsgen build`'s bytes do not
depend on which library encoded them (orjson for JSON, a direct node tree for YAML)."""

from __future__ import annotations

import json
import math
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from obsgen import yamlblock
from obsgen.artifacts import _Dumper, copy_data, indented_yaml, to_json, to_yaml

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["", "1e5", "0.00001", "true", "null", "~", "- x", "a: b", "x\ny\n", " lead", "trail ", "#"]
)
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [1e-9, 2.5e-5, 1e-5, 1e-4, 1e16, 1e22, -1e-7, 0.0, -0.0, 5e-324, 1.7976931348623157e308]
)
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | FLOATS | TEXT
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=30,
)


def standard_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def standard_yaml(data: Any) -> str:
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1000,
    )
    return text


@settings(max_examples=400, deadline=None)
@given(DATA)
def test_json_is_byte_identical_to_the_standard_encoder(data: Any) -> None:
    assert to_json(data) == standard_json(data)


@settings(max_examples=400, deadline=None)
@given(DATA)
def test_yaml_is_byte_identical_to_pyyaml_representer(data: Any) -> None:
    assert to_yaml(data) == standard_yaml(data)


def test_floats_python_writes_with_an_exponent_keep_that_spelling() -> None:
    data = {"le": 1e-9, "big": 1e16, "small": 2.5e-5, "list": [1e-5, "1e-5"], "x": 0.0001}
    text = to_json(data)
    assert '"le": 1e-09' in text and '"big": 1e+16' in text and '"small": 2.5e-05' in text
    assert text == standard_json(data)


def test_values_outside_json_take_the_standard_path() -> None:
    assert to_json({1: 2}) == standard_json({1: 2})
    assert to_json({"big": 10**30}) == standard_json({"big": 10**30})
    assert to_yaml({"nan": math.nan, "inf": -math.inf}) == standard_yaml(
        {"nan": math.nan, "inf": -math.inf}
    )


def test_copy_data_is_deep() -> None:
    original = {"a": [{"b": 1.5}], "c": None}
    copied = copy_data(original)
    assert copied == original
    copied["a"][0]["b"] = 2
    assert original["a"][0]["b"] == 1.5


LONG_TEXT = st.text(st.sampled_from("ab :#'\"\n-"), min_size=990, max_size=1010)
GROUP_LISTS = st.lists(
    st.dictionaries(TEXT, DATA | LONG_TEXT, min_size=1, max_size=4), min_size=1, max_size=3
)


@settings(max_examples=300, deadline=None)
@given(GROUP_LISTS)
def test_indented_yaml_is_what_the_emitter_writes_nested(groups: list[Any]) -> None:
    """The PrometheusRule nests its rule files' YAML under ``spec``: the same bytes as dumping
    it whole, or, for lines near the emitter's width, a refusal (then it is dumped whole)."""
    nested = indented_yaml(to_yaml({"groups": groups}).removeprefix("groups:\n"), 2)
    whole = to_yaml({"spec": {"groups": groups}})
    assert nested is None or whole == "spec:\n  groups:\n" + nested
    if all(len(line) < 990 for line in whole.splitlines()):
        assert nested is not None


# Generated YAML is mostly ASCII: these exercise the direct writer's every rule (indicators,
# quotes, breaks, the resolver's other types, the characters libyaml will not write as is).
ASCII_TEXT = st.text(
    st.sampled_from(" abc:#-?'\"{}[],&*!|>%@`.\n09eE+_~/=<\t–é\xa0\ufeff\U0001f600\x85\u2028"),
    max_size=24,
) | (
    st.sampled_from(
        ["yes", "No", "on", "~", "null", "0x1F", "1_000", "1:20", ".inf", "2001-12-14", "<<", "="]
    )
)
ASCII_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | FLOATS | ASCII_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ASCII_TEXT, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=3000, deadline=None)
@given(ASCII_DATA)
def test_direct_yaml_writer_is_byte_identical_to_libyaml(data: Any) -> None:
    assert to_yaml(data) == standard_yaml(data)


def test_generated_files_take_the_direct_writer() -> None:
    """The build's YAML is written directly, not by the fallback (that is where its time goes)."""
    from obsgen.build import build
    from obsgen.spec import load_file

    tree = build(load_file(None)).tree
    documents = [
        yaml.safe_load(content) for path, content in tree.items() if path.endswith(".yaml")
    ]
    for document in documents:
        assert yamlblock.dump(document) == standard_yaml(document)
