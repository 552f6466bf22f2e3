"""The compose stack as processes on 127.0.0.1, from the binaries stack/native/build makes.

Each component runs with the SAME config file compose mounts. Only what cannot be the same
outside containers is rewritten, in a generated copy under the work directory: the compose
hostnames (``prometheus:9090``) become ``127.0.0.1:<port>``, ``0.0.0.0`` binds become
``127.0.0.1``, and container data paths (``/var/tempo``, ``/loki``) move into the work
directory. Every rewrite must match the file exactly as many times as expected, so a config that
drifts fails here instead of running with a stale address. Command-line flags are compose's own
(the ``command:`` lists), with their paths mapped the same way.

Used by ``stack/native/up`` and by the live tests (``tests/stack``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "stack" / "docker-compose.yml"
VERSIONS_FILE = REPO / "stack" / "native" / "versions"
# Start order: what a component sends to is up before it.
COMPONENTS = (
    "alertmanager",
    "prometheus",
    "tempo",
    "loki",
    "otelcol",
    "demo-service",
    "runbooks",
    "grafana",
)
# Components stack/native/build makes (the others are Python and busybox).
BUILT = {"alertmanager", "prometheus", "tempo", "loki", "otelcol", "grafana"}

# Every port a component listens on, and the one compose uses for it.
COMPOSE_PORTS = {
    "prometheus": 9090,
    "alertmanager": 9093,
    "otlp_grpc": 4317,
    "otlp_http": 4318,
    "collector_health": 13133,
    "collector_metrics": 8888,
    "tempo": 3200,
    "tempo_grpc": 9095,
    "tempo_otlp_grpc": 4317,
    "tempo_memberlist": 7946,
    "loki": 3100,
    "loki_grpc": 9096,
    "grafana": 3000,
    "demo": 8000,
    "runbooks": 8088,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def default_ports() -> dict[str, int]:
    """Compose's published ports; the container-internal ones that would collide on one host
    (Tempo's OTLP receiver beside the Collector's) move up by 100."""
    return {**COMPOSE_PORTS, "tempo_otlp_grpc": 4417, "tempo_grpc": 9195}


def random_ports() -> dict[str, int]:
    """A free port for everything (tests, so parallel runs never collide)."""
    return {name: free_port() for name in COMPOSE_PORTS}


def versions() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in VERSIONS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "obsgen" / "stack"
    return Path(os.environ.get("OBSGEN_STACK_CACHE") or default)


def home(component: str) -> Path:
    """<cache>/<component>-<version>: what stack/native/build made for ``component``."""
    return cache_dir() / f"{component}-{versions()[f'{component.upper()}_VERSION']}"


def is_built(component: str) -> bool:
    return (home(component) / ".built").is_file()


def binary(component: str, name: str | None = None) -> Path:
    path = home(component) / "bin" / (name or component)
    if not is_built(component) or not path.is_file():
        raise FileNotFoundError(f"{path} is not built: run stack/native/build {component}")
    return path


def rewrite(text: str, replacements: Sequence[tuple[str, str, int]], what: str) -> str:
    """Apply ``(old, new, expected count)`` replacements; a count that differs is an error."""
    for old, new, count in replacements:
        found = text.count(old)
        if found != count:
            raise ValueError(f"{what}: expected {count}x {old!r}, found {found}x")
        text = text.replace(old, new)
    return text


def compose_command(service: str) -> list[str]:
    """The ``command:`` list of a compose service."""
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return [str(arg) for arg in compose["services"][service]["command"]]


def map_flags(argv: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """Replace the values of ``--flag=value`` / ``-flag=value`` arguments named in ``values``."""
    out = []
    for arg in argv:
        name = arg.lstrip("-").split("=", 1)[0]
        out.append(f"{arg.split('=', 1)[0]}={values[name]}" if name in values else arg)
    missing = set(values) - {a.lstrip("-").split("=", 1)[0] for a in argv}
    if missing:
        raise ValueError(f"compose command {list(argv)} has no {sorted(missing)}")
    return out


@dataclass(frozen=True)
class Spec:
    """How to start one component: argv, environment, and the URL that answers 200 when ready."""

    name: str
    argv: list[str]
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0


@dataclass(frozen=True)
class Layout:
    """Where things are: the ``obsgen build`` output the stack loads, the work directory for
    generated config copies, data and logs, and the ports."""

    build_dir: Path
    workdir: Path
    ports: Mapping[str, int]

    def url(self, port: str) -> str:
        return f"http://127.0.0.1:{self.ports[port]}"

    def hosts(self) -> list[tuple[str, str]]:
        """Compose ``host:port`` -> native ``127.0.0.1:port`` (the Collector's and Tempo's OTLP
        ports are the same number in compose, so those two are rewritten per file)."""
        p = self.ports
        return [
            ("prometheus:9090", f"127.0.0.1:{p['prometheus']}"),
            ("alertmanager:9093", f"127.0.0.1:{p['alertmanager']}"),
            ("demo-service:8000", f"127.0.0.1:{p['demo']}"),
            ("otel-collector:8888", f"127.0.0.1:{p['collector_metrics']}"),
            ("tempo:3200", f"127.0.0.1:{p['tempo']}"),
            ("loki:3100", f"127.0.0.1:{p['loki']}"),
            ("localhost:9090", f"127.0.0.1:{p['prometheus']}"),
        ]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def prometheus_config(layout: Layout) -> str:
    """stack/prometheus/prometheus.yml with every scrape and alerting target on 127.0.0.1."""
    hosts = dict(layout.hosts())
    text = (REPO / "stack" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    counts = {
        "alertmanager:9093": 2,
        "demo-service:8000": 1,
        "otel-collector:8888": 1,
        "tempo:3200": 1,
        "loki:3100": 1,
        "localhost:9090": 1,
    }
    return rewrite(text, [(h, hosts[h], n) for h, n in counts.items()], "prometheus.yml")


def prometheus_spec(layout: Layout) -> Spec:
    work = layout.workdir / "prometheus"
    config = _write(work / "etc" / "prometheus.yml", prometheus_config(layout))
    # rule_files is relative to the config file, as /etc/prometheus/rules is in the container.
    shutil.rmtree(work / "etc" / "rules", ignore_errors=True)
    shutil.copytree(layout.build_dir / "prometheus" / "rules", work / "etc" / "rules")
    argv = map_flags(
        compose_command("prometheus"),
        {"config.file": str(config), "storage.tsdb.path": str(work / "data")},
    )
    return Spec(
        "prometheus",
        [
            str(binary("prometheus")),
            *argv,
            f"--web.listen-address=127.0.0.1:{layout.ports['prometheus']}",
            "--web.enable-lifecycle",
        ],
        f"{layout.url('prometheus')}/-/ready",
    )


def alertmanager_spec(layout: Layout) -> Spec:
    work = layout.workdir / "alertmanager"
    config = _write(
        work / "alertmanager.yml",
        (layout.build_dir / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8"),
    )
    argv = map_flags(
        compose_command("alertmanager"),
        {"config.file": str(config), "storage.path": str(work / "data")},
    )
    return Spec(
        "alertmanager",
        [
            str(binary("alertmanager")),
            *argv,
            f"--web.listen-address=127.0.0.1:{layout.ports['alertmanager']}",
            # One instance: no gossip port (compose's container has its own 9094 to itself).
            "--cluster.listen-address=",
        ],
        f"{layout.url('alertmanager')}/-/healthy",
    )


def collector_config(layout: Layout) -> str:
    """collector/otel-collector.yaml with its binds and exporter targets on 127.0.0.1."""
    p = layout.ports
    text = (REPO / "collector" / "otel-collector.yaml").read_text(encoding="utf-8")
    return rewrite(
        text,
        [
            ("endpoint: 0.0.0.0:13133", f"endpoint: 127.0.0.1:{p['collector_health']}", 1),
            ("endpoint: 0.0.0.0:4317", f"endpoint: 127.0.0.1:{p['otlp_grpc']}", 1),
            ("endpoint: 0.0.0.0:4318", f"endpoint: 127.0.0.1:{p['otlp_http']}", 1),
            ("endpoint: tempo:4317", f"endpoint: 127.0.0.1:{p['tempo_otlp_grpc']}", 1),
            ("endpoint: http://loki:3100/otlp", f"endpoint: {layout.url('loki')}/otlp", 1),
            ("host: 0.0.0.0", "host: 127.0.0.1", 1),
            ("port: 8888", f"port: {p['collector_metrics']}", 1),
        ],
        "otel-collector.yaml",
    )


def otelcol_spec(layout: Layout) -> Spec:
    config = _write(layout.workdir / "otelcol" / "config.yaml", collector_config(layout))
    argv = map_flags(compose_command("otel-collector"), {"config": str(config)})
    return Spec(
        "otelcol",
        [str(binary("otelcol")), *argv],
        f"http://127.0.0.1:{layout.ports['collector_health']}/",
    )


def tempo_config(layout: Layout) -> str:
    """stack/tempo/tempo.yaml on loopback ports, its data under <workdir>/tempo."""
    work = layout.workdir / "tempo"
    p = layout.ports
    text = (REPO / "stack" / "tempo" / "tempo.yaml").read_text(encoding="utf-8")
    text = rewrite(
        text,
        [
            ("http_listen_port: 3200", f"http_listen_port: {p['tempo']}", 1),
            ("grpc_listen_port: 9095", f"grpc_listen_port: {p['tempo_grpc']}", 1),
            ("endpoint: 0.0.0.0:4317", f"endpoint: 127.0.0.1:{p['tempo_otlp_grpc']}", 1),
            ("http://prometheus:9090", layout.url("prometheus"), 1),
            ("/var/tempo/", f"{work}/", 4),
        ],
        "tempo.yaml",
    )
    # In its container Tempo gossips with itself on 7946 of the container's address; here, on
    # loopback and a port of its own.
    if "\nmemberlist:" in text:
        raise ValueError("tempo.yaml now has a memberlist block: rewrite its port instead")
    text += (
        "\n# Added by stack/native (compose: the container's own address, port 7946).\n"
        f"memberlist:\n  bind_addr: [127.0.0.1]\n  bind_port: {p['tempo_memberlist']}\n"
    )
    return text


def tempo_spec(layout: Layout) -> Spec:
    config = _write(layout.workdir / "tempo" / "tempo.yaml", tempo_config(layout))
    argv = map_flags(compose_command("tempo"), {"config.file": str(config)})
    return Spec("tempo", [str(binary("tempo")), *argv], f"{layout.url('tempo')}/ready", timeout=90)


def loki_config(layout: Layout) -> str:
    """stack/loki/loki.yaml on loopback ports, its data under <workdir>/loki."""
    work = layout.workdir / "loki"
    p = layout.ports
    text = (REPO / "stack" / "loki" / "loki.yaml").read_text(encoding="utf-8")
    return rewrite(
        text,
        [
            ("http_listen_port: 3100", f"http_listen_port: {p['loki']}", 1),
            ("grpc_listen_port: 9096", f"grpc_listen_port: {p['loki_grpc']}", 1),
            ("path_prefix: /loki\n", f"path_prefix: {work}\n", 1),
            (": /loki/", f": {work}/", 3),
        ],
        "loki.yaml",
    )


def loki_spec(layout: Layout) -> Spec:
    config = _write(layout.workdir / "loki" / "loki.yaml", loki_config(layout))
    argv = map_flags(compose_command("loki"), {"config.file": str(config)})
    return Spec("loki", [str(binary("loki")), *argv], f"{layout.url('loki')}/ready", timeout=90)


def demo_env(layout: Layout) -> dict[str, str]:
    """The demo service's compose environment: hosts and ports rewritten, ``${VAR:-}``
    interpolated from this environment (as compose does)."""
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    env = {k: str(v) for k, v in compose["services"]["demo-service"]["environment"].items()}
    for key, value in env.items():
        if value.startswith("${") and value.endswith(":-}"):
            env[key] = os.environ.get(value[2:-3], "")
    env["DEMO_HOST"] = rewrite(env["DEMO_HOST"], [("0.0.0.0", "127.0.0.1", 1)], "DEMO_HOST")
    env["DEMO_PORT"] = str(layout.ports["demo"])
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = rewrite(
        env["OTEL_EXPORTER_OTLP_ENDPOINT"],
        [("otel-collector:4317", f"127.0.0.1:{layout.ports['otlp_grpc']}", 1)],
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env


def demo_spec(layout: Layout) -> Spec:
    env = demo_env(layout)
    return Spec(
        "demo-service",
        [
            sys.executable,
            "-m",
            "demo_service",
            "--host",
            env["DEMO_HOST"],
            "--port",
            env["DEMO_PORT"],
        ],
        f"{layout.url('demo')}/readyz",
        env=env,
    )


def runbooks_spec(layout: Layout) -> Spec:
    busybox = shutil.which("busybox")
    if busybox is None:
        raise FileNotFoundError("busybox is not on PATH (apt-get install busybox)")
    port = layout.ports["runbooks"]
    return Spec(
        "runbooks",
        [
            busybox,
            "httpd",
            "-f",
            "-p",
            f"127.0.0.1:{port}",
            "-h",
            str(layout.build_dir / "runbooks"),
            "-c",
            str(REPO / "stack" / "runbooks" / "httpd.conf"),
        ],
        f"{layout.url('runbooks')}/README.md",
    )


def grafana_provisioning(layout: Layout, target: Path) -> Path:
    """build/grafana/provisioning with datasource URLs and the dashboards path rewritten."""
    source = layout.build_dir / "grafana" / "provisioning"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    hosts = layout.hosts()
    for path in sorted((target / "datasources").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for old, new in hosts:
            text = text.replace(f"http://{old}", f"http://{new}")
        path.write_text(text, encoding="utf-8")
    for path in sorted((target / "dashboards").glob("*.yaml")):
        text = rewrite(
            path.read_text(encoding="utf-8"),
            [("/var/lib/grafana/dashboards/obsgen", str(layout.build_dir / "dashboards"), 1)],
            path.name,
        )
        path.write_text(text, encoding="utf-8")
    return target


def grafana_spec(layout: Layout, password: str) -> Spec:
    work = layout.workdir / "grafana"
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    env = {k: str(v) for k, v in compose["services"]["grafana"]["environment"].items()}
    env.update(
        GF_SECURITY_ADMIN_PASSWORD=password,
        GF_SERVER_HTTP_ADDR="127.0.0.1",
        GF_SERVER_HTTP_PORT=str(layout.ports["grafana"]),
        GF_PATHS_DATA=str(work / "data"),
        GF_PATHS_LOGS=str(work / "logs"),
        GF_PATHS_PLUGINS=str(work / "plugins"),
        GF_PATHS_PROVISIONING=str(grafana_provisioning(layout, work / "provisioning")),
    )
    return Spec(
        "grafana",
        [str(binary("grafana")), "server", f"--homepath={home('grafana')}"],
        f"{layout.url('grafana')}/api/health",
        env=env,
        timeout=120,
    )


SPECS: dict[str, Callable[[Layout], Spec]] = {
    "alertmanager": alertmanager_spec,
    "prometheus": prometheus_spec,
    "tempo": tempo_spec,
    "loki": loki_spec,
    "otelcol": otelcol_spec,
    "demo-service": demo_spec,
    "runbooks": runbooks_spec,
}


def wait_ready(spec: Spec, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``spec.ready_url`` answers 200; fail with the log's tail if the process dies."""
    deadline = time.monotonic() + spec.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{spec.name} exited ({process.returncode}) before it was ready; {log}:\n"
                + log.read_text(errors="replace")[-4000:]
            )
        with contextlib.suppress(OSError), urllib.request.urlopen(spec.ready_url, timeout=2) as r:
            if r.status == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(
        f"{spec.name}: {spec.ready_url} not ready after {spec.timeout}s; {log}:\n"
        + log.read_text(errors="replace")[-4000:]
    )


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process group, SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running(spec: Spec, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``spec`` with output to ``log``; yield once ready; always stop it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            spec.argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **spec.env},
            start_new_session=True,
        )
    try:
        wait_ready(spec, process, log)
        yield process
    finally:
        stop(process)


@contextlib.contextmanager
def stack(
    layout: Layout,
    components: Sequence[str] = COMPONENTS,
    grafana_password: str | None = None,
    on_ready: Callable[[str, subprocess.Popen[bytes]], None] | None = None,
) -> Iterator[Layout]:
    """Start ``components`` in dependency order; stop all of them, in reverse, on exit."""
    unknown = set(components) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown components {sorted(unknown)} (known: {', '.join(COMPONENTS)})")
    with contextlib.ExitStack() as running_now:
        for name in COMPONENTS:
            if name not in components:
                continue
            if name == "grafana":
                spec = grafana_spec(layout, grafana_password or "")
            else:
                spec = SPECS[name](layout)
            process = running_now.enter_context(
                running(spec, layout.workdir / "logs" / f"{name}.log")
            )
            if on_ready is not None:
                on_ready(name, process)
        yield layout
