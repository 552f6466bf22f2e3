"""Many malformed specs: never a traceback, always exit 2 with located one-line errors, output untouched."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obsgen.cli import main
from obsgen.spec import default_spec_text

BASE = yaml.safe_load(default_spec_text())
MANIFEST = '{"files": ["previous.yaml"]}\n'  # a previous build's file, replaceable
ERROR_LINE = re.compile(r"^error: spec\.yaml(:\d+)?( .+?)?: .+$")
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, prefix + (index,))
    return found


ALL_PATHS = paths(BASE)


@st.composite
def mutated_specs(draw: st.DrawFn) -> str:
    """The bundled spec with one to three leaves or subtrees replaced by junk, or an extra key."""
    spec = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent = spec
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()):
                parent[path[-1]] = draw(JUNK)
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=6))] = draw(JUNK)
        except (KeyError, IndexError, TypeError):
            continue
    return yaml.safe_dump(spec, sort_keys=False)


def run_build(tmp: Path, text: str) -> tuple[int, str, dict[str, bytes]]:
    (tmp / "spec.yaml").write_text(text)
    runner = CliRunner()
    result = runner.invoke(main, ["build", "-c", str(tmp / "spec.yaml"), "-o", str(tmp / "out")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    tree = {
        p.relative_to(tmp).as_posix(): p.read_bytes()
        for p in (tmp / "out").rglob("*")
        if p.is_file()
    }
    return result.exit_code, result.output.replace(str(tmp) + "/", ""), tree


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=mutated_specs())
def test_a_mutated_spec_builds_or_fails_cleanly(tmp_path_factory: Any, text: str) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "out").mkdir()
    (tmp / "out" / ".obsgen").write_text(MANIFEST)
    (tmp / "out" / "previous.yaml").write_text("kept")
    code, output, tree = run_build(tmp, text)
    assert code in (0, 2), output
    if code == 2:
        assert output.strip(), "an error must say something"
        for line in output.strip().splitlines():
            assert ERROR_LINE.match(line), line
        assert tree == {"out/.obsgen": MANIFEST.encode(), "out/previous.yaml": b"kept"}


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_arbitrary_text_is_rejected_with_exit_2(tmp_path_factory: Any, text: str) -> None:
    tmp = tmp_path_factory.mktemp("junk")
    code, output, tree = run_build(tmp, text)
    assert code == 2, output
    assert all(ERROR_LINE.match(line) for line in output.strip().splitlines()), output
    assert tree == {}
