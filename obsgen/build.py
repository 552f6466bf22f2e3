"""Build orchestration: model → every renderer family → files, streamed (one service at a time,
in worker processes when there are many) or as one in-memory tree. No file I/O here."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from typing import Any

from obsgen.artifacts import Artifact, PathCheck, content, render_tree
from obsgen.family import Family, ServiceOutput, add_notes, merge_counts, render_family
from obsgen.model import Project

PARALLEL_MIN_SERVICES = 8  # below this, starting worker processes costs what they save
_IN_FLIGHT_PER_JOB = 2  # services rendered ahead of the writer per worker: bounds memory

File = tuple[str, bytes, bool]  # (path, bytes, appended): what the writer takes


def families() -> tuple[Family, ...]:
    """The renderer families, imported lazily so `obsgen validate` stays fast."""
    from alerts.render import FAMILY as ALERTS
    from dashboards.render import FAMILY as DASHBOARDS

    return (ALERTS, DASHBOARDS)


def default_jobs() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class _ServiceFiles:
    """One service's files of every family, encoded, with each family's share of the rest."""

    files: list[File]
    outputs: list[ServiceOutput]  # artifacts emptied: their bytes are in ``files``


def _render_service(project: Project, index: int) -> _ServiceFiles:
    files: list[File] = []
    outputs = []
    for family in families():
        output = family.service(project, project.services[index])
        files += ((a.path, content(a, project.source), a.part) for a in output.artifacts)
        output.artifacts = []
        outputs.append(output)
    return _ServiceFiles(files, outputs)


_FORKED: Project | None = None  # the project a forked worker inherited


def _render_forked(index: int) -> _ServiceFiles:
    assert _FORKED is not None, "worker started without a project"
    return _render_service(_FORKED, index)


def _services_in_order(project: Project, jobs: int) -> Iterator[_ServiceFiles]:
    """Each service's files in spec order; with ``jobs`` > 1, rendered by that many forked
    processes, a few services ahead of the consumer and no more (the project is inherited
    through fork, only encoded files come back)."""
    count = len(project.services)
    if jobs <= 1 or count < PARALLEL_MIN_SERVICES or "fork" not in mp.get_all_start_methods():
        for index in range(count):
            yield _render_service(project, index)
        return
    global _FORKED
    _FORKED = project
    try:
        with mp.get_context("fork").Pool(min(jobs, count)) as pool:
            pending: deque[AsyncResult[_ServiceFiles]] = deque()
            for index in range(count):
                pending.append(pool.apply_async(_render_forked, (index,)))
                if len(pending) >= jobs * _IN_FLIGHT_PER_JOB:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    finally:
        _FORKED = None


@dataclass
class BuildStream:
    """A build as it is produced: ``files`` yields (path, bytes, appended) once; ``notes``
    and ``counts`` are complete when it is exhausted."""

    files: Iterator[File]
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def stream(project: Project, jobs: int = 1) -> BuildStream:
    """Every file of the build, rendered and serialized a service at a time: what `obsgen
    build` writes, so memory stays flat however many services the spec has. Each family's
    head, then every service's files (all families), then each family's tail; the bytes of
    each file are the same whatever ``jobs`` is."""
    result = BuildStream(iter(()))
    every = families()

    def files() -> Iterator[File]:
        check = PathCheck()
        notes: list[dict[str, None]] = [{} for _ in every]
        counts = [dict.fromkeys(f.counts, 0) for f in every]
        carries: list[list[Any]] = [[] for _ in every]
        for family in every:
            for artifact in family.head(project):
                yield check.file(artifact.path, artifact.part, content(artifact, project.source))
        for service in _services_in_order(project, jobs):
            for path, data, appended in service.files:
                yield check.file(path, appended, data)
            for index, output in enumerate(service.outputs):
                add_notes(notes[index], output.notes)
                merge_counts(counts[index], output.counts)
                carries[index].append(output.carry)
        for family, carry in zip(every, carries, strict=True):
            for artifact in family.tail(project, carry):
                yield check.file(artifact.path, artifact.part, content(artifact, project.source))
        from obsgen.verify.collect import SERVICES_FILE, services_file

        yield check.file(
            SERVICES_FILE,
            False,
            content(Artifact(SERVICES_FILE, services_file(project)), project.source),
        )
        for family_notes, family_counts in zip(notes, counts, strict=True):
            result.notes += family_notes
            merge_counts(result.counts, family_counts)

    result.files = files()
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
    for each in families():
        output = render_family(each, project)
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
