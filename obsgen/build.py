"""Build orchestration: model → every renderer family → files, streamed or as one in-memory
tree. No I/O here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from obsgen.artifacts import Artifact, Output, iter_files, render_tree
from obsgen.model import Project

Renderer = Callable[[Project], Output]
StreamRenderer = Callable[[Project, list[str], dict[str, int]], Iterator[Artifact]]


def renderers() -> tuple[Renderer, ...]:
    """The renderer families, imported lazily so `obsgen validate` stays fast."""
    from alerts.render import render as render_alerts
    from dashboards.render import render as render_dashboards

    return (render_alerts, render_dashboards)


def stream_renderers() -> tuple[StreamRenderer, ...]:
    """The same families, yielding one service's artifacts at a time."""
    from alerts.render import render_stream as alerts_stream
    from dashboards.render import render_stream as dashboards_stream

    return (alerts_stream, dashboards_stream)


@dataclass
class BuildStream:
    """A build as it is produced: ``files`` yields (path, bytes, appended) once; ``notes``
    and ``counts`` are complete when it is exhausted."""

    files: Iterator[tuple[str, bytes, bool]]
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def stream(project: Project) -> BuildStream:
    """Every file of the build, rendered and serialized one at a time: what `obsgen build`
    writes, so memory stays flat however many services the spec has."""
    result = BuildStream(iter(()))

    def artifacts() -> Iterator[Artifact]:
        for render in stream_renderers():
            counts: dict[str, int] = {}
            yield from render(project, result.notes, counts)
            for key, value in counts.items():
                result.counts[key] = result.counts.get(key, 0) + value
        from obsgen.verify.collect import SERVICES_FILE, services_file

        yield Artifact(SERVICES_FILE, services_file(project))

    result.files = iter_files(artifacts(), project.source)
    return result


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


def summary(result: BuildResult | BuildStream, paths: list[str], out_dir: str) -> str:
    """The short report `obsgen build` prints: counts, where the files went, notes."""
    counted = ", ".join(f"{value} {key}" for key, value in result.counts.items())
    lines = [f"obsgen: wrote {len(paths)} files to {out_dir}/ ({counted})"]
    folders: dict[str, int] = {}
    for path in sorted(paths):
        folder = path.rsplit("/", 1)[0] if "/" in path else "."
        folders[folder] = folders.get(folder, 0) + 1
    lines += [f"  {folder}/: {count} files" for folder, count in folders.items()]
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)
