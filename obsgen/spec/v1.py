"""The ``obsgen/v1`` spec format: one validation pass over the located YAML
(:mod:`obsgen.spec.validate`, every problem recorded), then, only when there is none, a total
mapping of the checked data to the frozen model (:mod:`obsgen.spec.mapping`)."""

from __future__ import annotations

from obsgen.model import Project
from obsgen.spec import mapping, validate
from obsgen.spec.reader import Node

API_VERSION = validate.API_VERSION


def read_project(root: Node, source: str) -> Project | None:
    """The model of a spec, or None when the validation pass recorded any problem."""
    document = validate.project(root)
    if root.reader.problems or document is None:
        return None
    return mapping.project(document, source)
