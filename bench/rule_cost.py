"""Issue 17 (1, 2): SLO rule cost at production depth, obsgen beside Sloth, on backfilled history.

Prometheus 3.13 (pinned, core 0) evaluates three rule sets for the same SLOs, one at a time, on
the same backfilled data directory:

- **obsgen-raw**: the SLO recording and burn-rate alert groups ``obsgen build`` writes by default
  (``alerting.window_ratios: raw``): every window ratio is ``rate()`` over the raw series;
- **obsgen-recorded**: the same with ``window_ratios: recorded``: ratios over windows longer than
  5m from the recorded 5m rates, one series per SLO;
- **sloth**: ``sloth generate`` (v0.16.0, pinned) on an equivalent Sloth spec: same SLI queries
  (obsgen's own ``bad_rate``/``total_rate``), objectives, 30d period, page and ticket alerts.

History (``promtool tsdb create-blocks-from openmetrics``, one block per 31 days): per service,
routes x methods x statuses x instances raw histogram series (15 buckets + ``_count`` + ``_sum``)
over **3 days**, the longest window any rule reads raw, and the recorded series the rules read
back (obsgen's 5m rates ``slo:sli_{requests,errors}:rate5m`` and the hourly tiles of its period
ratio ``slo:sli_{requests,errors}:increase1h``, Sloth's ``slo:sli_error:ratio_rate5m``) over the
whole **30 days**. Raw samples older than 3 days are read by no rule of any set, so leaving them out
changes no figure and keeps the backfill to minutes. The history reaches ``--ahead`` seconds past
the start of the run so every window is full while the rules run; the TSDB then refuses the
rules' own results (older than the newest backfilled sample: "out of bounds", not an evaluation
failure), so the rules read the backfilled copies of the recorded series: the same samples.

Per rule set, medians over ``--rounds`` interleaved runs of ``--cycles`` evaluation cycles each:
eval ms (``prometheus_rule_group_last_duration_seconds`` summed over its groups: wall time, so it
includes waiting for the core), CPU ms of the Prometheus process per cycle
(``process_cpu_seconds_total``, less what the same Prometheus spends idle on the same data with
no rules, measured each round), and samples read per cycle
(``prometheus_engine_query_samples_total``). A cycle is an executed iteration of every group:
Prometheus counts skipped iterations in ``iterations_total`` too, so they are subtracted.

    python -m bench.rule_cost             # README figures (see bench/README.md section 5)
    python -m bench.rule_cost --quick     # smoke run: 1 service, 51 raw series, 2 days, seconds
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from alerts.recording import recording_groups
from alerts.slo_alerts import slo_alert_groups
from bench.build_scaling import spec_with_services
from bench.common import free_port, median, table
from bench.harness import SERVER_CPU, pinned, wait_http
from obsgen import conventions as names
from obsgen.model import Project, Service, SloKind, WindowRatios
from obsgen.queries import slo as q
from obsgen.queries.base import rule_target
from obsgen.spec import load_text
from stack.native import nativestack

VARIANTS = ("obsgen-raw", "obsgen-recorded", "sloth")
BUCKETS = (
    "0.005",
    "0.01",
    "0.025",
    "0.05",
    "0.075",
    "0.1",
    "0.25",
    "0.5",
    "0.75",
    "1.0",
    "2.5",
    "5.0",
    "7.5",
    "10.0",
    "+Inf",
)
# share of requests at or under each bound (the demo's buckets; 0.25 s is the latency SLO's)
UNDER = {
    "0.005": 0.05,
    "0.01": 0.1,
    "0.025": 0.3,
    "0.05": 0.6,
    "0.075": 0.75,
    "0.1": 0.85,
    "0.25": 0.97,
    "0.5": 0.99,
    "0.75": 0.995,
    "1.0": 0.997,
}
STATUS_RPS = {"200": 1.0, "404": 0.1, "500": 0.002, "201": 0.3, "503": 0.001}  # per series
METHODS = ("GET", "POST", "PUT")
# promtool re-reads its whole input once per block: one block per 31 days, not one per 2h
BLOCK = "--max-block-duration=744h"
RAW_DAYS, PERIOD_DAYS = 3, 30
HISTOGRAM = "http_server_request_duration_seconds"  # the otel convention the bench spec uses
Shape = tuple[int, int, int, int]  # routes, methods, statuses, instances


def binary(component: str, name: str, option: str | None) -> str:
    """The pinned binary stack/native/build made (or the one given on the command line)."""
    if option:
        return option
    try:
        return str(nativestack.binary(component, name))
    except FileNotFoundError as exc:
        raise SystemExit(f"{exc} (or pass --{name}-bin)") from None


def with_window_ratios(spec: str, form: WindowRatios) -> str:
    """The spec text with ``alerting.window_ratios`` set (the bundled spec has an alerting block)."""
    marker = "\n  min_request_rate:"
    assert marker in spec, "the bench spec must set alerting.min_request_rate"
    return spec.replace(marker, f"\n  window_ratios: {form.value}{marker}", 1)


def project_for(services: int, form: WindowRatios = WindowRatios.RAW) -> Project:
    return load_text(with_window_ratios(spec_with_services(services), form), "bench.yaml")


def raw_series_per_service(shape: Shape) -> int:
    routes, methods, statuses, instances = shape
    return routes * methods * statuses * instances * (len(BUCKETS) + 2)


def _counter(out: Any, head: str, per_second: float, start: int, times: range) -> None:
    out.write("".join(f"{head} {per_second * (t - start):.3f} {t}\n" for t in times))


def write_history(
    path: Path,
    project: Project,
    shape: Shape,
    end: int,
    raw_days: float,
    period_days: float,
    step: int,
) -> None:
    """OpenMetrics for promtool: the raw histograms, obsgen's 5m rates and hourly tiles, Sloth's
    5m ratios."""
    routes, methods, statuses, instances = shape
    codes = list(STATUS_RPS)[:statuses]
    raw_start = end - int(raw_days * 86400)
    raw_times = range(raw_start, end + 1, step)
    rec_times = range(end - int(period_days * 86400), end + 1, step)
    with path.open("w", encoding="utf-8") as out:
        for family in ("bucket", "count", "sum"):  # OpenMetrics: a family's samples together
            for service in project.services:
                job = service.selector.value
                for r in range(routes):
                    for method in METHODS[:methods]:
                        for code in codes:
                            for i in range(instances):
                                labels = (
                                    f'job="{job}",instance="10.0.0.{i}:8000",'
                                    f'http_route="/{job}/r{r}",http_request_method="{method}",'
                                    f'http_response_status_code="{code}"'
                                )
                                rps = STATUS_RPS[code]
                                if family != "bucket":
                                    scale = 1.0 if family == "count" else 0.04  # _sum: seconds
                                    head = f"{HISTOGRAM}_{family}{{{labels}}}"
                                    _counter(out, head, rps * scale, raw_start, raw_times)
                                    continue
                                for le in BUCKETS:
                                    head = f'{HISTOGRAM}_bucket{{{labels},le="{le}"}}'
                                    share = UNDER.get(le, 1.0)
                                    _counter(out, head, rps * share, raw_start, raw_times)
        combos = routes * methods * instances
        total = combos * sum(STATUS_RPS[c] for c in codes)
        bad = {
            SloKind.AVAILABILITY: combos * sum(STATUS_RPS[c] for c in codes if c[0] == "5"),
            SloKind.LATENCY: total * (1 - UNDER["0.25"]),
        }
        extra = ",".join(f'{k}="{v}"' for k, v in project.extra_labels.items())
        hourly = {  # the hourly tiles: the 5m rate's mean over an hour, times 3600 s
            names.SLI_REQUESTS_HOURLY_RECORD: names.SLI_REQUESTS_RATE_RECORD,
            names.SLI_ERRORS_HOURLY_RECORD: names.SLI_ERRORS_RATE_RECORD,
        }
        records = (names.SLI_REQUESTS_RATE_RECORD, names.SLI_ERRORS_RATE_RECORD, *hourly, "sloth")
        for record in records:
            for service in project.services:
                for slo in service.slos:
                    if record == "sloth":
                        head = (
                            f'slo:sli_error:ratio_rate5m{{{extra},sloth_id="{service.name}-'
                            f'{slo.name}",sloth_service="{service.name}",sloth_slo="{slo.name}",'
                            'sloth_window="5m"}'
                        )
                        value = bad[slo.kind] / total
                    else:
                        head = (
                            f'{record}{{{extra},{names.SERVICE_LABEL}="{service.name}",'
                            f'{names.SLO_LABEL}="{slo.name}"}}'
                        )
                        rate = hourly.get(record, record)
                        value = total if rate == names.SLI_REQUESTS_RATE_RECORD else bad[slo.kind]
                        value *= 3600 if record in hourly else 1
                    out.write("".join(f"{head} {value!r} {t}\n" for t in rec_times))
        out.write("# EOF\n")


def obsgen_rules(project: Project) -> dict[str, Any]:
    """The SLO recording and burn-rate alert groups, as `obsgen build` writes them."""
    groups: list[dict[str, Any]] = []
    for service in project.services:
        groups += recording_groups(project, service)
        groups += [g.to_group() for g in slo_alert_groups(project, service)]
    return {"groups": groups}


def sloth_spec(project: Project, service: Service) -> dict[str, Any]:
    """The Sloth spec of one service's SLOs, with obsgen's SLI queries (same series, same SLIs)."""
    target, window = rule_target(service), "{{.window}}"
    slos = [
        {
            "name": slo.name,
            "objective": slo.objective_percent,
            "sli": {
                "events": {
                    "error_query": q.bad_rate(target, slo, window),
                    "total_query": q.total_rate(target, slo, window),
                }
            },
            "alerting": {
                "name": f"{slo.name.title()}Burn",
                "page_alert": {"labels": {"severity": "page"}},
                "ticket_alert": {"labels": {"severity": "ticket"}},
            },
        }
        for slo in service.slos
    ]
    labels = dict(project.extra_labels)
    return {"version": "prometheus/v1", "service": service.name, "labels": labels, "slos": slos}


def sloth_rules(project: Project, sloth: str, work: Path) -> Path:
    """``sloth generate`` on one spec file per service; the directory of rule files it wrote."""
    specs, out = work / "sloth-specs", work / "sloth-rules"
    specs.mkdir()
    out.mkdir()
    for service in project.services:
        text = yaml.safe_dump(sloth_spec(project, service), sort_keys=False)
        (specs / f"{service.name}.yaml").write_text(text, encoding="utf-8")
    subprocess.run(
        [sloth, "generate", "--no-log", "-i", str(specs), "-o", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return out


_METRICS = (
    "prometheus_rule_group_last_duration_seconds",
    "prometheus_rule_group_iterations_total",
    "prometheus_rule_group_iterations_missed_total",
    "prometheus_engine_query_samples_total",
    "prometheus_rule_evaluation_failures_total",
    "process_cpu_seconds_total",
)


def _scrape(prom: str) -> dict[str, dict[str, float]]:
    """The metrics above, by label set (a rule group's, or "" for a process-wide one)."""
    with urllib.request.urlopen(prom + "/metrics", timeout=30) as response:
        text = response.read().decode()
    return {
        metric: {
            labels: float(value)
            for labels, value in re.findall(rf"^{metric}(\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE)
        }
        for metric in _METRICS
    }


def _executed(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    """Iterations each group ran: Prometheus counts the missed ones in iterations_total too."""
    missed = metrics["prometheus_rule_group_iterations_missed_total"]
    return {
        group: n - missed.get(group, 0.0)
        for group, n in metrics["prometheus_rule_group_iterations_total"].items()
    }


@dataclass
class Run:
    eval_ms: float  # per cycle: the groups' last durations, summed
    cpu_ms: float  # per cycle: Prometheus's CPU time, less what it spends idle in that time
    samples: float  # per cycle: samples read by the rules' queries
    failures: float  # rule evaluation failures in the run
    missed: float  # share of scheduled iterations missed: the cycle did not fit the interval
    groups: int


@contextlib.contextmanager
def running(
    prometheus: str, data: Path, rules: str | None, interval: int, work: Path
) -> Iterator[str]:
    """Prometheus (pinned to the server core) on ``data`` evaluating ``rules``; its URL."""
    port = free_port()
    config = work / "prometheus.yml"
    files = f"rule_files: ['{rules}']\n" if rules else ""
    config.write_text(f"global: {{evaluation_interval: {interval}s}}\n{files}", encoding="utf-8")
    cmd = pinned(
        SERVER_CPU,
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=error",
            "--storage.tsdb.retention.time=90d",
        ],
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    prom = f"http://127.0.0.1:{port}"
    try:
        wait_http(prom + "/-/ready", proc, timeout=300)
        yield prom
    finally:
        proc.terminate()
        proc.wait(60)


def idle_cpu(prometheus: str, data: Path, cycles: int, interval: int, work: Path) -> float:
    """CPU seconds per second Prometheus spends on the same data with no rules (housekeeping,
    the Go runtime, this script's scrapes): subtracted from each rule set's CPU per cycle."""
    with running(prometheus, data, None, interval, work) as prom:
        time.sleep(interval)  # past the startup's block loading
        first, started = _scrape(prom), time.monotonic()
        for _ in range(cycles):
            time.sleep(interval)
            last = _scrape(prom)
        cpu = "process_cpu_seconds_total"
        return (sum(last[cpu].values()) - sum(first[cpu].values())) / (time.monotonic() - started)


def measure(
    prometheus: str, data: Path, rules: str, args: argparse.Namespace, idle: float, work: Path
) -> Run:
    """Prometheus on ``data`` with ``rules``: medians over ``args.cycles`` evaluation cycles.

    A cycle is one executed iteration of every group on average: when the groups need more
    than the interval, Prometheus skips iterations, and the per-cycle figures still divide by
    the iterations that ran.
    """
    interval = args.interval
    with running(prometheus, data, rules, interval, work) as prom:
        # the first cycle reads chunks from disk: wait until every group has started its
        # second iteration (an iteration counts when it starts), so the first one is over
        deadline = time.monotonic() + 120 + 20 * interval
        while True:
            now = _scrape(prom)
            executed = _executed(now)
            if executed and min(executed.values()) >= 2:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{rules}: the rule groups did not run")
            time.sleep(interval / 4)
        first = last = now
        at = time.monotonic()
        durations: list[float] = []
        cpus: list[float] = []
        samples: list[float] = []
        while len(durations) < args.cycles:
            time.sleep(interval)
            now, was = _scrape(prom), at
            at = time.monotonic()
            done = (sum(_executed(now).values()) - sum(_executed(last).values())) / len(executed)
            if done < 1:
                continue
            cpu, read = (
                sum(now[m].values()) - sum(last[m].values())
                for m in ("process_cpu_seconds_total", "prometheus_engine_query_samples_total")
            )
            durations.append(sum(now["prometheus_rule_group_last_duration_seconds"].values()))
            cpus.append((cpu - idle * (at - was)) / done)
            samples.append(read / done)
            last = now

        def grown(metric: str) -> float:
            return sum(now[metric].values()) - sum(first[metric].values())

        return Run(
            eval_ms=median(durations) * 1000,
            cpu_ms=median(cpus) * 1000,
            samples=median(samples),
            failures=sum(now["prometheus_rule_evaluation_failures_total"].values()),
            missed=grown("prometheus_rule_group_iterations_missed_total")
            / max(grown("prometheus_rule_group_iterations_total"), 1),
            groups=len(executed),
        )


def run_size(
    services: int,
    shape: Shape,
    args: argparse.Namespace,
    tools: dict[str, str],
    tmp: Path,
    idles: list[float],
) -> dict[str, Run]:
    """Backfill one size, then every rule set on it in interleaved rounds; medians per set."""
    work = tmp / f"s{services}-{'x'.join(map(str, shape))}"
    work.mkdir()
    projects = {form: project_for(services, form) for form in WindowRatios}
    history, data = work / "history.om", work / "data"
    started = time.monotonic()
    end = int(time.time()) + args.ahead
    write_history(
        history, projects[WindowRatios.RAW], shape, end, args.raw_days, args.period_days, args.step
    )
    size = history.stat().st_size
    subprocess.run(
        [
            tools["promtool"],
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            BLOCK,
            str(history),
            str(data),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    history.unlink()
    print(
        f"# {services} service(s), shape {'x'.join(map(str, shape))}: {size / 2**20:.0f} MiB of "
        f"OpenMetrics backfilled in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    rule_sets = {}
    for variant, form in (
        ("obsgen-raw", WindowRatios.RAW),
        ("obsgen-recorded", WindowRatios.RECORDED),
    ):
        path = work / f"{variant}.yaml"
        path.write_text(yaml.safe_dump(obsgen_rules(projects[form]), sort_keys=False), "utf-8")
        rule_sets[variant] = str(path)
    sloth_dir = sloth_rules(projects[WindowRatios.RAW], tools["sloth"], work)
    rule_sets["sloth"] = str(sloth_dir / "*.yaml")
    runs: dict[str, list[Run]] = {v: [] for v in VARIANTS}
    prometheus = tools["prometheus"]
    for r in range(args.rounds):
        idle = idle_cpu(prometheus, data, args.cycles, args.interval, work)
        idles.append(idle)
        for variant in VARIANTS if r % 2 == 0 else VARIANTS[::-1]:
            runs[variant].append(measure(prometheus, data, rule_sets[variant], args, idle, work))
    if time.time() > end - 60:
        print(f"# warning: the run outlasted the history's --ahead {args.ahead} s", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    return {
        v: Run(
            eval_ms=median(x.eval_ms for x in rs),
            cpu_ms=median(x.cpu_ms for x in rs),
            samples=median(x.samples for x in rs),
            failures=max(x.failures for x in rs),
            missed=max(x.missed for x in rs),
            groups=rs[0].groups,
        )
        for v, rs in runs.items()
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b > 0 else "nan"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, not figures")
    parser.add_argument("--services", default=None, help="comma-separated (default 1,10)")
    parser.add_argument(
        "--shapes",
        default=None,
        help="routes x methods x statuses x instances, comma-separated (default 1x1x3x1,5x2x3x2: "
        "51 and 1020 raw series per service)",
    )
    parser.add_argument(
        "--max-series",
        type=int,
        default=20_000,
        help="skip a shape x services run above this many raw series in all (default 20000)",
    )
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 2)")
    parser.add_argument("--cycles", type=int, default=None, help="cycles per run (default 4)")
    parser.add_argument("--interval", type=int, default=None, help="evaluation interval, s (5)")
    parser.add_argument("--step", type=int, default=60, help="seconds between backfilled samples")
    parser.add_argument("--ahead", type=int, default=None, help="history past the start, s")
    parser.add_argument("--prometheus-bin")
    parser.add_argument("--promtool-bin")
    parser.add_argument("--sloth-bin")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = [int(s) for s in (args.services or ("1" if quick else "1,10")).split(",")]
    shapes: list[Shape] = []
    for text in (args.shapes or ("1x1x3x1" if quick else "1x1x3x1,5x2x3x2")).split(","):
        routes, methods, statuses, instances = (int(x) for x in text.split("x"))
        if not (1 <= methods <= len(METHODS) and 1 <= statuses <= len(STATUS_RPS)):
            parser.error(
                f"shape {text}: at most {len(METHODS)} methods and {len(STATUS_RPS)} statuses"
            )
        shapes.append((routes, methods, statuses, instances))
    args.rounds = args.rounds or (1 if quick else 2)
    args.cycles = args.cycles or (2 if quick else 4)
    args.interval = args.interval or (1 if quick else 5)
    args.ahead = args.ahead or (300 if quick else 3600)
    args.raw_days = 1 if quick else RAW_DAYS
    args.period_days = 2 if quick else PERIOD_DAYS
    tools = {
        "prometheus": binary("prometheus", "prometheus", args.prometheus_bin),
        "promtool": binary("prometheus", "promtool", args.promtool_bin),
        "sloth": binary("sloth", "sloth", args.sloth_bin),
    }
    results: dict[tuple[Shape, int], dict[str, Run]] = {}
    idles: list[float] = []
    with tempfile.TemporaryDirectory(prefix="obsgen-rulecost-") as tmp:
        for shape in shapes:
            for n in sizes:
                if raw_series_per_service(shape) * n > args.max_series:
                    print(f"# skipped: {n} x {'x'.join(map(str, shape))} is over --max-series")
                    continue
                results[(shape, n)] = run_size(n, shape, args, tools, Path(tmp), idles)
    print(
        f"SLO rule cost on backfilled history ({args.raw_days:g} d raw, {args.period_days:g} d "
        f"recorded, {args.step} s step; {args.rounds} round(s) x {args.cycles} cycles at "
        f"{args.interval} s, medians; 2 SLOs per service)"
    )
    print(
        f"CPU ms/cycle is net of Prometheus idling on the same data with no rules: "
        f"{min(idles) * 1000:.1f}-{max(idles) * 1000:.1f} ms CPU per second, measured each round"
    )
    rows = []
    for (shape, n), res in results.items():
        slos = 2 * n
        for variant, r in res.items():
            rows.append(
                [
                    "x".join(map(str, shape)),
                    raw_series_per_service(shape),
                    n,
                    variant,
                    f"{r.eval_ms:.1f}",
                    f"{r.eval_ms / slos:.2f}",
                    f"{r.cpu_ms:.1f}",
                    f"{r.samples:.0f}",
                    f"{r.samples / slos:.0f}",
                    f"{r.missed:.0%}",
                    f"{r.failures:.0f}",
                ]
            )
    print(
        table(
            [
                "shape r×m×s×i",
                "raw series/service",
                "services",
                "rule set",
                "eval ms/cycle",
                "eval ms/SLO",
                "CPU ms/cycle",
                "samples/cycle",
                "samples/SLO",
                "missed iterations",
                "eval failures",
            ],
            rows,
        )
    )
    for (shape, n), res in results.items():
        label = f"{raw_series_per_service(shape)} raw series/service, {n} service(s)"
        raw, rec, sloth = res["obsgen-raw"], res["obsgen-recorded"], res["sloth"]
        for what, key in (("samples", "samples"), ("eval time", "eval_ms"), ("CPU", "cpu_ms")):
            a, b, c = (getattr(x, key) for x in (raw, rec, sloth))
            print(f"ratio: {what} obsgen-raw / sloth ({label}) = {_ratio(a, c)}")
            print(f"ratio: {what} obsgen-recorded / sloth ({label}) = {_ratio(b, c)}")
            print(f"ratio: {what} obsgen-recorded / obsgen-raw ({label}) = {_ratio(b, a)}")
    for shape in shapes:
        done = [n for n in sizes if (shape, n) in results]
        if len(done) > 1:
            small, big = results[(shape, done[0])], results[(shape, done[-1])]
            for variant in VARIANTS:
                per = [x[variant].cpu_ms / n for x, n in ((small, done[0]), (big, done[-1]))]
                print(
                    f"ratio: CPU per service {variant}, {done[-1]} / {done[0]} services "
                    f"({raw_series_per_service(shape)} raw series/service) = "
                    f"{_ratio(per[1], per[0])} (1.0 = linear)"
                )
    if any(r.missed > 0 for res in results.values() for r in res.values()):
        print(
            "# rows with missed iterations did not fit the interval: groups overlapped on the "
            "core, so their eval ms include waiting; rerun them with a longer --interval"
        )
    broken = [
        f"{n} x {'x'.join(map(str, shape))} {variant}: {r.failures:.0f} failures, "
        f"{r.samples:.0f} samples"
        for (shape, n), res in results.items()
        for variant, r in res.items()
        if r.failures > 0 or r.samples <= 0
    ]
    if broken:
        raise SystemExit("rule sets that did not evaluate cleanly:\n" + "\n".join(broken))


if __name__ == "__main__":
    main()
