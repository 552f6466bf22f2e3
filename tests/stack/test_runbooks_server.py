"""The stack's `runbooks` service: the compose command, run with a real busybox httpd over the
golden runbooks, serves every page the demo's alerts link to, as readable text."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_tool
from tests.demo_service.conftest import free_port
from tests.stack.conftest import REPO, STACK

GOLDEN = REPO / "tests" / "golden" / "demo"


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()


@pytest.fixture
def served(compose, tmp_path: Path):
    """The compose service's httpd command, on a free port, over a copy of the golden runbooks."""
    service = compose["services"]["runbooks"]
    command = list(service["command"])
    mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
    www = tmp_path / "www"
    shutil.copytree(GOLDEN / "runbooks", www)
    conf = (STACK / mounts["/etc/httpd.conf"]).resolve()
    port = free_port()
    args = {"-p": f"127.0.0.1:{port}", "-h": str(www), "-c": str(conf)}
    for i, arg in enumerate(command):
        if arg in args:
            command[i + 1] = args.pop(arg)
    assert not args, f"the compose command lacks {sorted(args)}"
    proc = subprocess.Popen([require_tool("busybox"), *command])
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                _get(base + "README.md")
                break
            except OSError:
                assert time.monotonic() < deadline, "busybox httpd did not start"
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(5)


def test_every_runbook_link_of_the_demo_alerts_opens_a_readable_page(served, compose) -> None:
    spec_base = yaml.safe_load((REPO / "obsgen/specs/demo.yaml").read_text())["runbooks"][
        "base_url"
    ]
    port = compose["services"]["runbooks"]["ports"][0].rsplit(":", 1)[1]
    assert spec_base == f"http://127.0.0.1:{port}/"  # the spec points at the stack's service
    rules = yaml.safe_load((GOLDEN / "prometheus/rules/profiles.alerts.yaml").read_text())
    urls = [r["annotations"]["runbook_url"] for g in rules["groups"] for r in g["rules"]]
    assert len(urls) > 10
    for url in urls:
        assert url.startswith(spec_base)
        status, content_type, text = _get(served + url[len(spec_base) :])
        assert status == 200 and content_type.startswith("text/plain"), (url, content_type)
        assert "\n# " in text  # the markdown itself, not a download


def test_the_server_runs_unprivileged_and_read_only(compose) -> None:
    service = compose["services"]["runbooks"]
    assert service["user"].split(":")[0] not in ("0", "root")
    assert all(v.endswith(":ro") for v in service["volumes"])
