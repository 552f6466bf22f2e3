"""Injected faults: the knobs the load generator turns to make each alert fire on purpose."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import asdict, dataclass, fields
from typing import Any


class InjectedError(Exception):
    """Raised by a request chosen to fail; the app turns it into a 500 (failure mode F8)."""


class DatabaseUnavailable(Exception):
    """The DB cannot be reached (real or injected); requests needing it answer 503."""


_RATES = frozenset({"error_rate", "loop_block_rate"})


@dataclass
class Faults:
    """Current fault settings; all zero/false means healthy."""

    error_rate: float = 0.0  # fraction of API requests answered with 500
    latency_seconds: float = 0.0  # added (async) to every API request
    loop_block_seconds: float = 0.0  # time.sleep() on the event loop per API request (F1)
    loop_block_rate: float = 1.0  # fraction of API requests that block the loop
    db_outage: bool = False  # every DB operation fails after holding its connection
    db_outage_hang_seconds: float = 0.2  # how long a failing operation holds the connection
    slow_queue_seconds: float = 0.0  # added to every background job, so the queue backs up

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, validating names and ranges (a typo must not pass silently)."""
        known = {f.name: f.type for f in fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            if name == "db_outage":
                if not isinstance(value, bool):
                    raise ValueError("db_outage must be true or false")
            elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a number >= 0")
            elif name in _RATES and value > 1:
                raise ValueError(f"{name} must be between 0 and 1")
            elif name not in _RATES and value > 30:
                raise ValueError(f"{name} must be at most 30 seconds")
        for name, value in changes.items():
            setattr(self, name, value)
        self._refresh()

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)
        self._refresh()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _refresh(self) -> None:
        # Cached so the per-request check is one attribute read, not a dataclass comparison.
        self.active = bool(
            self.error_rate
            or self.latency_seconds
            or self.loop_block_seconds
            or self.db_outage
            or self.slow_queue_seconds
        )

    def __post_init__(self) -> None:
        self._block_credit = 0.0
        self._refresh()

    def _block_due(self) -> bool:
        """Evenly spaced, not random: rate 0.05 blocks exactly every 20th request."""
        self._block_credit += self.loop_block_rate
        if self._block_credit >= 1.0:
            self._block_credit -= 1.0
            return True
        return False

    async def apply_to_request(self) -> None:
        """Called at the start of each API request: latency, loop blocking, then errors."""
        if self.loop_block_seconds and self._block_due():
            time.sleep(self.loop_block_seconds)  # noqa: ASYNC251 -- the fault IS blocking the loop
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        if self.error_rate and random.random() < self.error_rate:
            raise InjectedError("injected failure")
