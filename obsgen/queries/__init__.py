"""The one place that builds PromQL. Dashboards and alerts ask here; none spells a query itself.

- :mod:`obsgen.queries.base`: targets (service + selector) shared by rules and dashboards
- :mod:`obsgen.queries.http`: request rate, errors, latency quantiles, in-flight
- :mod:`obsgen.queries.slo`: SLI ratios, period ratio, budget, burn-rate alert conditions
- :mod:`obsgen.queries.runtime`: saturation and failure-mode signals (symptom alerts, panels)
"""
