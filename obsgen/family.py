"""A renderer family's shape: files before the services, each service's files, files after.

Both families (alerts, dashboards) render most of their output one service at a time and
independently of the other services; saying so in this shape lets the build stream a service's
files as soon as they exist and render services in parallel processes (:mod:`obsgen.build`).
Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from obsgen.artifacts import Artifact, Output
from obsgen.model import Project, Service


@dataclass
class ServiceOutput:
    """One service's share of a family: its files, summary notes and counts, and ``carry``,
    what the family's tail needs from it (picklable: it may come from a worker process)."""

    artifacts: list[Artifact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    carry: Any = None


@dataclass(frozen=True)
class Family:
    """``head`` files come first (a file the services append to starts there), then each
    service's, then ``tail``'s, which sees every service's carry in spec order."""

    head: Callable[[Project], Iterator[Artifact]]
    service: Callable[[Project, Service], ServiceOutput]
    tail: Callable[[Project, list[Any]], Iterator[Artifact]]
    counts: tuple[str, ...]  # keys reported even when the spec has no service


def merge_counts(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, value in counts.items():
        into[key] = into.get(key, 0) + value


def add_notes(into: dict[str, None], notes: list[str]) -> None:
    """Notes in order, each once (the same panel skipped in three dashboards is one note)."""
    into.update(dict.fromkeys(notes))


def render_family(family: Family, project: Project) -> Output:
    """The whole family in one process, in memory (what `verify` and the tests read)."""
    artifacts = list(family.head(project))
    notes: dict[str, None] = {}
    counts = dict.fromkeys(family.counts, 0)
    carries = []
    for service in project.services:
        output = family.service(project, service)
        artifacts += output.artifacts
        add_notes(notes, output.notes)
        merge_counts(counts, output.counts)
        carries.append(output.carry)
    artifacts += family.tail(project, carries)
    return Output(artifacts=tuple(artifacts), notes=tuple(notes), counts=counts)
