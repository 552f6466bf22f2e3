"""Issue 8 (4): what the demo costs Prometheus — series per route, and rule evaluation time.

Series: one demo server (variant b) gets a request mix over every route, then its /metrics is
counted per ``http_route``. Rules: ``obsgen build`` for 1 and for N services; a real Prometheus
(core 0) scrapes a synthetic exporter (this process, core 1) that serves the demo's real
exposition once per service, ``job`` set to the service and counters growing with time, and
evaluates the generated recording and alert rules every 10 s (1 s in ``--quick``).
``prometheus_rule_group_last_duration_seconds`` summed over groups, median of the last
samples, is the evaluation time per cycle. Windows up to 3 d hold only the run's minutes of
data, so this measures per-rule and per-series cost, not long-range sample scans.

    python -m bench.prometheus_cost            # README figures: 1 vs 50 services, 90 s each
    python -m bench.prometheus_cost --quick    # smoke run: 1 vs 5 services, a few seconds
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.build_scaling import spec_with_services
from bench.common import free_port, median, table
from bench.harness import LOAD_CPU, SERVER_CPU, pinned, start_server, wait_http
from obsgen.conventions import OTEL

DURATION = OTEL.duration_histogram
_SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$")
_GROWING = ("_total", "_bucket", "_count", "_sum")


def _call(base: str, method: str, path: str, body: bytes | None = None) -> None:
    req = urllib.request.Request(
        base + path, data=body, method=method, headers={"content-type": "application/json"}
    )
    try:
        urllib.request.urlopen(req, timeout=5).read()
    except urllib.error.HTTPError:
        pass  # 404s are part of the mix


def demo_exposition() -> str:
    """The demo's /metrics text after one pass over every route (incl. a 404 and an unknown URL)."""
    server = start_server("b", free_port(), None)
    try:
        b = server.base
        profile = b'{"name": "Ada", "email": "ada@example.org"}'
        for method, path, body in [
            ("GET", "/profiles/1", None),
            ("GET", "/profiles/999", None),
            ("GET", "/profiles", None),
            ("POST", "/profiles", profile),
            ("PUT", "/profiles/1", profile),
            ("GET", "/profiles/search?q=a", None),
            ("PUT", "/profiles/2/avatar", b"x"),
            ("DELETE", "/profiles/2", None),
            ("GET", "/healthz", None),
            ("GET", "/readyz", None),
            ("GET", "/no/such/path", None),
            ("GET", "/metrics", None),
        ]:
            _call(b, method, path, body)
        text: str = urllib.request.urlopen(b + "/metrics", timeout=5).read().decode()
        return text
    finally:
        server.stop()


def series_per_route(text: str) -> tuple[dict[str, int], int]:
    """Duration-histogram series per ``http_route`` value, and all series on the page."""
    per_route: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m:
            continue
        total += 1
        if m.group(1).startswith(DURATION):
            route = re.search(OTEL.route_label + r'="([^"]*)"', m.group(2) or "")
            per_route[route.group(1) if route else "?"] += 1
    return dict(per_route), total


class Synthetic:
    """Serves the demo exposition once per service; growing series scale with elapsed time."""

    def __init__(self, text: str, services: int) -> None:
        self.started = time.monotonic()
        self.lines: list[tuple[str, float, bool]] = []  # (name{labels}, value, grows)
        for line in text.splitlines():
            m = _SAMPLE.match(line)
            if not m:
                continue
            name, labels, value = m.group(1), m.group(2), float(m.group(3))
            for i in range(services):
                job = f'job="svc-{i:03d}"'
                head = f"{name}{{{job},{labels}}}" if labels else f"{name}{{{job}}}"
                self.lines.append((head, value, name.endswith(_GROWING)))

    def render(self) -> bytes:
        scale = 1.0 + (time.monotonic() - self.started)
        return "".join(
            f"{head} {value * scale if grows else value}\n" for head, value, grows in self.lines
        ).encode()

    def serve(self, port: int) -> ThreadingHTTPServer:
        synthetic = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = synthetic.render()
                self.send_response(200)
                self.send_header("content-type", "text/plain; version=0.0.4")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd


def _rule_stats(prom: str) -> tuple[float, int, int, int]:
    """(sum of last group durations in s, rules, samples of the last evaluation, missed cycles)."""
    text = urllib.request.urlopen(prom + "/metrics", timeout=5).read().decode()

    def total(metric: str) -> float:
        return sum(
            float(v) for v in re.findall(rf"^{metric}\{{[^}}]*\}} (\S+)$", text, re.MULTILINE)
        )

    return (
        total("prometheus_rule_group_last_duration_seconds"),
        int(total("prometheus_rule_group_rules")),
        int(total("prometheus_rule_group_last_evaluation_samples")),
        int(total("prometheus_rule_group_iterations_missed_total")),
    )


