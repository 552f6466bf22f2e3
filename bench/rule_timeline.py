"""Issue 17 (2): burn-rate alert minutes, ``window_ratios: raw`` (default) vs ``recorded``.

One service's history with incidents (full outages, fast and slow burns) is backfilled with
``promtool tsdb create-blocks-from openmetrics``; its 5m rates are then backfilled the way
Prometheus records them (``promtool tsdb create-blocks-from rules`` on the build's own first two
rules of each SLO group, 1m evaluation). Each tier's condition, both windows over the threshold
and the recorded 5m request rate over ``min_request_rate`` (what ``burn_rate_alert`` compares),
is then queried minute by minute over the same blocks with the window ratios of each form, taken
verbatim from the recording rules ``obsgen build`` writes for it. The bundled policy's tiers have
no ``for:``, so equal conditions are equal alerts; the script prints where they differ.

    python -m bench.rule_timeline            # README figures: 96 h at a 15 s step, every tier
    python -m bench.rule_timeline --quick    # smoke run: 8 h at 60 s, the fast page tier
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from alerts.recording import recording_groups
from bench.common import free_port, table
from bench.harness import wait_http
from bench.rule_cost import BLOCK, BUCKETS, HISTOGRAM, binary, project_for
from obsgen import conventions as names
from obsgen.durations import parse_duration
from obsgen.model import Project, WindowRatios
from obsgen.queries import slo as q

# share of requests at or under each bound while healthy: 0.2 % slower than the 0.25 s threshold
UNDER = {
    "0.005": 0.05,
    "0.01": 0.1,
    "0.025": 0.3,
    "0.05": 0.6,
    "0.075": 0.75,
    "0.1": 0.85,
    "0.25": 0.998,
    "0.5": 0.999,
    "0.75": 0.9995,
    "1.0": 0.9998,
}
RPS = 2.0  # per route
ROUTES = ("a", "b")
# (hours before the end, minutes, bad share): 5xx share, and share slower than 0.25 s
INCIDENTS = (
    (30.0, 20, 1.0),
    (22.0, 90, 0.05),
    (14.0, 300, 0.012),
    (6.0, 45, 0.3),
    (2.5, 8, 1.0),
    (1.0, 30, 0.02),
)


def bad_share(t: float, end: int) -> float:
    for hours, minutes, share in INCIDENTS:
        start = end - hours * 3600
        if start <= t < start + minutes * 60:
            return share
    return 0.0


def write_history(path: Path, job: str, start: int, end: int, step: int) -> None:
    """Two routes' histograms (status 200 and 500) whose counters integrate the incidents."""
    times = range(start, end + 1, step)
    shares = [bad_share(t, end) for t in times]
    with path.open("w", encoding="utf-8") as out:
        for family in ("bucket", "count"):
            for route in ROUTES:
                for code in ("200", "500"):
                    labels = (
                        f'job="{job}",instance="a:1",http_route="/{job}/{route}",'
                        f'http_request_method="GET",http_response_status_code="{code}"'
                    )
                    bounds = BUCKETS if family == "bucket" else ("",)
                    for le in bounds:
                        head = (
                            f'{HISTOGRAM}_bucket{{{labels},le="{le}"}}'
                            if le
                            else f"{HISTOGRAM}_count{{{labels}}}"
                        )
                        value, lines = 0.0, []
                        for t, bad in zip(times, shares):
                            rate = RPS * (bad if code == "500" else 1 - bad)
                            if le:
                                under = UNDER.get(le, 1.0)
                                rate *= under * (1 - bad) if float(le) <= 0.25 else under
                            lines.append(f"{head} {value:.4f} {t}\n")
                            value += rate * step
                        out.write("".join(lines))
        out.write("# EOF\n")


def query_range(prom: str, expr: str, start: float, end: float) -> set[float]:
    """Minutes (unix seconds) at which ``expr`` returns a sample."""
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": 60})
    with urllib.request.urlopen(f"{prom}/api/v1/query_range?{params}", timeout=600) as response:
        data = json.load(response)["data"]["result"]
    return {float(t) for series in data for t, _ in series["values"]}


def phase(prom: str, series: str, at: int) -> float:
    """Seconds past the minute at which ``series`` was recorded.

    Prometheus (and promtool's rule backfill) evaluates each group at its own offset within the
    interval. The window ratios are recorded in the same group right after the 5m rates, at the
    same timestamps, so the conditions are queried at those timestamps: in between, the
    recorded form would read a 5m rate up to a minute old, which it never does in production."""
    params = urllib.parse.urlencode({"query": f"timestamp({series})", "time": at})
    with urllib.request.urlopen(f"{prom}/api/v1/query?{params}", timeout=60) as response:
        (sample,) = json.load(response)["data"]["result"]
    return float(sample["value"][1]) % 60


