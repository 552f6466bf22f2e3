"""Tempo, Loki and Prometheus carry the settings the data flow depends on."""

from __future__ import annotations

from tests.stack.stackfiles import flag_values, healthcheck_url, host_port, mounts, published_ports


def _data_mount(compose, service: str) -> str:
    volumes = [m for m in mounts(compose["services"][service]) if m.kind == "volume"]
    data = [m.target for m in volumes if m.source.endswith("-data")]
    assert len(data) == 1, data
    return data[0]


def test_tempo_receives_otlp_grpc_on_all_interfaces(tempo):
    endpoint = tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert endpoint == "0.0.0.0:4317"


def test_tempo_metrics_generator_remote_writes_service_graph_and_span_metrics(tempo, compose):
    generator = tempo["metrics_generator"]
    [remote_write] = generator["storage"]["remote_write"]
    host, port = host_port(remote_write["url"])
    assert (host, port) == ("prometheus", 9090) and host in compose["services"]
    assert remote_write["url"].endswith("/api/v1/write")
    assert remote_write["send_exemplars"] is True
    processors = tempo["overrides"]["defaults"]["metrics_generator"]["processors"]
    assert {"service-graphs", "span-metrics"} <= set(processors)
    command = compose["services"]["prometheus"]["command"]
    assert "--web.enable-remote-write-receiver" in command


def test_tempo_keeps_every_path_on_its_data_volume(tempo, compose):
    data = _data_mount(compose, "tempo")
    paths = [
        tempo["storage"]["trace"]["wal"]["path"],
        tempo["storage"]["trace"]["local"]["path"],
        tempo["metrics_generator"]["storage"]["path"],
        tempo["metrics_generator"]["traces_storage"]["path"],
    ]
    assert tempo["storage"]["trace"]["backend"] == "local"
    for path in paths:
        assert path.startswith(data + "/"), path


def test_loki_accepts_native_otlp_logs(loki):
    assert loki["limits_config"]["allow_structured_metadata"] is True
    assert loki["auth_enabled"] is False  # single tenant: the Collector sends no X-Scope-OrgID
    [schema] = loki["schema_config"]["configs"]
    assert (schema["store"], schema["schema"]) == ("tsdb", "v13")


def test_loki_keeps_every_path_on_its_data_volume(loki, compose):
    data = _data_mount(compose, "loki")
    filesystem = loki["common"]["storage"]["filesystem"]
    paths = [
        loki["common"]["path_prefix"],
        *filesystem.values(),
        loki["compactor"]["working_directory"],
    ]
    for path in paths:
        assert path == data or path.startswith(data + "/"), path


def test_prometheus_stores_exemplars_and_loads_generated_rules(prometheus, compose):
    command = compose["services"]["prometheus"]["command"]
    assert "exemplar-storage" in ",".join(flag_values(command, "enable-feature")).split(",")
    assert prometheus["storage"]["exemplars"]["max_exemplars"] > 0
    [config] = flag_values(command, "config.file")
    config_dir = config.rsplit("/", 1)[0]
    rules_mount = next(
        m for m in mounts(compose["services"]["prometheus"]) if m.source.endswith("rules")
    )
    for pattern in prometheus["rule_files"]:
        resolved = pattern if pattern.startswith("/") else f"{config_dir}/{pattern}"
        assert resolved.startswith(rules_mount.target + "/"), resolved


def test_healthchecks_probe_each_backends_own_port(compose, tempo, loki):
    expected = {
        "tempo": tempo["server"]["http_listen_port"],
        "loki": loki["server"]["http_listen_port"],
        "prometheus": 9090,
        "alertmanager": 9093,
        "grafana": 3000,
        "demo-service": 8000,
    }
    for service, port in expected.items():
        url = healthcheck_url(compose["services"][service])
        assert url is not None, service
        assert host_port(url) == ("127.0.0.1", port), service


def test_listen_ports_are_the_published_targets(compose, tempo, loki):
    assert tempo["server"]["http_listen_port"] in {
        p.target for p in published_ports(compose["services"]["tempo"])
    }
    assert loki["server"]["http_listen_port"] in {
        p.target for p in published_ports(compose["services"]["loki"])
    }
