"""The real promtool and amtool on the Prometheus config (with rule files in place) and on the
generated Alertmanager config."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.stack.conftest import PROMETHEUS_FILE, require_outputs


def _stage_prometheus(tmp_path: Path, rules_dir: Path) -> Path:
    """prometheus.yml and its rules laid out as in the container: <dir>/prometheus.yml and
    <dir>/rules/ (rule_files is relative to the config file)."""
    root = tmp_path / "etc-prometheus"
    root.mkdir()
    shutil.copy(PROMETHEUS_FILE, root / "prometheus.yml")
    shutil.copytree(rules_dir, root / "rules")
    return root / "prometheus.yml"


def _promtool_check_config(config: Path) -> subprocess.CompletedProcess[str]:
    promtool = require_tool("promtool")
    return subprocess.run(
        [promtool, "check", "config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _assert_rules_checked(proc: subprocess.CompletedProcess[str], rules: list[Path]) -> None:
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert rules, "no rule files to check"
    # A glob that matches nothing passes silently, so insist that every file was read.
    for rule_file in rules:
        assert f"rules/{rule_file.name}" in output, f"{rule_file.name} not checked:\n{output}"
    assert output.count("SUCCESS") >= len(rules) + 1


def test_promtool_accepts_the_config_with_contract_shaped_rules(tmp_path, contract_build):
    rules_dir = contract_build / "prometheus" / "rules"
    config = _stage_prometheus(tmp_path, rules_dir)
    _assert_rules_checked(_promtool_check_config(config), sorted(rules_dir.glob("*.yaml")))


def test_promtool_rejects_the_config_when_a_rule_file_is_broken(tmp_path, contract_build):
    rules_dir = contract_build / "prometheus" / "rules"
    (rules_dir / "broken.yaml").write_text(
        "groups:\n  - name: broken\n    rules:\n      - record: x\n        expr: rate(\n",
        encoding="utf-8",
    )
    proc = _promtool_check_config(_stage_prometheus(tmp_path, rules_dir))
    assert proc.returncode != 0
    assert "broken.yaml" in proc.stdout + proc.stderr


def test_promtool_accepts_the_config_with_the_generated_rules(tmp_path, generated_build):
    require_outputs(generated_build, "build/prometheus/rules")
    rules_dir = generated_build / "prometheus" / "rules"
    config = _stage_prometheus(tmp_path, rules_dir)
    _assert_rules_checked(_promtool_check_config(config), sorted(rules_dir.glob("*.yaml")))


def _amtool_check_config(config: Path) -> subprocess.CompletedProcess[str]:
    amtool = require_tool("amtool")
    return subprocess.run(
        [amtool, "check-config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_amtool_rejects_a_route_to_an_undefined_receiver(contract_build):
    config = contract_build / "alertmanager" / "alertmanager.yml"
    config.write_text("route:\n  receiver: nobody\nreceivers:\n  - name: default\n")
    proc = _amtool_check_config(config)
    assert proc.returncode != 0, proc.stdout + proc.stderr


def test_amtool_accepts_the_generated_alertmanager_config(generated_build):
    require_outputs(generated_build, "build/alertmanager/alertmanager.yml")
    proc = _amtool_check_config(generated_build / "alertmanager" / "alertmanager.yml")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "SUCCESS" in output


@pytest.mark.parametrize("tool", ["promtool", "amtool"])
def test_the_checks_use_real_binaries(tool):
    path = require_tool(tool)
    proc = subprocess.run(
        [path, "--version"], check=False, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0 and "version" in (proc.stdout + proc.stderr)
