"""The README's promises, run as a newcomer would: its build command in a fresh virtualenv."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_command(heading: str) -> str:
    """The first ```sh block under a README heading."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}", 1)[1]
    match = re.search(r"```sh\n(.+?)\n```", section, re.DOTALL)
    assert match, f"README section {heading!r} has no sh block"
    return match.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    command = readme_command("Run the whole test suite")
    assert command in (ROOT / ".ci" / "run").read_text()


def test_the_readme_build_command_works_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    command = readme_command("Install and build")
    checkout = tmp_path / "checkout"
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for relative in tracked:
        source = ROOT / relative
        if source.is_file():
            (checkout / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / relative)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=checkout,
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "obsgen: wrote" in result.stdout
    assert (checkout / "build" / ".obsgen").is_file()
    assert list((checkout / "build" / "prometheus" / "rules").glob("*.yaml"))
    assert sys.prefix not in (env_dir / "bin" / "obsgen").read_text(), (
        "obsgen must be installed in the venv"
    )
