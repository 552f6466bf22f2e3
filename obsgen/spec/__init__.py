"""Spec loading: file → located YAML → one validation pass → frozen :class:`Project`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path, PurePath

from obsgen.errors import ObsgenError, Problem, SpecError
from obsgen.model import Project
from obsgen.spec.reader import Node, Reader
from obsgen.spec.v1 import API_VERSION, read_project
from obsgen.yamlsrc import MAX_SPEC_BYTES, LocDict, load, too_large

__all__ = ["API_VERSION", "DEFAULT_SPEC_NAME", "default_spec_text", "load_file", "load_text"]

DEFAULT_SPEC_NAME = "obsgen.yaml"


def default_spec_text() -> str:
    """The bundled spec of the demo service (also what `obsgen init` writes)."""
    return (resources.files("obsgen") / "specs" / "demo.yaml").read_text()


def load_text(text: str, source: str) -> Project:
    """Validate spec text; raise :class:`SpecError` listing every problem found."""
    data = load(text, source)
    if not isinstance(data, LocDict):
        raise SpecError(
            [Problem(source, 1, "", "the spec must be a YAML mapping with apiVersion and services")]
        )
    reader = Reader(source)
    # generated files name the spec by file name only: output must not depend on how `-c` was typed
    project = read_project(Node(reader, data, ""), PurePath(source).name or source)
    if reader.problems or project is None:
        raise SpecError(reader.problems or [Problem(source, 1, "", "invalid spec")])
    return project


def load_file(path: Path | None) -> Project:
    """The project of ``path``, or of the bundled demo spec when ``path`` is None."""
    if path is None:
        return load_text(default_spec_text(), "<bundled demo spec>")
    try:
        with path.open("rb") as file:  # bounded read: `-c /dev/zero` must not fill memory
            raw = file.read(MAX_SPEC_BYTES + 1)
        if len(raw) > MAX_SPEC_BYTES:
            raise SpecError([too_large(str(path))])
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ObsgenError(f"{path}: spec file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ObsgenError(f"{path}: cannot read spec: {exc}") from None
    return load_text(text, str(path))
