"""The closure `obsgen validate` promises, as a check: what a spec builds passes the real tools.

Shared by the reproducer regressions and the property test: build through the CLI, then run
`promtool check rules`, `promtool test rules` on the generated tests, `amtool check-config` and
the dashboard lint on the output.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from click.testing import CliRunner

from obsgen.cli import main
from tests.conftest import require_tool

ERROR_LINE = re.compile(r"^error: (?P<file>[^\s:]+)(:(?P<line>\d+))?( (?P<field>.+?))?: .+$")
# Only the fast page tier: the closure concerns what a spec value does to every artifact, and
# the slow tiers' promtool cases take half a minute on their own.
FAST_TIERS = (
    "  tiers:\n    page-slow: {enabled: false}\n    ticket-fast: {enabled: false}\n"
    "    ticket-slow: {enabled: false}\n"
)


def build(tmp: Path, text: str, *args: str) -> tuple[int, str]:
    """Exit code and output of `obsgen build -c tmp/spec.yaml -o tmp/out`, never a traceback."""
    (tmp / "spec.yaml").write_text(text)
    result = CliRunner().invoke(
        main, ["build", "-c", str(tmp / "spec.yaml"), "-o", str(tmp / "out"), *args]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output.replace(str(tmp) + "/", "")


def _run(*args: str) -> str:
    """The tool's output when it fails, else ""."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    return (
        "" if done.returncode == 0 else f"{args[0]} {args[1]}: {done.stdout}{done.stderr}"[-3000:]
    )


def tool_problems(out: Path, unit_tests: bool = True) -> list[str]:
    """What promtool, amtool and the dashboard lint say about a build (empty when clean)."""
    promtool, amtool = require_tool("promtool"), require_tool("amtool")
    rules = sorted(str(p) for p in (out / "prometheus" / "rules").glob("*.yaml"))
    tests = sorted(str(p) for p in (out / "prometheus" / "tests").glob("*.yaml"))
    problems = [_run(promtool, "check", "rules", *rules) if rules else ""]
    if unit_tests and tests:
        problems.append(_run(promtool, "test", "rules", *tests))
    problems.append(_run(amtool, "check-config", str(out / "alertmanager" / "alertmanager.yml")))
    lint = CliRunner().invoke(main, ["lint", str(out / "dashboards")])
    if lint.exit_code != 0:
        problems.append(f"obsgen lint: {lint.output}")
    return [p for p in problems if p]
