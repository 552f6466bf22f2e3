"""The Collector config: pipelines are closed over defined components, endpoints hit services."""

from __future__ import annotations

import pytest

from tests.stack.stackfiles import (
    component_type,
    env_map,
    healthcheck_url,
    host_port,
    listen_port,
    published_ports,
)

KINDS = ("receivers", "processors", "exporters")


def test_every_pipeline_references_only_defined_components(collector):
    pipelines = collector["service"]["pipelines"]
    assert {"traces", "logs"} <= set(pipelines)
    for name, pipeline in pipelines.items():
        assert pipeline.get("receivers") and pipeline.get("exporters"), name
        for kind in KINDS:
            for component in pipeline.get(kind, []):
                assert component in collector.get(kind, {}), f"{name}: undefined {component}"


def test_every_defined_component_is_used(collector):
    pipelines = collector["service"]["pipelines"].values()
    for kind in KINDS:
        used = {c for p in pipelines for c in p.get(kind, [])}
        unused = set(collector.get(kind, {})) - used
        assert not unused, f"defined but unused {kind}: {sorted(unused)}"
    extensions = set(collector.get("extensions", {}))
    assert extensions == set(collector["service"].get("extensions", []))


def test_memory_limiter_runs_first_in_every_pipeline(collector):
    for name, pipeline in collector["service"]["pipelines"].items():
        assert pipeline["processors"][0] == "memory_limiter", name


@pytest.mark.parametrize(
    ("pipeline", "service", "port_of"),
    [
        pytest.param(
            "traces",
            "tempo",
            lambda tempo, loki: listen_port(
                tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
            ),
            id="traces go to Tempo's OTLP gRPC receiver",
        ),
        pytest.param(
            "logs",
            "loki",
            lambda tempo, loki: loki["server"]["http_listen_port"],
            id="logs go to Loki's HTTP port",
        ),
    ],
)
def test_exporters_point_at_the_backend_services(
    collector, compose, tempo, loki, pipeline, service, port_of
):
    exporters = collector["service"]["pipelines"][pipeline]["exporters"]
    assert len(exporters) == 1
    exporter = collector["exporters"][exporters[0]]
    host, port = host_port(exporter["endpoint"])
    assert host == service and host in compose["services"]
    assert port == port_of(tempo, loki)


def test_logs_use_lokis_native_otlp_endpoint_over_http(collector):
    exporter_id = collector["service"]["pipelines"]["logs"]["exporters"][0]
    # Loki's native OTLP ingestion is HTTP only; the exporter appends /v1/logs itself.
    assert component_type(exporter_id) in {"otlp_http", "otlphttp"}
    assert collector["exporters"][exporter_id]["endpoint"].endswith("/otlp")


def test_demo_service_exports_to_the_collectors_grpc_receiver(collector, compose):
    env = env_map(compose["services"]["demo-service"])
    host, port = host_port(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert host == "otel-collector" and host in compose["services"]
    grpc = collector["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert port == listen_port(grpc)
    assert env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") == "grpc"


def test_receivers_listen_on_all_interfaces_and_match_published_ports(collector, compose):
    service = compose["services"]["otel-collector"]
    targets = {p.target for p in published_ports(service)}
    for protocol in ("grpc", "http"):
        endpoint = collector["receivers"]["otlp"]["protocols"][protocol]["endpoint"]
        assert endpoint.startswith("0.0.0.0:"), f"{protocol} receiver unreachable from others"
        assert listen_port(endpoint) in targets


def test_own_telemetry_is_exposed_where_prometheus_scrapes_it(collector, prometheus):
    readers = collector["service"]["telemetry"]["metrics"]["readers"]
    exporter = readers[0]["pull"]["exporter"]["prometheus"]
    assert exporter["host"] == "0.0.0.0"
    job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "otel-collector")
    targets = [t for sc in job["static_configs"] for t in sc["targets"]]
    assert targets == [f"otel-collector:{exporter['port']}"]


def test_healthcheck_probes_the_health_check_extension(collector, compose):
    url = healthcheck_url(compose["services"]["otel-collector"])
    assert url is not None
    assert host_port(url)[1] == listen_port(collector["extensions"]["health_check"]["endpoint"])
