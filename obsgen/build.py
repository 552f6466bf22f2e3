"""Build orchestration: model → every renderer family → one in-memory tree. No I/O here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from obsgen.artifacts import Artifact, Output, render_tree
from obsgen.model import Project

Renderer = Callable[[Project], Output]


def renderers() -> tuple[Renderer, ...]:
    """The renderer families, imported lazily so `obsgen validate` stays fast."""
    from alerts.render import render as render_alerts
    from dashboards.render import render as render_dashboards

    return (render_alerts, render_dashboards)


@dataclass(frozen=True)
class BuildResult:
    tree: dict[str, bytes]  # relative path → file content
    notes: tuple[str, ...]
    counts: dict[str, int]


def build(project: Project) -> BuildResult:
    artifacts: list[Artifact] = []
    notes: list[str] = []
    counts: dict[str, int] = {}
    for render in renderers():
        output = render(project)
        artifacts.extend(output.artifacts)
        notes.extend(output.notes)
        for key, value in output.counts.items():
            counts[key] = counts.get(key, 0) + value
    from obsgen.verify.collect import SERVICES_FILE, services_file

    artifacts.append(Artifact(SERVICES_FILE, services_file(project)))
    return BuildResult(render_tree(artifacts, project.source), tuple(notes), counts)


def summary(result: BuildResult, out_dir: str) -> str:
    """The short report `obsgen build` prints: counts, where the files went, notes."""
    counted = ", ".join(f"{value} {key}" for key, value in result.counts.items())
    lines = [f"obsgen: wrote {len(result.tree)} files to {out_dir}/ ({counted})"]
    folders: dict[str, int] = {}
    for path in result.tree:
        folder = path.rsplit("/", 1)[0] if "/" in path else "."
        folders[folder] = folders.get(folder, 0) + 1
    lines += [f"  {folder}/: {count} files" for folder, count in folders.items()]
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)
