"""The CLI through Click's CliRunner: exit codes, messages, and what lands on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from obsgen import __version__
from obsgen.cli import main
from obsgen.spec import default_spec_text

BAD_SPEC = "apiVersion: obsgen/v1\nservices:\n  - name: profiles\n    slos:\n      - name: x\n        type: latency\n        objective: 99\n        threshold_seconds: 0.3\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_build_without_arguments_uses_the_bundled_spec_and_summarises(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["build"])
        assert result.exit_code == 0, result.output
        assert "spec: <bundled demo spec>" in result.output
        assert "recording rules" in result.output
        assert Path("build/prometheus/rules/profiles.recording.yaml").is_file()


def test_build_prefers_obsgen_yaml_in_the_working_directory(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["init", "catalog"]).exit_code == 0
        result = runner.invoke(main, ["build"])
        assert result.exit_code == 0, result.output
        assert "spec: obsgen.yaml" in result.output
        assert Path("build/prometheus/rules/catalog.recording.yaml").is_file()


def test_check_passes_on_fresh_output_and_fails_listing_stale_files(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["build", "-o", "out"]).exit_code == 0
        assert runner.invoke(main, ["build", "-o", "out", "--check"]).exit_code == 0
        stale = Path("out/prometheus/rules/profiles.recording.yaml")
        stale.write_text(stale.read_text() + "# hand edit\n")
        Path("out/extra.yaml").write_text("x: 1\n")
        result = runner.invoke(main, ["build", "-o", "out", "--check"])
        assert result.exit_code == 1
        assert "changed  prometheus/rules/profiles.recording.yaml" in result.output
        assert "extra    extra.yaml" in result.output
        assert stale.read_text().endswith("# hand edit\n"), "--check must not write"


def test_check_reports_missing_output(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["build", "-o", "never-built", "--check"])
        assert result.exit_code == 1
        assert "missing  prometheus/rules/profiles.recording.yaml" in result.output
        assert not Path("never-built").exists()


def test_a_bad_spec_exits_2_with_a_located_line_and_leaves_output_untouched(
    runner: CliRunner,
) -> None:
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["build", "-o", "out"]).exit_code == 0
        before = {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()}
        Path("bad.yaml").write_text(BAD_SPEC)
        result = runner.invoke(main, ["build", "-c", "bad.yaml", "-o", "out"])
        assert result.exit_code == 2
        assert result.output.startswith(
            "error: bad.yaml:8 services[profiles].slos[x].threshold_seconds: 0.3 is not a bucket bound"
        )
        assert len(result.output.strip().splitlines()) == 1
        assert {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()} == before


def test_an_unknown_window_ratios_form_exits_2_naming_the_field(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        spec = default_spec_text().replace(
            "  min_request_rate: 0.1", "  window_ratios: cheap\n  min_request_rate: 0.1"
        )
        Path("obsgen.yaml").write_text(spec)
        line = spec.splitlines().index("  window_ratios: cheap") + 1
        result = runner.invoke(main, ["validate", "-c", "obsgen.yaml"])
        assert result.exit_code == 2
        assert result.output == (
            f"error: obsgen.yaml:{line} alerting.window_ratios: 'cheap' is not one of raw, "
            "recorded\n"
        )


def test_validate_writes_nothing(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["validate"])
        assert result.exit_code == 0
        assert "valid (1 services, 2 SLOs)" in result.output
        assert list(Path(".").iterdir()) == []


def test_validate_of_a_missing_file_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "-c", "/nonexistent/obsgen.yaml"])
    assert result.exit_code == 2
    assert result.output == "error: /nonexistent/obsgen.yaml: spec file not found\n"


def test_init_writes_a_valid_commented_spec_and_refuses_to_overwrite(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["init", "checkout", "-o", "my.yaml"]).exit_code == 0
        text = Path("my.yaml").read_text()
        assert text.count("\n#") + text.count("  #") > 10, "the starter spec explains itself"
        assert runner.invoke(main, ["validate", "-c", "my.yaml"]).exit_code == 0
        again = runner.invoke(main, ["init", "checkout", "-o", "my.yaml"])
        assert again.exit_code == 2
        assert "already exists" in again.output
        assert runner.invoke(main, ["init", "checkout", "-o", "my.yaml", "--force"]).exit_code == 0


def test_init_writes_a_spec_for_the_users_service_not_a_copy_of_the_demo(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["init", "Checkout_API"]).exit_code == 0
        spec = yaml.safe_load(Path("obsgen.yaml").read_text())
        (service,) = spec["services"]
        assert service["name"] == "checkout-api"
        assert service["selector"] == {"label": "job", "value": "checkout-api"}
        assert "kpis" not in service and "labels" not in spec and "runbooks" not in spec
        assert "profiles" not in Path("obsgen.yaml").read_text()


def test_init_demo_writes_the_bundled_spec(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["init", "--demo", "-o", "demo.yaml"]).exit_code == 0
        assert Path("demo.yaml").read_text() == default_spec_text()


@pytest.mark.parametrize("selector", ["job", "=x", "job="])
def test_init_rejects_a_selector_that_is_not_label_equals_value(
    runner: CliRunner, selector: str
) -> None:
    result = runner.invoke(main, ["init", "--selector", selector])
    assert result.exit_code == 2 and "expected LABEL=VALUE" in result.output


def test_an_unwritable_output_directory_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "file").write_text("x")
    result = runner.invoke(main, ["build", "-o", str(locked / "file" / "out")])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {locked / 'file' / 'out'}: cannot write output")


def test_a_foreign_non_empty_directory_is_never_replaced(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("precious")
    result = runner.invoke(main, ["build", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "was not written by obsgen" in result.output
    assert (tmp_path / "notes.txt").read_text() == "precious"


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"obsgen, version {__version__}"


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"obsgen {command}" in result.output


def test_output_does_not_depend_on_how_the_spec_path_was_typed(runner: CliRunner) -> None:
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["init"]).exit_code == 0
        assert runner.invoke(main, ["build", "-c", "obsgen.yaml", "-o", "out"]).exit_code == 0
        absolute = str(Path("obsgen.yaml").absolute())
        result = runner.invoke(main, ["build", "--check", "-c", absolute, "-o", "out"])
        assert result.exit_code == 0, result.output
        assert not any(absolute.encode() in p.read_bytes() for p in Path("out").rglob("*.json"))


def test_build_refuses_a_directory_holding_a_file_it_did_not_write_unless_forced(
    runner: CliRunner,
) -> None:
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["build", "-o", "out"]).exit_code == 0
        Path("out/notes.md").write_text("mine")
        result = runner.invoke(main, ["build", "-o", "out"])
        assert result.exit_code == 2
        assert result.output.startswith("error: out/notes.md: not written by obsgen")
        assert "--force" in result.output and Path("out/notes.md").read_text() == "mine"
        assert runner.invoke(main, ["build", "-o", "out", "--force"]).exit_code == 0
        assert not Path("out/notes.md").exists()
