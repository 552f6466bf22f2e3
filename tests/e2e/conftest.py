"""One long-lived game-day stack per module; logs kept and the timings table written at the end."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gameday import Outcome, traffic
from tests.e2e.report import timings_table
from tests.e2e.stack import Stack, gameday_stack, keep_logs, wait_until

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e-gameday"
WARMUP_SECONDS = 60.0


def _warm(stack: Stack) -> bool:
    """Scraped, the SLO recording rules produce values, and nothing fires from start-up."""
    up = stack.prometheus.query('up{job="profiles"} == 1')
    recorded = stack.prometheus.query("slo:sli_error:ratio_rate5m")
    return bool(up and recorded and not stack.firing() - stack.young_tickets())


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return []


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    outcomes: list[Outcome],
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("gameday")
    shutil.rmtree(ARTIFACTS / "logs", ignore_errors=True)  # a previous failure's logs would mislead
    failed_before = request.session.testsfailed
    started = time.monotonic()
    try:
        with gameday_stack(workdir) as live:
            warmup = traffic(  # so the SLIs have samples before the healthy phase
                live, "healthy", WARMUP_SECONDS, 10.0
            )
            try:
                assert wait_until(lambda: _warm(live), WARMUP_SECONDS, 1.0), (
                    f"stack not warm after {WARMUP_SECONDS}s: firing {live.firing()}"
                )
            finally:
                warmup.stop()
                warmup.result(30)
            yield live
    finally:
        table = timings_table(outcomes, time.monotonic() - started)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for folder in (workdir, ARTIFACTS):
            (folder / "timings.txt").write_text(table + "\n")
        print("\n" + table)
        if request.session.testsfailed > failed_before:
            copied = keep_logs(workdir, ARTIFACTS / "logs")
            print(f"\ngame day failed: {len(copied)} process logs kept in {ARTIFACTS / 'logs'}")
            for log in copied:
                print(
                    f"--- {log.name} (tail) ---\n" + "\n".join(log.read_text().splitlines()[-15:])
                )
