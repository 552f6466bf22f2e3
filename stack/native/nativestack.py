"""The stack as processes on 127.0.0.1, from the binaries stack/native/build makes.

Compose's services run with the SAME config files compose mounts, rewritten only in addresses
and data paths (stack/native/configs.py). Loki, Tempo and Grafana do not run here: they are
AGPL-licensed modules, which this project's machines must not use. VictoriaLogs (logs) and Jaeger
(traces), both Apache-2.0, take the Collector's two pipelines in their places; nothing stands in
for Grafana.

Used by ``stack/native/up`` and by the live tests (``tests/stack``).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence

from stack.native.configs import (
    JAEGER_CONFIG,
    Layout,
    collector_config,
    compose_command,
    demo_env,
    jaeger_env,
    map_flags,
    prometheus_config,
)
from stack.native.pins import REPO, binary
from stack.native.processes import Spec, running

# Start order: what a component sends to is up before it.
COMPONENTS = (
    "alertmanager",
    "prometheus",
    "victorialogs",
    "jaeger",
    "otelcol",
    "demo-service",
    "runbooks",
)
# Components stack/native/build makes (the others are Python and busybox).
BUILT = {"alertmanager", "prometheus", "victorialogs", "jaeger", "otelcol"}


def _write(layout: Layout, relative: str, text: str) -> str:
    path = layout.workdir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def prometheus_spec(layout: Layout) -> Spec:
    work = layout.workdir / "prometheus"
    config = _write(layout, "prometheus/etc/prometheus.yml", prometheus_config(layout))
    # rule_files is relative to the config file, as /etc/prometheus/rules is in the container.
    shutil.rmtree(work / "etc" / "rules", ignore_errors=True)
    shutil.copytree(layout.build_dir / "prometheus" / "rules", work / "etc" / "rules")
    argv = map_flags(
        compose_command("prometheus"),
        {"config.file": config, "storage.tsdb.path": str(work / "data")},
    )
    return Spec(
        "prometheus",
        [
            str(binary("prometheus")),
            *argv,
            f"--web.listen-address={layout.address('prometheus')}",
            "--web.enable-lifecycle",
        ],
        f"{layout.url('prometheus')}/-/ready",
    )


def alertmanager_spec(layout: Layout) -> Spec:
    config = _write(
        layout,
        "alertmanager/alertmanager.yml",
        (layout.build_dir / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8"),
    )
    argv = map_flags(
        compose_command("alertmanager"),
        {"config.file": config, "storage.path": str(layout.workdir / "alertmanager" / "data")},
    )
    return Spec(
        "alertmanager",
        [
            str(binary("alertmanager")),
            *argv,
            f"--web.listen-address={layout.address('alertmanager')}",
            # One instance: no gossip port (compose's container has its own 9094 to itself).
            "--cluster.listen-address=",
        ],
        f"{layout.url('alertmanager')}/-/healthy",
    )


def victorialogs_spec(layout: Layout) -> Spec:
    """VictoriaLogs with its defaults: OTLP logs in at /insert/opentelemetry/v1/logs, LogsQL
    out at /select/logsql/query, its web UI at /select/vmui/."""
    return Spec(
        "victorialogs",
        [
            str(binary("victorialogs", "victoria-logs")),
            f"-httpListenAddr={layout.address('victorialogs')}",
            f"-storageDataPath={layout.workdir / 'victorialogs' / 'data'}",
        ],
        f"{layout.url('victorialogs')}/health",
    )


def jaeger_spec(layout: Layout) -> Spec:
    return Spec(
        "jaeger",
        [str(binary("jaeger")), f"--config={JAEGER_CONFIG}"],
        f"{layout.url('jaeger_health')}/status",
        env=jaeger_env(layout),
        timeout=90,
    )


def otelcol_spec(layout: Layout) -> Spec:
    config = _write(layout, "otelcol/config.yaml", collector_config(layout))
    argv = map_flags(compose_command("otel-collector"), {"config": config})
    return Spec("otelcol", [str(binary("otelcol")), *argv], f"{layout.url('collector_health')}/")


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
    return Spec(
        "runbooks",
        [
            busybox,
            "httpd",
            "-f",
            "-p",
            layout.address("runbooks"),
            "-h",
            str(layout.build_dir / "runbooks"),
            "-c",
            str(REPO / "stack" / "runbooks" / "httpd.conf"),
        ],
        f"{layout.url('runbooks')}/README.md",
    )


SPECS: dict[str, Callable[[Layout], Spec]] = {
    "alertmanager": alertmanager_spec,
    "prometheus": prometheus_spec,
    "victorialogs": victorialogs_spec,
    "jaeger": jaeger_spec,
    "otelcol": otelcol_spec,
    "demo-service": demo_spec,
    "runbooks": runbooks_spec,
}


@contextlib.contextmanager
def stack(
    layout: Layout,
    components: Sequence[str] = COMPONENTS,
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
            process = running_now.enter_context(
                running(SPECS[name](layout), layout.workdir / "logs" / f"{name}.log")
            )
            if on_ready is not None:
                on_ready(name, process)
        yield layout
