"""The writer: atomic swap, nothing partial on failure, exact diff for --check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from obsgen.artifacts import HEADER, Artifact, serialize
from obsgen.errors import ObsgenError
from obsgen.writer import MARKER, diff_tree, read_tree, write_tree


def test_write_replaces_the_whole_tree_and_marks_it(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree({"a/one.yaml": b"1", "two.json": b"2"}, out)
    write_tree({"a/three.yaml": b"3"}, out)
    assert read_tree(out) == {"a/three.yaml": b"3"}
    assert (out / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"], "no staging leftovers"


def test_a_failure_mid_write_leaves_the_previous_output_intact(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_tree({"keep.yaml": b"old"}, out)
    # "x" as a file and "x/y" as a file cannot both exist: the second write fails half-way.
    with pytest.raises(ObsgenError, match="cannot write output"):
        write_tree({"x": b"file", "x/y": b"nested"}, out)
    assert read_tree(out) == {"keep.yaml": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_diff_names_missing_changed_and_extra_files(tmp_path: Path) -> None:
    write_tree({"same": b"1", "changed": b"old", "extra": b"x"}, tmp_path / "b")
    assert diff_tree({"same": b"1", "changed": b"new", "missing": b"m"}, tmp_path / "b") == [
        "changed  changed", "extra    extra", "missing  missing"]
    assert diff_tree({"same": b"1"}, tmp_path / "nothing") == ["missing  same"]


def test_a_yaml_artifact_comment_follows_the_header_as_comment_lines() -> None:
    text = serialize(Artifact("a/b.yaml", {"k": 1}, comment="first line\n\nthird line"),
                     "spec.yaml").decode()
    assert text.splitlines() == [
        "# " + HEADER.format(source="spec.yaml"), "# first line", "#", "# third line", "k: 1"]
    assert yaml.safe_load(text) == {"k": 1}


def test_a_comment_on_a_file_without_comments_is_a_renderer_bug() -> None:
    with pytest.raises(ValueError, match="only YAML"):
        serialize(Artifact("a/b.json", {"k": 1}, comment="lost"), "spec.yaml")
