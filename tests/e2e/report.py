"""The game day's timings table: per scenario, each required alert's receiver and times."""

from __future__ import annotations

from tests.e2e.compress import TIME_COMPRESSION
from tests.e2e.gameday import Outcome


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def timings_table(outcomes: list[Outcome], total_seconds: float) -> str:
    """Detection = fault start → firing at the webhook; reset = fault undone → resolved there."""
    rows = [("SCENARIO", "ALERT", "RECEIVER", "DETECT s", "RESET s", "ALSO FIRED")]
    for outcome in outcomes:
        names = list(outcome.detection) or ["(none detected)"]
        for index, name in enumerate(names):
            also = (
                ", ".join(f"{n}→{r}" for n, r in sorted(outcome.other_alerts.items()))
                if index == 0
                else ""
            )
            rows.append(
                (
                    outcome.scenario if index == 0 else "",
                    name,
                    outcome.receivers.get(name, "-"),
                    _seconds(outcome.detection.get(name)),
                    _seconds(outcome.reset.get(name)),
                    also,
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1]
        for row in rows
    ]
    lines.append(
        f"(rules time-compressed {TIME_COMPRESSION}x: 1 s here = {TIME_COMPRESSION} s of "
        f"production windows and `for:`; game day ran {total_seconds:.0f} s)"
    )
    return "\n".join(lines)
