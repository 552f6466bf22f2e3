"""A build rendered by worker processes writes the bytes, notes and counts of one rendered
in-process, and a renderer failing in a worker fails the build with its own error."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from obsgen import build as build_module
from obsgen.build import PARALLEL_MIN_SERVICES, stream
from obsgen.cli import main
from obsgen.family import ServiceOutput
from obsgen.model import Project, Service
from obsgen.spec import default_spec_text, load_text
from obsgen.writer import write_files

SERVICES = PARALLEL_MIN_SERVICES + 3


def spec_text(count: int) -> str:
    data = yaml.safe_load(default_spec_text())
    first = data["services"][0]
    data["services"] = [
        {**first, "name": f"svc-{i}", "selector": {"label": "job", "value": f"svc-{i}"}}
        for i in range(count)
    ]
    return yaml.safe_dump(data, sort_keys=False)


def files_of(project: Project, jobs: int) -> tuple[dict[str, bytes], list[str], dict[str, int]]:
    result = stream(project, jobs)
    tree: dict[str, bytes] = {}
    for path, content, appended in result.files:
        tree[path] = tree[path] + content if appended else content
    return tree, result.notes, result.counts


def test_workers_write_what_one_process_writes() -> None:
    project = load_text(spec_text(SERVICES), "many.yaml")
    one = files_of(project, 1)
    assert one[1] == [] and one[2]["dashboards"] == 3 * SERVICES
    assert files_of(project, 2) == one
    assert files_of(project, 3) == one


def test_a_renderer_error_in_a_worker_is_the_builds_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Forked workers inherit the patched families, so the failure happens in a worker."""
    real = build_module.families()

    def failing(project: Project, service: Service) -> ServiceOutput:
        if service.name == "svc-5":
            raise ValueError("generated rules fail lint: svc-5")
        return real[0].service(project, service)

    patched = (dataclasses.replace(real[0], service=failing), *real[1:])
    monkeypatch.setattr(build_module, "families", lambda: patched)
    project = load_text(spec_text(SERVICES), "many.yaml")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="svc-5"):
        write_files(stream(project, 2).files, out)
    assert not out.exists()  # nothing swapped in
    assert list(tmp_path.iterdir()) == []  # and no staging directory left behind


def test_jobs_option_builds_the_same_tree(tmp_path: Path) -> None:
    spec = tmp_path / "many.yaml"
    spec.write_text(spec_text(SERVICES), encoding="utf-8")
    runner = CliRunner()
    trees = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        result = runner.invoke(main, ["build", "-c", str(spec), "-o", str(out), "-j", jobs])
        assert result.exit_code == 0, result.output
        trees.append(
            {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        )
    assert trees[0] == trees[1]
    assert len(trees[0]) > 10 * SERVICES
