"""obsgen: observability dashboards-as-code for FastAPI services."""

__version__ = "0.1.0"
