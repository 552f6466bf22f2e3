"""Golden trees: the primary build outputs for the bundled spec and the instrumentator preset.

Only primary outputs are golden (rule files, promtool tests, dashboards, Alertmanager config,
provisioning, runbooks). Derived outputs re-encode them (the import variant of a dashboard, the
Kubernetes objects, Grafana-managed alert rules) and are tested as transformations of the
primary files, so one query edit moves one golden file, not six.

Regenerate with `./scripts/test tests/core/test_golden.py --update-golden` and review the diff.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dashboards.render import import_variant
from obsgen.build import build
from obsgen.spec import load_file
from obsgen.writer import read_tree
from tests.conftest import require_tool

HERE = Path(__file__).parent
SPECS = {"demo": None, "instrumentator": HERE.parent / "specs" / "instrumentator.yaml"}


DERIVED = ("dashboards-import/", "kubernetes/", "grafana/alerting/")


def primary(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {path: content for path, content in tree.items() if not path.startswith(DERIVED)}


def built(name: str) -> dict[str, bytes]:
    spec = SPECS[name]
    project = load_file(spec) if spec is None else load_file(spec.relative_to(HERE.parent.parent))
    return build(project).tree


@pytest.mark.parametrize("name", sorted(SPECS))
def test_build_output_matches_the_reviewed_golden_tree(
    name: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(HERE.parent.parent)
    tree = primary(built(name))
    golden = HERE.parent / "golden" / name
    if update_golden:
        shutil.rmtree(golden, ignore_errors=True)
        for path, content in tree.items():
            (golden / path).parent.mkdir(parents=True, exist_ok=True)
            (golden / path).write_bytes(content)
    expected = read_tree(golden)
    assert sorted(tree) == sorted(expected), (
        "files differ from the golden tree; rerun with --update-golden and review"
    )
    for path, content in tree.items():
        assert content == expected[path], (
            f"{path} differs from golden; rerun with --update-golden and review"
        )


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_build_is_deterministic(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE.parent.parent)
    assert built(name) == built(name)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_generated_rule_file_passes_promtool_check_rules(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    result = subprocess.run(
        [promtool, "check", "rules", *rule_files], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(rule_files)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_derived_outputs_re_encode_the_primary_ones(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(HERE.parent.parent)
    tree = built(name)
    project = load_file(SPECS[name] and SPECS[name].relative_to(HERE.parent.parent))
    dashboards = {
        p.removeprefix("dashboards/"): json.loads(c)
        for p, c in tree.items()
        if p.startswith("dashboards/")
    }
    assert dashboards
    for file, data in dashboards.items():
        assert json.loads(tree[f"dashboards-import/{file}"]) == import_variant(data)
    (configmaps,) = [
        yaml.safe_load(c) for p, c in tree.items() if p.startswith("kubernetes/dashboards")
    ]
    assert {
        f: json.loads(text) for item in configmaps["items"] for f, text in item["data"].items()
    } == dashboards
    for service in project.services:
        rules = [
            yaml.safe_load(tree[f"prometheus/rules/{service.name}.{kind}.yaml"])["groups"]
            for kind in ("recording", "alerts")
        ]
        crd = yaml.safe_load(tree[f"kubernetes/prometheusrule-{service.name}.yaml"])
        assert crd["spec"]["groups"] == rules[0] + rules[1]
        grafana = yaml.safe_load(tree[f"grafana/alerting/{service.name}.yaml"])
        assert [
            (r["title"], r["data"][0]["model"]["expr"], r["for"], r["labels"])
            for g in grafana["groups"]
            for r in g["rules"]
        ] == [
            (r["alert"], r["expr"], r.get("for", "0s"), r["labels"])
            for g in rules[1]
            for r in g["rules"]
        ]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_streamed_build_writes_the_bytes_of_the_in_memory_tree(name: str) -> None:
    from obsgen.build import stream

    project = load_file(SPECS[name])
    streamed: dict[str, bytes] = {}
    result = stream(project)
    for path, content, appended in result.files:
        streamed[path] = streamed[path] + content if appended else content
    in_memory = build(project)
    assert dict(sorted(streamed.items())) == in_memory.tree
    assert (tuple(result.notes), result.counts) == (in_memory.notes, in_memory.counts)
