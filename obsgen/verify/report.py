"""Verify results as a terminal table or JSON."""

from __future__ import annotations

import json
from collections import Counter

from obsgen.verify.run import FAILURES, Result


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(results: list[Result]) -> str:
    rows = [("SOURCE", "ITEM", "RESULT", "DETAIL", "QUERY")]
    rows += [
        (_clip(r.source, 34), _clip(r.item, 40), r.status, _clip(r.detail, 60), _clip(r.query, 70))
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row))
        for row in rows
    ]
    counts = Counter(r.status for r in results)
    failed = sum(counts[s] for s in FAILURES)
    lines.append("")
    lines.append(
        ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + (f" — {failed} FAILED" if failed else " — all queries OK")
    )
    return "\n".join(lines)


def as_json(results: list[Result]) -> str:
    failed = sum(r.status in FAILURES for r in results)
    return json.dumps(
        {"ok": failed == 0, "failed": failed, "results": [r.as_dict() for r in results]},
        indent=2,
        sort_keys=True,
    )
