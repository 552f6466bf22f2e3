"""Burn-rate alerting policies: packaged data (``policies/*.yaml``), validated when loaded."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from obsgen.durations import parse_duration
from obsgen.model import Tier

SEVERITIES = ("page", "ticket")


def available() -> tuple[str, ...]:
    """Names of the packaged policies (file stems)."""
    folder = resources.files("obsgen") / "policies"
    return tuple(
        sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
    )


@cache
def load(name: str) -> tuple[Tier, ...]:
    """The tiers of a packaged policy. A broken packaged file is a bug: fail loudly."""
    text = (resources.files("obsgen") / "policies" / f"{name}.yaml").read_text()
    data = yaml.safe_load(text)
    tiers = []
    for raw in data["tiers"]:
        tier = Tier(
            name=str(raw["name"]),
            severity=str(raw["severity"]),
            budget_percent=float(raw["budget_percent"]),
            long_window=str(raw["long_window"]),
            short_window=str(raw["short_window"]),
            for_=str(raw["for"]),
        )
        if tier.severity not in SEVERITIES:
            raise ValueError(f"policy {name}: tier {tier.name}: severity {tier.severity!r}")
        if parse_duration(tier.short_window) >= parse_duration(tier.long_window):
            raise ValueError(f"policy {name}: tier {tier.name}: short window must be shorter")
        parse_duration(tier.for_, allow_zero=True)
        tiers.append(tier)
    return tuple(tiers)
