"""The `obsgen` command line. Commands are thin: load the spec, call the pipeline, report.

Errors are :class:`~obsgen.errors.ObsgenError` (a ClickException): one line each, exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from obsgen import __version__
from obsgen.errors import ObsgenError

SPEC_HELP = (
    "Spec file. Default: ./obsgen.yaml if it exists, else the bundled spec of the demo service."
)


def _spec_path(spec: Path | None) -> Path | None:
    if spec is not None:
        return spec
    local = Path("obsgen.yaml")
    return local if local.is_file() else None


def _load(spec: Path | None):  # type: ignore[no-untyped-def]
    from obsgen.spec import load_file

    return load_file(_spec_path(spec))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="obsgen")
def main() -> None:
    """Dashboards, SLO alerts and runbooks for FastAPI services, from one YAML spec.

    \b
    Example:
      obsgen init               # write a commented starter spec to ./obsgen.yaml
      obsgen build              # generate ./build/ from it (or from the bundled demo spec)
    """


@main.command()
@click.argument("name", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="obsgen.yaml",
    show_default=True,
    help="Where to write the spec.",
)
@click.option(
    "--from-prometheus",
    "prometheus_url",
    help="Read what the service really exposes from this Prometheus.",
)
@click.option(
    "--selector", help="LABEL=VALUE that selects the service's series (default job=NAME)."
)
@click.option(
    "--demo", is_flag=True, help="Write the bundled spec of obsgen's demo service instead."
)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def init(
    name: str | None,
    output: Path,
    prometheus_url: str | None,
    selector: str | None,
    demo: bool,
    force: bool,
) -> None:
    """Write a commented starter spec for service NAME.

    With --from-prometheus it asks Prometheus what the service exposes and writes the matching
    preset, how its metrics arrive, the signals it has beyond the preset and its real bucket
    bounds, so the spec builds with no query that finds no data.

    \b
    Example:
      obsgen init checkout
      obsgen init --from-prometheus http://127.0.0.1:9090 --selector job=checkout
    """
    from obsgen.init.starter import starter_spec
    from obsgen.spec import default_spec_text, load_text

    if output.exists() and not force:
        raise ObsgenError(f"{output}: already exists (use --force to overwrite)")
    label_value = _selector(selector) if selector else None
    service = _service_name(name or (label_value[1] if label_value else "my-service"))
    if demo:
        text = default_spec_text()
    elif prometheus_url:
        text = starter_spec(
            service,
            label_value or ("job", service),
            _discover(prometheus_url, label_value or ("job", service)),
        )
    else:
        text = starter_spec(service, label_value)
    load_text(text, output.name)  # a starter spec that does not validate is obsgen's bug
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ObsgenError(f"{output}: cannot write: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}; edit it, then run `obsgen validate -c {output}`")


def _selector(text: str) -> tuple[str, str]:
    label, sep, value = text.partition("=")
    if not sep or not label.strip() or not value.strip():
        raise ObsgenError(f"--selector {text!r}: expected LABEL=VALUE, e.g. job=checkout")
    return label.strip(), value.strip().strip('"')


def _service_name(text: str) -> str:
    """A valid spec service name from a job name (lowercase, digits and '-')."""
    import re

    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"svc-{name}".rstrip("-")
    return name[:63]


def _discover(url: str, selector: tuple[str, str]):  # type: ignore[no-untyped-def]
    from obsgen.init.discover import NothingToDescribe, discover
    from obsgen.verify.backends import BackendError, Http, Prometheus

    label, value = selector
    match = '{{{}="{}"}}'.format(label, value.replace("\\", "\\\\").replace('"', '\\"'))
    try:
        series = Prometheus(Http(url)).series(match)
    except BackendError as exc:
        raise ObsgenError(f"--from-prometheus {url}: {exc}") from None
    try:
        return discover(series)
    except NothingToDescribe as exc:
        raise ObsgenError(f"--from-prometheus {url}: {label}={value!r}: {exc}") from None


@main.command()
@click.option("-c", "--config", "spec", type=click.Path(path_type=Path), help=SPEC_HELP)
def validate(spec: Path | None) -> None:
    """Check a spec and report every problem; writes nothing.

    A spec it accepts builds rules that pass `promtool check rules` and their generated
    `promtool test rules`, an Alertmanager config that passes `amtool check-config`, and
    dashboards that pass `obsgen lint`; one it rejects gets one file:line line per problem
    and exit code 2.

    \b
    Example:
      obsgen validate -c obsgen.yaml
    """
    project = _load(spec)
    slos = sum(len(s.slos) for s in project.services)
    click.echo(
        f"{_spec_path(spec) or project.source}: valid ({len(project.services)} services, "
        f"{slos} SLOs)"
    )


@main.command()
@click.option("-c", "--config", "spec", type=click.Path(path_type=Path), help=SPEC_HELP)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="build",
    show_default=True,
    help="Output directory (replaced atomically).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 listing the differences if DIR is not up to date.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace DIR even when it holds files obsgen did not write (they are deleted).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    show_default="0: one per core",
    help="Processes rendering services in parallel; the files are the same for any number.",
)
def build(spec: Path | None, out_dir: Path, check: bool, force: bool, jobs: int) -> None:
    """Generate dashboards, rules, alerts, tests, Alertmanager config and runbooks.

    \b
    Examples:
      obsgen build                          # bundled demo spec (or ./obsgen.yaml) → ./build/
      obsgen build -c obsgen.yaml -o out/
      obsgen build --check                  # in CI: fail when committed output is stale

    DIR is only replaced when obsgen wrote it: a file its manifest (DIR/.obsgen) does not list
    makes build refuse, naming the file, unless --force is given.
    """
    from obsgen.build import default_jobs, stream, summary
    from obsgen.writer import diff_files, write_files

    project = _load(spec)
    result = stream(project, jobs or default_jobs())
    if check:
        differences = diff_files(result.files, out_dir)
        if differences:
            click.echo(
                f"{out_dir}/ is out of date with {project.source} "
                f"({len(differences)} files differ); run `obsgen build`:"
            )
            for line in differences:
                click.echo(f"  {line}")
            sys.exit(1)
        click.echo(f"{out_dir}/ is up to date with {project.source}")
        return
    paths = write_files(result.files, out_dir, force=force)
    click.echo(f"spec: {project.source}")
    click.echo(summary(result, paths, str(out_dir)))


@main.command()
@click.option("-c", "--config", "spec", type=click.Path(path_type=Path), help=SPEC_HELP)
@click.option(
    "--build",
    "build_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Verify this already-built output directory instead of building from a spec.",
)
@click.option("--prometheus", "prometheus_url", required=True, help="Prometheus base URL.")
@click.option("--loki", "loki_url", help="Loki base URL (log panels are skipped without it).")
@click.option("--tempo", "tempo_url", help="Tempo base URL (trace panels are skipped without it).")
@click.option(
    "--alertmanager",
    "alertmanager_url",
    help="Alertmanager base URL: check page/ticket alerts reach the generated receivers.",
)
@click.option(
    "--rate-interval",
    default="5m",
    show_default=True,
    help="What $__rate_interval stands for (Grafana uses 4x the scrape interval).",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def verify(
    spec: Path | None,
    build_dir: Path | None,
    prometheus_url: str,
    loki_url: str | None,
    tempo_url: str | None,
    alertmanager_url: str | None,
    rate_interval: str,
    as_json: bool,
) -> None:
    """Run every dashboard and rule query against live backends; exit 1 if any lacks data.

    "empty" means the series exist but no sample matches now (a 5xx panel on a healthy
    service); "no data" means a metric or label the query needs does not exist at all.

    \b
    Example:
      obsgen verify --prometheus http://127.0.0.1:9090 --loki http://127.0.0.1:3100
      obsgen verify --build deployed/ --prometheus http://127.0.0.1:9090
    """
    from obsgen.verify import report
    from obsgen.verify.backends import BackendError, Http, Loki, Prometheus, Tempo
    from obsgen.verify.collect import collect
    from obsgen.verify.run import FAILURES, Backends, rule_health, run_query

    if spec is not None and build_dir is not None:
        raise ObsgenError("give either -c SPEC or --build DIR, not both")
    services, tree = _verified_tree(spec, build_dir)
    backends = Backends(
        Prometheus(Http(prometheus_url)),
        Loki(Http(loki_url)) if loki_url else None,
        Tempo(Http(tempo_url)) if tempo_url else None,
        rate_interval,
    )
    queries = collect(services, tree)
    results = [run_query(backends, query) for query in queries]
    if alertmanager_url:
        from obsgen.verify import alertmanager

        results += alertmanager.check(
            services, tree.get("alertmanager/alertmanager.yml", b""), Http(alertmanager_url)
        )
    try:
        results += rule_health(backends.prometheus)
    except BackendError as exc:  # reported, not fatal: the queries above still count
        click.echo(f"warning: cannot read rule health: {exc}", err=True)
    click.echo(report.as_json(results) if as_json else report.table(results))
    if any(r.status in FAILURES for r in results):
        sys.exit(1)


def _verified_tree(spec: Path | None, build_dir: Path | None):  # type: ignore[no-untyped-def]
    """The services and build tree to verify: read from a build directory, or built in memory
    from the spec (the bundled demo spec is named, so a forgotten -c does not pass silently)."""
    from obsgen.build import build as run_build
    from obsgen.verify.collect import scopes, scopes_from
    from obsgen.writer import read_tree

    if build_dir is not None:
        if not build_dir.is_dir():
            raise ObsgenError(f"{build_dir}: no such directory")
        tree = read_tree(build_dir)
        try:
            return scopes_from(tree), tree
        except ValueError as exc:
            raise ObsgenError(f"{build_dir}: {exc}") from None
    project = _load(spec)
    if _spec_path(spec) is None:
        click.echo("note: no -c and no ./obsgen.yaml: verifying the bundled demo spec", err=True)
    return scopes(project), run_build(project).tree


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def lint(paths: tuple[Path, ...]) -> None:
    """Lint Grafana dashboard JSON files (or directories of them).

    Prints one line per finding (file: panel: rule: message) and exits 1 when there are any;
    exits 2 when a file cannot be read as a dashboard.

    \b
    Example:
      obsgen lint build/dashboards/ my-dashboard.json
    """
    from dashboards.lint import UnreadableDashboard, lint_files

    files = [str(f) for p in paths for f in (sorted(p.glob("*.json")) if p.is_dir() else [p])]
    try:
        lines = lint_files(files)
    except UnreadableDashboard as exc:
        raise ObsgenError(str(exc)) from None
    for line in lines:
        click.echo(line)
    if lines:
        sys.exit(1)
    click.echo(f"{len(files)} dashboards: no findings")


if __name__ == "__main__":  # pragma: no cover
    main()