def start_prometheus(
    prometheus: str, data: Path, work: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    (work / "prometheus.yml").write_text("global: {}\n", encoding="utf-8")
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=error",
            "--storage.tsdb.retention.time=90d",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    prom = f"http://127.0.0.1:{port}"
    wait_http(prom + "/-/ready", proc, timeout=120)
    return proc, prom


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(60)


def episodes(minutes: set[float]) -> list[tuple[float, float]]:
    """Contiguous firing stretches as (first, last) minute."""
    found: list[tuple[float, float]] = []
    for m in sorted(minutes):
        if found and m - found[-1][1] <= 60:
            found[-1] = (found[-1][0], m)
        else:
            found.append((m, m))
    return found


Episode = tuple[float, float]


@dataclass
class Incident:
    """Firing episodes of both forms that overlap (within 10 minutes): one incident's alert."""

    raw: list[Episode]
    recorded: list[Episode]

    def shifts(self) -> tuple[float, float] | None:
        """Minutes the recorded form starts and stops later than the raw one (both fired)."""
        if not self.raw or not self.recorded:
            return None
        return (
            (self.recorded[0][0] - self.raw[0][0]) / 60,
            (self.recorded[-1][1] - self.raw[-1][1]) / 60,
        )


def incidents(raw: list[Episode], recorded: list[Episode]) -> list[Incident]:
    """Episodes grouped by overlap, so an alert that drops out for a minute in one form is one
    incident with an extra gap, not two incidents."""
    tagged = sorted([(e, True) for e in raw] + [(e, False) for e in recorded])
    found: list[tuple[float, Incident]] = []  # (latest end so far, incident)
    for episode, is_raw in tagged:
        if not found or episode[0] > found[-1][0] + 600:
            found.append((episode[1], Incident([], [])))
        latest, incident = found[-1]
        (incident.raw if is_raw else incident.recorded).append(episode)
        found[-1] = (max(latest, episode[1]), incident)
    return [incident for _, incident in found]


def window_ratios(project: Project) -> dict[tuple[str, str], str]:
    """(SLO, window) -> the expression the build's recording rule records for it."""
    prefix = names.sli_error_ratio_record("")
    service = project.services[0]
    return {
        (rule["labels"][names.SLO_LABEL], rule["record"][len(prefix) :]): rule["expr"]
        for group in recording_groups(project, service)
        for rule in group["rules"]
        if rule["record"].startswith(prefix)
    }


def condition(long: str, short: str, threshold: float, requests: str, minimum: float) -> str:
    """A burn-rate tier's condition (what ``burn_rate_alert`` compares), before ``for:``.

    ``on()``: a raw-form ratio is a bare ``sum`` without the recorded series' labels."""
    return (
        f"(({long}) > {threshold!r}) and (({short}) > {threshold!r})"
        f" and on () ({requests} > {minimum!r})"
    )


def backfill_rates(
    project: Project, prometheus: str, promtool: str, work: Path, start: int, end: int
) -> None:
    """The 5m request and error rates, recorded every minute as Prometheus would have."""
    service = project.services[0]
    rates: list[dict[str, Any]] = [
        {"name": g["name"], "rules": g["rules"][:2]} for g in recording_groups(project, service)
    ]
    for group in rates:
        assert [r["record"] for r in group["rules"]] == [
            names.SLI_REQUESTS_RATE_RECORD,
            names.SLI_ERRORS_RATE_RECORD,
        ], group
    (work / "rates.yaml").write_text(yaml.safe_dump({"groups": rates}, sort_keys=False), "utf-8")
    proc, prom = start_prometheus(prometheus, work / "data", work)
    try:
        subprocess.run(
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "rules",
                f"--start={start}",
                f"--end={end}",
                f"--url={prom}",
                "--eval-interval=60s",
                f"--output-dir={work / 'recorded'}",
                "rates.yaml",  # relative: a group's evaluation phase hashes its file's path
            ],
            cwd=work,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        stop(proc)
    for block in (work / "recorded").iterdir():
        shutil.move(str(block), work / "data" / block.name)


@dataclass
class Comparison:
    rows: list[list[object]]
    firing: dict[WindowRatios, int]
    differ: int
    lone_episodes: int  # incidents that fire in one form only
    dropouts: int = 0  # extra gaps inside an incident's alert in the recorded form


def compare(
    projects: dict[WindowRatios, Project],
    tools: tuple[str, str],
    hours: int,
    step: int,
    offset: int,
    quick: bool,
) -> Comparison:
    """One history (raw samples ``offset`` s past the minute), both forms' conditions on it."""
    prometheus, promtool = tools
    project = projects[WindowRatios.RAW]
    service = project.services[0]
    ratios = {form: window_ratios(p) for form, p in projects.items()}
    tiers = project.alerting.tiers[:1] if quick else project.alerting.tiers
    minimum = project.alerting.min_request_rate
    end = (int(time.time()) // 3600 - 1) * 3600  # whole hours, in the past: no head to mix in
    start = end - hours * 3600
    result = Comparison([], {form: 0 for form in WindowRatios}, 0, 0, 0)
    with tempfile.TemporaryDirectory(prefix="obsgen-timeline-") as tmp:
        work = Path(tmp)
        write_history(work / "history.om", service.selector.value, start + offset, end, step)
        subprocess.run(
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                BLOCK,
                str(work / "history.om"),
                str(work / "data"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        backfill_rates(project, prometheus, promtool, work, start, end)
        proc, prom = start_prometheus(prometheus, work / "data", work)
        try:
            for slo in service.slos:
                requests = q.recorded(names.SLI_REQUESTS_RATE_RECORD, service, slo)
                shift = phase(prom, requests, end)
                for tier in tiers:
                    threshold = q.tier_burn_rate(slo, tier) * slo.error_budget_ratio
                    # from the first minute every window is full, at the group's phase
                    begin = start + int(parse_duration(tier.long_window)) + 600 + shift
                    fired = {}
                    for form in WindowRatios:
                        long, short = (
                            ratios[form][(slo.name, w)]
                            for w in (tier.long_window, tier.short_window)
                        )
                        expr = condition(long, short, threshold, requests, minimum)
                        fired[form] = query_range(prom, expr, begin, end - 60 + shift)
                        result.firing[form] += len(fired[form])
                    raw, rec = fired[WindowRatios.RAW], fired[WindowRatios.RECORDED]
                    result.differ += len(raw ^ rec)
                    found = incidents(episodes(raw), episodes(rec))
                    alone = sum(1 for i in found if i.shifts() is None)
                    gaps = [len(i.recorded) - len(i.raw) for i in found if i.shifts() is not None]
                    result.lone_episodes += alone
                    result.dropouts += sum(g for g in gaps if g > 0)
                    shifts = [i.shifts() for i in found]
                    onsets = " ".join(f"{round(x[0]):+d}m" for x in shifts if x is not None)
                    ends = " ".join(f"{round(x[1]):+d}m" for x in shifts if x is not None)
                    result.rows.append(
                        [
                            f"{offset} s",
                            slo.name,
                            f"{tier.name} ({tier.long_window}/{tier.short_window})",
                            len(raw),
                            len(rec),
                            len(raw - rec),
                            len(rec - raw),
                            f"{len(episodes(raw))}/{len(episodes(rec))}",
                            alone,
                            " ".join(f"{g:+d}" for g in gaps if g) or "0",
                            onsets or "-",
                            ends or "-",
                        ]
                    )
        finally:
            stop(proc)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, not figures")
    parser.add_argument("--hours", type=int, default=None, help="history (default 96; quick 8)")
    parser.add_argument("--step", type=int, default=None, help="seconds between raw samples (15)")
    parser.add_argument(
        "--offsets",
        default=None,
        help="seconds past the minute of the first raw sample, one history each, comma-separated "
        "(default 0,5,10; quick 0,30): where scrapes fall against the rules' evaluations",
    )
    parser.add_argument("--prometheus-bin")
    parser.add_argument("--promtool-bin")
    args = parser.parse_args(argv)
    hours = args.hours or (8 if args.quick else 96)
    step = args.step or (60 if args.quick else 15)
    offsets = [int(o) for o in (args.offsets or ("0,30" if args.quick else "0,5,10")).split(",")]
    tools = (
        binary("prometheus", "prometheus", args.prometheus_bin),
        binary("prometheus", "promtool", args.promtool_bin),
    )
    projects = {form: project_for(1, form) for form in WindowRatios}
    runs = [compare(projects, tools, hours, step, offset, args.quick) for offset in offsets]
    print(
        f"burn-rate conditions minute by minute over {hours} h of backfilled history ({step} s "
        "raw samples, 5m rates recorded at 1m): window_ratios raw (default) vs recorded"
    )
    print(
        table(
            [
                "scrape offset",
                "SLO",
                "tier",
                "firing min raw",
                "recorded",
                "raw only",
                "recorded only",
                "episodes raw/recorded",
                "incidents firing in one form only",
                "extra gaps rec−raw",
                "onset shift rec−raw",
                "end shift rec−raw",
            ],
            [row for run in runs for row in run.rows],
        )
    )
    raw_total = sum(run.firing[WindowRatios.RAW] for run in runs)
    rec_total = sum(run.firing[WindowRatios.RECORDED] for run in runs)
    differ = sum(run.differ for run in runs)
    lone = sum(run.lone_episodes for run in runs)
    dropouts = sum(run.dropouts for run in runs)
    print(f"firing minutes: raw {raw_total}, recorded {rec_total}")
    print(
        f"ratio: firing minutes recorded / raw = {rec_total / max(raw_total, 1):.3f} (1.0 = same)"
    )
    print(f"minutes where raw and recorded differ: {differ} of {raw_total} firing minutes (raw)")
    print(f"incidents that fire in one form only: {lone}")
    print(f"extra one-or-more-minute gaps inside an alert, recorded form: {dropouts}")
    if raw_total == 0 or rec_total == 0:
        raise SystemExit("no tier fired in one of the forms: the incidents no longer page")


if __name__ == "__main__":
    main()
