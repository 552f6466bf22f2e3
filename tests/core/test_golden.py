"""Golden trees: the whole build output for the bundled spec and for the instrumentator preset.

Regenerate with `./scripts/test tests/core/test_golden.py --update-golden` and review the diff.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from obsgen.build import build
from obsgen.spec import load_file
from obsgen.writer import read_tree
from tests.conftest import require_tool

HERE = Path(__file__).parent
SPECS = {"demo": None, "instrumentator": HERE.parent / "specs" / "instrumentator.yaml"}


def built(name: str) -> dict[str, bytes]:
    spec = SPECS[name]
    project = load_file(spec) if spec is None else load_file(spec.relative_to(HERE.parent.parent))
    return build(project).tree


@pytest.mark.parametrize("name", sorted(SPECS))
def test_build_output_matches_the_reviewed_golden_tree(name: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE.parent.parent)
    tree = built(name)
    golden = HERE.parent / "golden" / name
    if update_golden:
        shutil.rmtree(golden, ignore_errors=True)
        for path, content in tree.items():
            (golden / path).parent.mkdir(parents=True, exist_ok=True)
            (golden / path).write_bytes(content)
    expected = read_tree(golden)
    assert sorted(tree) == sorted(expected), "files differ from the golden tree; rerun with --update-golden and review"
    for path, content in tree.items():
        assert content == expected[path], f"{path} differs from golden; rerun with --update-golden and review"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_build_is_deterministic(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE.parent.parent)
    assert built(name) == built(name)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_generated_rule_file_passes_promtool_check_rules(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    promtool = require_tool("promtool")
    monkeypatch.chdir(HERE.parent.parent)
    rule_files = []
    for path, content in built(name).items():
        if path.startswith("prometheus/rules/"):
            target = tmp_path / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            rule_files.append(str(target))
    assert rule_files, "the build must produce rule files"
    result = subprocess.run([promtool, "check", "rules", *rule_files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(rule_files)
