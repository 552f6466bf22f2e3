"""Load and fault generator for the demo service (``python -m demo_service.loadgen``)."""

from demo_service.loadgen.scenarios import (
    SCENARIOS,
    Scenario,
    ScenarioHandle,
    UnsafeTarget,
    run_scenario,
    start_scenario,
)
from demo_service.loadgen.traffic import Summary

__all__ = [
    "SCENARIOS",
    "Scenario",
    "ScenarioHandle",
    "Summary",
    "UnsafeTarget",
    "run_scenario",
    "start_scenario",
]
