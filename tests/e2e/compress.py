"""Test-only time compression of generated rule files, so a game day fits in CI minutes.

Burn-rate alerts look at windows of 5m..3d and wait minutes (`for:`) before firing; symptom
alerts wait 5..30m. Waiting for that in real time would take hours per scenario, and the reset
(the short window draining) as long again. The game day therefore divides every range selector,
subquery range, offset and `for:` in the copies of the rule files it loads by one factor:
with 60, one game-day second stands for one production minute (5m → 5s, 1h → 1m, `for: 2m` →
2s). Ratios, thresholds, label sets and rule names are untouched, so the expressions Prometheus
evaluates are the generated ones on a faster clock. The generated files themselves are not
changed: `obsgen verify` still runs the real expressions.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from obsgen.durations import parse_duration

TIME_COMPRESSION = 60  # game-day seconds per production minute: 1 → 1
_DURATION = r"(?:\d+(?:ms|[smhdwy]))+"
_RANGE = re.compile(r"\[\s*(" + _DURATION + r")\s*(?::\s*(" + _DURATION + r")?\s*)?\]")
_OFFSET = re.compile(r"\boffset\s+(" + _DURATION + r")")


def compress_duration(text: str, factor: int = TIME_COMPRESSION) -> str:
    """``"5m"`` → ``"5s"`` for factor 60; sub-second results are written in milliseconds."""
    millis = round(parse_duration(text) * 1000 / factor)
    if millis <= 0:
        raise ValueError(f"{text} compressed by {factor} is zero")
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def compress_expr(expr: str, factor: int = TIME_COMPRESSION) -> str:
    """Every ``[range]``, ``[range:step]`` and ``offset d`` of a PromQL expression, compressed."""

    def _range(match: re.Match[str]) -> str:
        window = compress_duration(match.group(1), factor)
        if ":" not in match.group(0):
            return f"[{window}]"
        step = match.group(2)
        return f"[{window}:{compress_duration(step, factor) if step else ''}]"

    expr = _RANGE.sub(_range, expr)
    expr = _OFFSET.sub(lambda m: f"offset {compress_duration(m.group(1), factor)}", expr)
    return _compress_predict_horizon(expr, factor)


def _compress_predict_horizon(expr: str, factor: int) -> str:
    """``predict_linear(v[1h], 14400)``: the horizon is seconds ahead, so it shrinks too."""
    out, position = [], 0
    for match in re.finditer(r"\bpredict_linear\s*\(", expr):
        depth, comma = 1, -1
        for index in range(match.end(), len(expr)):
            char = expr[index]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth == 0:
                    break
            elif char == "," and depth == 1:
                comma = index
        else:
            raise ValueError(f"unbalanced predict_linear in {expr!r}")
        if comma < 0 or comma < position:
            continue
        horizon = float(expr[comma + 1 : index])
        out += [expr[position : comma + 1], f" {horizon / factor:g}"]
        position = index
    return "".join(out) + expr[position:]


def compress_rule_file(text: str, factor: int = TIME_COMPRESSION) -> str:
    """A rule file (YAML text) with every expression and `for:` compressed."""
    data: dict[str, Any] = yaml.safe_load(text)
    for group in data.get("groups", []):
        if "interval" in group:
            group["interval"] = compress_duration(str(group["interval"]), factor)
        for rule in group.get("rules", []):
            rule["expr"] = compress_expr(str(rule["expr"]), factor)
            for key in ("for", "keep_firing_for"):
                if key in rule:
                    rule[key] = compress_duration(str(rule[key]), factor)
    return yaml.safe_dump(data, sort_keys=False)
