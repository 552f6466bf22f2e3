"""One check that reads every file of the stack and the generated build/ and cross-checks the
hostnames, ports, job name and datasource uids they share."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.stack.conftest import (
    BUILD_OUTPUTS,
    REPO,
    SERVICE,
    load_yaml,
    require_outputs,
)
from tests.stack.stackfiles import (
    env_map,
    healthcheck_url,
    host_port,
    listen_port,
    mounts,
    published_ports,
    walk,
)

DATASOURCE_UIDS = {"prometheus": "prometheus", "loki": "loki", "tempo": "tempo"}  # uid -> type
DASHBOARD_KINDS = ("executive", "oncall", "debug")


def _listen_ports(compose, collector, tempo, loki) -> dict[str, set[int]]:
    """Which ports each service really listens on, read from its own configuration."""
    services = compose["services"]
    receivers = collector["receivers"]["otlp"]["protocols"]
    telemetry = collector["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]
    ports: dict[str, set[int]] = {
        "demo-service": {int(env_map(services["demo-service"])["DEMO_PORT"])},
        "otel-collector": {listen_port(p["endpoint"]) for p in receivers.values()}
        | {telemetry["prometheus"]["port"]},
        "tempo": {
            tempo["server"]["http_listen_port"],
            listen_port(tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]),
        },
        "loki": {loki["server"]["http_listen_port"]},
    }
    command = services["runbooks"]["command"]
    ports["runbooks"] = {int(command[command.index("-p") + 1])}
    # No config file of ours sets these ports: their own healthcheck says where they listen.
    for name in ("prometheus", "alertmanager", "grafana"):
        url = healthcheck_url(services[name])
        assert url, name
        ports[name] = {host_port(url)[1]}
    return ports


BUNDLED_SPEC = REPO / "obsgen" / "specs" / "demo.yaml"  # what `obsgen build` builds by default


def _spec_services() -> dict[str, tuple[str, str]]:
    """service name -> (selector label, selector value) from the bundled spec."""
    services = {}
    for service in load_yaml(BUNDLED_SPEC)["services"]:
        selector = service.get("selector") or {"label": "job", "value": service["name"]}
        services[service["name"]] = (selector["label"], selector["value"])
    return services


def cross_check(build: Path, compose, collector, prometheus, tempo, loki) -> list[str]:
    problems: list[str] = []
    services = compose["services"]
    listens = _listen_ports(compose, collector, tempo, loki)

    def reference(where: str, address: str, aliases: dict[str, str] | None = None) -> None:
        host, port = host_port(address)
        host = (aliases or {}).get(host, host)
        if host not in services:
            problems.append(f"{where}: {address} names no compose service")
        elif port not in listens.get(host, set()):
            problems.append(f"{where}: {host} does not listen on {port} ({sorted(listens[host])})")

    # Published ports map onto ports the service listens on.
    for name, service in services.items():
        for port in published_ports(service):
            if port.target not in listens.get(name, set()):
                problems.append(f"compose: {name} publishes {port.target}, not a listen port")

    # Collector and demo service endpoints.
    for exporter_id, exporter in collector["exporters"].items():
        reference(f"collector exporter {exporter_id}", exporter["endpoint"])
    reference(
        "demo-service OTLP endpoint",
        env_map(services["demo-service"])["OTEL_EXPORTER_OTLP_ENDPOINT"],
    )

    # Prometheus scrape targets, Alertmanager, Tempo's remote write.
    jobs: dict[str, list[str]] = {}
    for job in prometheus["scrape_configs"]:
        targets = [t for sc in job.get("static_configs", []) for t in sc["targets"]]
        jobs[job["job_name"]] = targets
        for target in targets:
            reference(f"prometheus job {job['job_name']}", target, {"localhost": "prometheus"})
    for am in prometheus["alerting"]["alertmanagers"]:
        for target in (t for sc in am["static_configs"] for t in sc["targets"]):
            reference("prometheus alerting", target)
    for rw in tempo["metrics_generator"]["storage"]["remote_write"]:
        reference("tempo remote_write", rw["url"])

    # The spec's service: dashboards named after it, a scrape job of that name on the demo.
    dashboards = sorted((build / "dashboards").glob("*.json"))
    names = {p.stem.rsplit("-", 1)[0] for p in dashboards if p.stem.endswith(DASHBOARD_KINDS)}
    spec = _spec_services()
    if set(spec) != names:
        problems.append(f"spec services {sorted(spec)} != dashboard services {sorted(names)}")
    for service, (label, value) in spec.items():
        if label != "job" or [host_port(t)[0] for t in jobs.get(value, [])] != ["demo-service"]:
            problems.append(f"spec: {service} selects {label}={value!r}, no job scrapes the demo")
    for name in names:
        missing = [
            k for k in DASHBOARD_KINDS if not (build / "dashboards" / f"{name}-{k}.json").exists()
        ]
        if missing:
            problems.append(f"dashboards: {name} lacks {missing}")
        if [host_port(t)[0] for t in jobs.get(name, [])] != ["demo-service"]:
            problems.append(f"prometheus: no job {name!r} scraping demo-service")
    if not names:
        problems.append("build/dashboards has no <service>-{executive,oncall,debug}.json")

    # Grafana datasources: fixed uids, urls on compose services, correlations between them.
    provisioning = build / "grafana" / "provisioning"
    datasources = [
        ds
        for f in sorted((provisioning / "datasources").glob("*.y*ml"))
        for ds in (load_yaml(f) or {}).get("datasources", [])
    ]
    by_uid = {ds.get("uid"): ds for ds in datasources}
    for uid, kind in DATASOURCE_UIDS.items():
        if uid not in by_uid:
            problems.append(f"datasources: no uid {uid!r}")
        elif by_uid[uid]["type"] != kind:
            problems.append(f"datasources: {uid} has type {by_uid[uid]['type']}")
    for ds in datasources:
        reference(f"datasource {ds.get('uid')}", ds["url"])
        for key, value in walk(ds.get("jsonData", {})):
            if key == "datasourceUid" and value not in by_uid:
                problems.append(f"datasource {ds.get('uid')}: correlation to unknown uid {value}")
    expected_links = {
        ("prometheus", "exemplarTraceIdDestinations"): "tempo",
        ("loki", "derivedFields"): "tempo",
        ("tempo", "tracesToLogsV2"): "loki",
        ("tempo", "tracesToMetrics"): "prometheus",
    }
    for (uid, key), target in expected_links.items():
        links = by_uid.get(uid, {}).get("jsonData", {}).get(key)
        targets = {v for k, v in walk(links) if k == "datasourceUid"}
        if target not in targets:
            problems.append(f"datasource {uid}: {key} does not link to {target}")

    # The dashboards provider reads the directory compose mounts build/dashboards into.
    grafana_mounts = {m.source: m.target for m in mounts(services["grafana"])}
    dashboards_target = grafana_mounts.get("../build/dashboards")
    providers = [
        p
        for f in sorted((provisioning / "dashboards").glob("*.y*ml"))
        for p in (load_yaml(f) or {}).get("providers", [])
    ]
    if [p["options"]["path"] for p in providers] != [dashboards_target]:
        problems.append(f"dashboard providers do not read {dashboards_target}")
    if grafana_mounts.get("../build/grafana/provisioning") != "/etc/grafana/provisioning":
        problems.append("grafana: provisioning is not mounted at /etc/grafana/provisioning")

    # File-provisioned dashboards must name real datasource uids (no unresolved ${DS_...}).
    for path in dashboards:
        for key, value in walk(json.loads(path.read_text(encoding="utf-8"))):
            if key != "datasource" or not isinstance(value, dict) or "uid" not in value:
                continue
            uid = str(value["uid"])
            if uid.startswith("${DS_"):  # an __inputs placeholder: only UI import resolves it
                problems.append(f"{path.name}: unresolved import placeholder {uid!r}")
            elif not uid.startswith(("$", "-- ")) and uid not in by_uid:  # $var, -- Mixed --
                problems.append(f"{path.name}: datasource uid {uid!r} is not provisioned")

    # Every generated rule file is one Prometheus loads (a .yml would be silently skipped).
    rules = sorted(p for p in (build / "prometheus" / "rules").iterdir() if p.is_file())
    if not rules:
        problems.append("build/prometheus/rules is empty")
    for rule_file in rules:
        if not any(fnmatch.fnmatch(f"rules/{rule_file.name}", g) for g in prometheus["rule_files"]):
            problems.append(f"prometheus rule_files does not load {rule_file.name}")

    # Every job="..." a generated query selects is a job Prometheus scrapes.
    texts = [p.read_text(encoding="utf-8") for p in dashboards]
    texts += [
        p.read_text(encoding="utf-8") for p in (build / "prometheus" / "rules").glob("*.y*ml")
    ]
    for text in texts:
        for job in set(re.findall(r'job\s*=\s*\\?"([^"\\$]+)\\?"', text)):
            if job not in jobs:
                problems.append(f"a generated query selects job={job!r}, which nothing scrapes")
    return problems


def test_the_stack_agrees_with_a_contract_shaped_build(
    contract_build, compose, collector, prometheus, tempo, loki
):
    assert cross_check(contract_build, compose, collector, prometheus, tempo, loki) == []


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        pytest.param(
            lambda b: _edit_datasources(
                b, lambda ds: ds.update(url="http://loki:3101") if ds["uid"] == "loki" else None
            ),
            "loki does not listen on 3101",
            id="datasource url on the wrong port",
        ),
        pytest.param(
            lambda b: _edit_datasources(
                b, lambda ds: ds.update(uid="Tempo") if ds["uid"] == "tempo" else None
            ),
            "no uid 'tempo'",
            id="datasource uid renamed",
        ),
        pytest.param(
            lambda b: (b / "dashboards" / f"{SERVICE}-debug.json").rename(
                b / "dashboards" / "orders-debug.json"
            ),
            "no job 'orders'",
            id="dashboards for a service nothing scrapes",
        ),
        pytest.param(
            lambda b: next((b / "prometheus" / "rules").iterdir()).rename(
                b / "prometheus" / "rules" / "alerts.yml"
            ),
            "does not load alerts.yml",
            id="a rule file Prometheus would skip",
        ),
        pytest.param(
            lambda b: _edit_dashboard(b, "${DS_PROMETHEUS}"),
            "unresolved import placeholder",
            id="dashboard keeps an __inputs placeholder",
        ),
    ],
)
def test_the_cross_check_catches_disagreement(
    contract_build, compose, collector, prometheus, tempo, loki, breakage, expected
):
    breakage(contract_build)
    problems = cross_check(contract_build, compose, collector, prometheus, tempo, loki)
    assert any(expected in p for p in problems), problems


def test_the_stack_agrees_with_the_generated_build(
    generated_build, compose, collector, prometheus, tempo, loki
):
    require_outputs(generated_build, *BUILD_OUTPUTS)
    assert cross_check(generated_build, compose, collector, prometheus, tempo, loki) == []


def _edit_datasources(build: Path, edit: Any) -> None:
    path = build / "grafana" / "provisioning" / "datasources" / "obsgen.yaml"
    data = load_yaml(path)
    for ds in data["datasources"]:
        edit(ds)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def _edit_dashboard(build: Path, uid: str) -> None:
    path = build / "dashboards" / f"{SERVICE}-oncall.json"
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    dashboard["panels"][0]["datasource"]["uid"] = uid
    path.write_text(json.dumps(dashboard), encoding="utf-8")


def test_the_stack_agrees_with_what_the_generator_writes_so_far(
    generated_build, contract_build, compose, collector, prometheus, tempo, loki
):
    """Every output `obsgen build` already writes replaces its contract-shaped stand-in."""
    written = [o for o in BUILD_OUTPUTS if (generated_build.parent / o).exists()]
    assert written, "obsgen build wrote none of the outputs the stack mounts"
    for output in written:
        relative = Path(output).relative_to("build")
        target = contract_build / relative
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        source = generated_build / relative
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    assert cross_check(contract_build, compose, collector, prometheus, tempo, loki) == []