def evaluate(
    exposition: str, services: int, seconds: int, interval: int, tmp: Path
) -> dict[str, float]:
    """Build rules for ``services``, run Prometheus on them for ``seconds``, read its own metrics."""
    work = tmp / f"s{services}"
    (work / "data").mkdir(parents=True)
    spec = work / "obsgen.yaml"
    spec.write_text(spec_with_services(services), encoding="utf-8")
    build = [sys.executable, "-m", "obsgen", "build", "-c", str(spec), "-o", str(work / "build")]
    subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
    exporter_port, prom_port = free_port(), free_port()
    httpd = Synthetic(exposition, services).serve(exporter_port)
    (work / "prometheus.yml").write_text(
        f"global: {{scrape_interval: {interval}s, evaluation_interval: {interval}s}}\n"
        f"rule_files: ['{work}/build/prometheus/rules/*.yaml']\n"
        "scrape_configs:\n"
        "  - job_name: synthetic\n    honor_labels: true\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n",
        encoding="utf-8",
    )
    cmd = pinned(
        SERVER_CPU,
        [
            "prometheus",
            f"--config.file={work}/prometheus.yml",
            f"--storage.tsdb.path={work}/data",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--log.level=warn",
        ],
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    prom = f"http://127.0.0.1:{prom_port}"
    try:
        wait_http(prom + "/-/ready", proc)
        samples: list[tuple[float, int, int, int]] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(interval)
            samples.append(_rule_stats(prom))
        tail = samples[len(samples) // 2 :] or samples  # the first half is start-up
        return {
            "eval_ms": median(s[0] for s in tail) * 1000,
            "rules": tail[-1][1],
            "samples": median(s[2] for s in tail),
            "missed": float(samples[-1][3]) if samples else 0.0,
            "series": float(sum(1 for _ in Synthetic(exposition, 1).lines) * services),
        }
    finally:
        proc.terminate()
        proc.wait(10)
        httpd.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, not figures")
    parser.add_argument("--services", type=int, default=None, help="the large size (default 50)")
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--interval", type=int, default=None, help="scrape/evaluation seconds")
    args = parser.parse_args(argv)
    big = args.services or (5 if args.quick else 50)
    seconds = args.seconds or (4 if args.quick else 90)
    # A cycle must fit its interval with room to spare: an overloaded core would time contention
    # between concurrently evaluated groups, not the rules.
    interval = args.interval or (1 if args.quick else 10)
    if shutil.which("prometheus") is None:
        raise SystemExit("prometheus not found on PATH (apt-get install -y prometheus)")
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {int(LOAD_CPU)})  # the exporter stays off Prometheus's core
    exposition = demo_exposition()
    per_route, total = series_per_route(exposition)
    print(
        "series the demo exposes (after one request per route/status; text format, _created included)"
    )
    print(table([OTEL.route_label, f"{DURATION}_* series"], sorted(per_route.items())))
    combos = sum(1 for line in exposition.splitlines() if line.startswith(DURATION + "_count"))
    per_combo = sum(per_route.values()) // max(combos, 1)
    print(
        f"per route x method x status: {per_combo} series (buckets + _sum + _count + _created; "
        f"{combos} combinations seen); whole /metrics page: {total} series"
    )
    with tempfile.TemporaryDirectory(prefix="obsgen-promcost-") as tmp:
        results = {n: evaluate(exposition, n, seconds, interval, Path(tmp)) for n in (1, big)}
    print(
        f"rule evaluation on Prometheus {_prom_version()}, {interval} s interval, {seconds} s "
        "per size; "
        "median of the second half"
    )
    print(
        table(
            ["services", "series", "rules", "samples/eval", "eval ms/cycle", "missed cycles"],
            [
                [
                    n,
                    f"{r['series']:.0f}",
                    r["rules"],
                    f"{r['samples']:.0f}",
                    f"{r['eval_ms']:.2f}",
                    f"{r['missed']:.0f}",
                ]
                for n, r in results.items()
            ],
        )
    )
    one, many = results[1], results[big]
    print(
        f"ratio: eval time {big} services / 1 service = {many['eval_ms'] / one['eval_ms']:.1f} "
        f"(linear would be {big}; below means fixed per-cycle cost dominates)"
    )
    print(
        f"ratio: eval time per service at {big} / at 1 = "
        f"{many['eval_ms'] / big / one['eval_ms']:.2f} (1.0 = linear; target linear)"
    )


def _prom_version() -> str:
    out = subprocess.run(
        ["prometheus", "--version"], capture_output=True, text=True, check=False
    ).stdout
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else "?"


if __name__ == "__main__":
    main()
