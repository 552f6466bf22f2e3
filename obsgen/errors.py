"""User-facing errors. All are Click exceptions, so the CLI prints one line each and exits 2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

import click


class ObsgenError(click.ClickException):
    """Any error caused by the user's input or environment (exit code 2, no traceback)."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=True)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a spec: where (file, line, field path) and what."""

    source: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        text = f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return _one_line(text)


def _one_line(text: str) -> str:
    """Escape control characters (a YAML key may hold a newline) so a problem stays one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class SpecError(ObsgenError):
    """A spec with one or more problems; each is printed on its own line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.source, p.line, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))

    def show(self, file: IO[Any] | None = None) -> None:
        for problem in self.problems:
            click.echo(f"error: {problem}", file=file, err=True)
