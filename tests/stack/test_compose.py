"""The compose file: schema, network exposure, images, health, resources, secrets, mounts."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

from tests.stack.conftest import BUILD_OUTPUTS, COMPOSE_FILE, DEMO_DOCKERFILE, REPO, STACK
from tests.stack.stackfiles import env_map, flag_values, mounts, published_ports

# Vendored verbatim (tests have no network) from compose-spec/compose-spec (Apache-2.0),
# schema/compose-spec.json at commit 00655e2222608fa6eaecdf12ac5195889ca2244a.
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
# Exact release tags only: 1.2.3, v1.2.3, 1.2.3-musl. Not `latest`, not a floating `3` or `3.13`.
EXACT_TAG = re.compile(r"^v?\d+\.\d+\.\d+(-[a-z0-9.]+)?$")
# Where each stateful service keeps its data (must be a named volume so a restart loses nothing).
DATA_PATHS = {
    "prometheus": "/prometheus",
    "alertmanager": "/alertmanager",
    "grafana": "/var/lib/grafana",
    "tempo": "/var/tempo",
    "loki": "/loki",
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_is_valid_against_the_compose_spec_schema(validator, compose):
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(lambda c: c["services"]["grafana"].update(helthcheck={}), id="misspelt key"),
        pytest.param(
            lambda c: c["services"]["prometheus"]["depends_on"]["alertmanager"].update(
                condition="service_up"
            ),
            id="unknown depends_on condition",
        ),
    ],
)
def test_schema_rejects_a_broken_compose_file(validator, compose, mutation):
    broken = copy.deepcopy(compose)
    mutation(broken)
    assert list(validator.iter_errors(broken)), "the vendored schema accepted an invalid file"


def test_every_published_port_is_bound_to_loopback(compose):
    for name, service in compose["services"].items():
        for port in published_ports(service):
            assert port.host_ip == "127.0.0.1", f"{name} publishes {port} beyond 127.0.0.1"


def test_every_image_is_pinned_to_an_exact_release(compose):
    for name, service in compose["services"].items():
        image = service.get("image")
        assert image, f"{name} has no image"
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and EXACT_TAG.match(tag), f"{name}: {image} is not an exact tag"


def test_every_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has none"


def test_dependencies_wait_for_a_condition_the_dependency_can_meet(compose):
    services = compose["services"]
    dependents = [name for name, s in services.items() if s.get("depends_on")]
    assert len(dependents) >= 5
    for name in dependents:
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: depends_on without conditions"
        for dependency, how in depends_on.items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = how["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency]
            elif condition == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", dependency
            else:
                pytest.fail(f"{name} -> {dependency}: {condition} does not wait for readiness")


def test_every_service_has_a_memory_limit(compose):
    for name, service in compose["services"].items():
        limit = service.get("mem_limit") or (
            service.get("deploy", {}).get("resources", {}).get("limits", {}).get("memory")
        )
        assert limit and re.fullmatch(r"\d+[kmg]", str(limit)), f"{name}: no memory limit"


def test_stateful_services_keep_data_in_named_volumes(compose):
    declared = set(compose.get("volumes", {}))
    for name, path in DATA_PATHS.items():
        service = compose["services"][name]
        found = [m for m in mounts(service) if m.target == path]
        assert found and found[0].kind == "volume", f"{name}: {path} is not a named volume"
        assert found[0].source in declared
    assert flag_values(compose["services"]["prometheus"]["command"], "storage.tsdb.path") == [
        DATA_PATHS["prometheus"]
    ]
    assert flag_values(compose["services"]["alertmanager"]["command"], "storage.path") == [
        DATA_PATHS["alertmanager"]
    ]


def test_every_bind_mount_exists_in_the_repo_or_is_a_documented_build_output(compose):
    build_mounts = set()
    for name, service in compose["services"].items():
        for mount in mounts(service):
            if mount.kind != "bind":
                continue
            source = (STACK / mount.source).resolve()
            relative = source.relative_to(REPO).as_posix()
            assert mount.read_only, f"{name}: {mount.source} should be read-only"
            if relative.startswith("build/"):
                assert relative in BUILD_OUTPUTS, f"{name}: {relative} is not a build output"
                build_mounts.add(relative)
            else:
                assert source.exists(), f"{name}: {mount.source} does not exist"
    assert build_mounts == set(BUILD_OUTPUTS), "a build output is never mounted"


def test_no_secret_has_a_default_value(compose):
    secret_name = re.compile(r"PASSWORD|TOKEN|SECRET|API_KEY", re.IGNORECASE)
    for name, service in compose["services"].items():
        for key, value in env_map(service).items():
            if not secret_name.search(key):
                continue
            # Either required from the environment, or empty (feature off) when unset.
            assert re.fullmatch(r"\$\{\w+(:\?[^}]*|:-)\}", value), f"{name}: {key}={value!r}"
    grafana = env_map(compose["services"]["grafana"])
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")


def test_anonymous_grafana_access_is_viewer_at_most(compose):
    grafana = env_map(compose["services"]["grafana"])
    if grafana.get("GF_AUTH_ANONYMOUS_ENABLED", "false").lower() == "true":
        assert grafana.get("GF_AUTH_ANONYMOUS_ORG_ROLE") == "Viewer"
    assert grafana.get("GF_USERS_ALLOW_SIGN_UP") == "false"


def test_loadgen_runs_only_in_its_profile(compose):
    profiled = {n: s["profiles"] for n, s in compose["services"].items() if "profiles" in s}
    assert profiled == {"loadgen": ["loadgen"]}
    loadgen = compose["services"]["loadgen"]
    assert loadgen["entrypoint"] == ["python", "-m", "demo_service.loadgen"]
    assert loadgen["image"] == compose["services"]["demo-service"]["image"]
    assert "--url" in loadgen["command"]
    url = loadgen["command"][loadgen["command"].index("--url") + 1]
    assert url == "http://demo-service:8000"


def test_demo_service_dockerfile_is_slim_non_root_and_installs_only_the_demo_extra(compose):
    build = compose["services"]["demo-service"]["build"]
    assert (STACK / build["context"] / build["dockerfile"]).resolve() == DEMO_DOCKERFILE
    text = DEMO_DOCKERFILE.read_text(encoding="utf-8")
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-slim(-\w+)?", base.group(1))
    users = re.findall(r"^USER\s+(\S+)$", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    installs = re.findall(r"pip install (.+)$", text, re.MULTILINE)
    assert installs == ['".[demo]"'], installs
    assert re.search(r'^ENTRYPOINT \["python", "-m", "demo_service"\]$', text, re.MULTILINE)
    assert "ENV" in text and "DEMO_HOST=0.0.0.0" in text and "DEMO_PORT=8000" in text
    env = env_map(compose["services"]["demo-service"])
    assert (env["DEMO_HOST"], env["DEMO_PORT"]) == ("0.0.0.0", "8000")


def test_compose_file_is_the_one_the_readme_documents():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"-f {COMPOSE_FILE.relative_to(REPO).as_posix()}" in readme
    for service in ("Grafana", "Prometheus", "Alertmanager", "Tempo", "Loki", "Collector"):
        assert service in readme


@pytest.mark.parametrize(
    ("service", "config"),
    [
        ("otel-collector", REPO / "collector" / "otel-collector.yaml"),
        ("tempo", STACK / "tempo" / "tempo.yaml"),
        ("loki", STACK / "loki" / "loki.yaml"),
        ("prometheus", STACK / "prometheus" / "prometheus.yml"),
    ],
)
def test_each_config_names_the_image_version_it_was_checked_against(compose, service, config):
    tag = compose["services"][service]["image"].rpartition(":")[2]
    header = "".join(
        line
        for line in config.read_text(encoding="utf-8").splitlines(keepends=True)[:12]
        if line.startswith("#")
    )
    assert tag in header, f"{config.name} does not say it was checked against {tag}"


def test_everything_the_dockerfile_copies_survives_its_dockerignore():
    text = DEMO_DOCKERFILE.read_text(encoding="utf-8")
    sources = [
        src
        for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.MULTILINE)
        for src in line.split()[:-1]
    ]
    ignore = Path(f"{DEMO_DOCKERFILE}.dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [r for r in ignore if r and not r.startswith("#")]
    assert rules[0] == "*", "the context should start from nothing"
    included = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    assert set(sources) == included, (sorted(sources), sorted(included))


def test_the_loadgen_command_is_one_the_loadgen_accepts(compose: dict) -> None:
    """The loadgen refuses non-loopback targets unless told; in compose its target is a service name."""
    from urllib.parse import urlsplit

    command = compose["services"]["loadgen"]["command"]
    host = urlsplit(command[command.index("--url") + 1]).hostname
    assert host in compose["services"], "loadgen must target a compose service"
    assert "--allow-remote" in command
