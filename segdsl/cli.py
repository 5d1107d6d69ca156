"""The `segdsl` command: a few lines per command over the Python API.

Input: command-line arguments.
Output: text or JSON on stdout/stderr and the exit code of SPEC §4: 0 ok, 1 rule or data
errors, 2 usage errors. Imports are lazy so that `segdsl --version` starts fast.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import click

from segdsl import __version__


def _data_overrides(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"expected NAME=PATH, got {value!r}", param_hint="--data")
        out[name] = path
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segdsl")
def cli() -> None:
    """Customer segments as declarative rules, compiled to SQL and evaluated."""


@cli.command()
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--data", "data", multiple=True, metavar="NAME=PATH", help="Read source NAME from PATH instead.")
@click.option("--format", "fmt", type=click.Choice(["full", "concise", "json"]), default="full",
              show_default=True, help="How to print diagnostics.")
def check(project: str, data: tuple[str, ...], fmt: str) -> None:
    """Parse and check every rule of PROJECT; print every diagnostic.

    Also warns about rules that can never be true, tiers that can never win and layers that
    leave rows without a tier. With --data, evaluates PROJECT on that data too and warns about
    segments and tiers that match nobody. Exits 1 when there is an error (warnings alone exit 0).
    """
    from segdsl.api import load

    result = load(project, _data_overrides(data)).check(scan=bool(data))
    _print_diagnostics(result, fmt)
    sys.exit(0 if result.ok else 1)


def _print_diagnostics(result, fmt: str = "full", err: bool = False) -> None:
    """Errors first, then warnings, each group in file order."""
    from segdsl.dsl import render

    diagnostics = sorted(render.sort_diagnostics(result.diagnostics), key=lambda x: not x.is_error)
    if fmt == "json":
        click.echo(render.render_json(diagnostics, result.texts), nl=False, err=err)
    elif fmt == "concise":
        click.echo(render.render_concise(diagnostics, result.texts), nl=False, err=err)
    else:
        stream = sys.stderr if err else sys.stdout
        color = stream.isatty() and "NO_COLOR" not in os.environ
        click.echo(render.render_full(diagnostics, result.texts, color=color), nl=False, err=err)


@contextmanager
def _user_errors():
    """A rule error (every diagnostic) or a data error (one message and its hint): exit 1."""
    from segdsl.api import RuleErrors
    from segdsl.engine.local import DataError

    try:
        yield
    except RuleErrors as exc:
        _print_diagnostics(exc.result, err=True)
        sys.exit(1)
    except DataError as exc:
        click.echo(f"error: {exc}" + (f"\n  hint: {exc.hint}" if exc.hint else ""), err=True)
        sys.exit(1)


@cli.command("compile")
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--dialect", default="duckdb", show_default=True, metavar="DIALECT",
              help="Any sqlglot dialect: duckdb, postgres, snowflake, bigquery, spark, databricks, trino, redshift, ...")
@click.option("--segment", metavar="PATH", help="Only this segment and what it needs.")
@click.option("--as-of", "as_of", metavar="TIME", help="Reference time (default: the project's as_of, else now).")
@click.option("--emit", type=click.Choice(["ast", "typed", "plan", "sql"]), default="sql", show_default=True,
              help="Which stage to print: parse trees, typed rules, the evaluation plan, or SQL.")
@click.option("--data", "data", multiple=True, metavar="NAME=PATH", help="Read source NAME from PATH instead.")
def compile_command(project: str, dialect: str, segment: str | None, as_of: str | None, emit: str,
                    data: tuple[str, ...]) -> None:
    """Print the SQL that evaluates PROJECT in one pass, for any SQL dialect.

    Sources are read from tables named after them.
    """
    from segdsl.api import load

    with _user_errors():
        click.echo(load(project, _data_overrides(data)).dump(emit, dialect=dialect, as_of=as_of, segment=segment),
                   nl=False)


@cli.command("eval")
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--data", "data", multiple=True, metavar="NAME=PATH", help="Read source NAME from PATH instead.")
@click.option("--as-of", "as_of", metavar="TIME", help="Reference time (default: the project's as_of, else now); "
              "a list (2026-01-01,2026-04-01) or a range with a step (2026-01-01..2026-11-01/1mo; steps d, w, "
              "mo, y) evaluates every point in one pass and writes OUT/<point>/.")
@click.option("--out", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for members.* and segments.json.")
@click.option("--members-format", "members_format", type=click.Choice(["parquet", "csv", "jsonl"]),
              default="parquet", show_default=True, help="File format of the members list.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "parquet", "csv", "jsonl"]), default="text",
              show_default=True,
              help="What to print: the tree as text, or segments.json as JSON; parquet, csv and jsonl "
                   "are shorthands for --members-format.")
@click.option("--history", "history", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also append every point to this DuckDB history database (created if missing; "
                   "a point already there is not added again).")
@click.option("--threads", type=click.IntRange(min=1), help="DuckDB worker threads (default: all cores).")
@click.option("--memory-limit", "memory_limit", metavar="SIZE", help="DuckDB memory limit, e.g. 4GB; "
              "beyond it DuckDB spills to a temporary folder.")
@click.option("--engine", type=click.Choice(["duckdb", "spark", "postgres"]), default="duckdb", show_default=True,
              help="Where the SQL runs: embedded DuckDB, Spark (--master) or PostgreSQL (--dsn); same results.")
@click.option("--master", metavar="URL", help="Spark master for --engine spark (default: local[*]).")
@click.option("--dsn", metavar="DSN", help="PostgreSQL connection for --engine postgres, e.g. "
              "postgresql://user@host/db; sources are tables there.")
@click.option("--into", metavar="SCHEMA.TABLE", help="With --engine postgres: also write the members to this "
              "table, replaced in one transaction.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors and warnings.")
def eval_command(project: str, data: tuple[str, ...], as_of: str | None, out: str, members_format: str,
                 fmt: str, history: str | None, threads: int | None, memory_limit: str | None, engine: str,
                 master: str | None, dsn: str | None, into: str | None, quiet: bool) -> None:
    """Evaluate PROJECT and write OUT/members.parquet and OUT/segments.json.

    With several points (--as-of as a list or range), OUT/<point>/ holds each point's files.
    Exits 1 on a rule or data error, leaving earlier outputs as they were.
    """
    import json

    from segdsl.api import Results, load

    if fmt in ("parquet", "csv", "jsonl"):
        members_format, fmt = fmt, "text"
    options = _engine_options(engine, master=master, dsn=dsn, into=into, threads=threads, memory_limit=memory_limit)
    show = not quiet and fmt == "text"
    appended = None
    with _user_errors():
        with _progress(enabled=show and sys.stderr.isatty()) as tell:
            result = load(project, _data_overrides(data)).evaluate(as_of=as_of, progress=tell, engine=engine,
                                                                    **options)
            with result:
                if history:  # a history it cannot append to fails before any output is written
                    result.check_history(history)
                if tell:
                    tell("writing outputs", None)
                written = result.write(out, members_format)
                if history:
                    if tell:
                        tell("writing the history", None)
                    appended = result.write_history(history)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    trees = [r.tree for r in result.points] if isinstance(result, Results) else [result.tree]
    if fmt == "json":
        click.echo(json.dumps(trees if isinstance(result, Results) else result.tree, indent=2, ensure_ascii=False))
    elif show:
        from rich.console import Console

        from segdsl import display, display_points

        console = Console()
        console.print(display_points.points(trees) if isinstance(result, Results) else display.report(result.tree))
        if isinstance(result, Results):
            console.print(f"[dim]wrote {len(written)} folders under {out}: {written[0].name} … {written[-1].name}, "
                          "each with members and segments.json[/]")
        else:
            console.print(f"[dim]wrote {', '.join(str(p) for p in written)}[/]")
    if appended is not None and not quiet:
        click.echo(f"history {history}: {len(appended.added)} point(s) added"
                   + (f", {len(appended.present)} already there (same as_of and rules hash), left as they were"
                      if appended.present else ""), err=fmt == "json")


def _engine_options(engine: str, **given) -> dict:
    """The options `engine` takes, from those given; one that belongs to another engine, or a
    missing --dsn, is a usage error."""
    takes = {"duckdb": ("threads", "memory_limit"), "spark": ("master",), "postgres": ("dsn", "into")}[engine]
    stray = [name for name, value in given.items() if value is not None and name not in takes]
    if stray:
        flags = ", ".join("--" + name.replace("_", "-") for name in stray)
        raise click.UsageError(f"{flags} does not apply to --engine {engine}")
    if engine == "postgres" and given["dsn"] is None:
        raise click.UsageError("--engine postgres needs --dsn (e.g. postgresql://user@localhost/warehouse)")
    return {name: given[name] for name in takes if given[name] is not None}


@cli.command("test")
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--data", "data", multiple=True, metavar="NAME=PATH",
              help="Read source NAME's column types from PATH instead.")
@click.option("--format", "fmt", type=click.Choice(["text", "junit"]), default="text", show_default=True,
              help="Failures as text, or every test as JUnit XML (for CI systems).")
@click.option("-v", "--verbose", is_flag=True, help="List the tests that pass too.")
def test_command(project: str, data: tuple[str, ...], fmt: str, verbose: bool) -> None:
    """Run the rule tests written beside the segments (`tests:` in rules files).

    Each test's rows go through the compiled SQL on DuckDB. A failure shows what was expected,
    what happened and why (the explain trace). Exits 1 when a test fails.
    """
    from segdsl import case_report
    from segdsl.api import load

    with _user_errors():
        report = load(project, _data_overrides(data)).test()
    if fmt == "junit":
        click.echo(case_report.render_junit(report), nl=False)
    else:
        click.echo(case_report.render_text(report, verbose), nl=False)
    sys.exit(0 if report.ok else 1)


@cli.command("explain")
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--id", "id_", required=True, metavar="ID",
              help="The entity's key, as in the entity source's key column.")
@click.option("--segment", metavar="PATH", help="Only this segment (or layer, or microsegment) and its parents.")
@click.option("--data", "data", multiple=True, metavar="NAME=PATH", help="Read source NAME from PATH instead.")
@click.option("--as-of", "as_of", metavar="TIME", help="Reference time (default: the project's as_of, else now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What to print: the explanation as text, or as JSON.")
def explain_command(project: str, id_: str, segment: str | None, data: tuple[str, ...], as_of: str | None,
                    fmt: str) -> None:
    """Show why one entity is or is not in each segment of PROJECT.

    For every rule: each condition with the values it saw and its verdict; for every layer,
    the tiers tried in order. Computed by the same SQL as eval. Exits 1 when no row has ID.
    """
    from segdsl.api import load
    from segdsl.explain import render_json, render_text

    with _user_errors():
        explanation = load(project, _data_overrides(data)).explain(id_, segment=segment, as_of=as_of)
    click.echo((render_json if fmt == "json" else render_text)(explanation), nl=False)


@cli.command()
@click.option("--kind", type=click.Choice(["project", "rules", "both"]), default="both", show_default=True,
              help="Describe segdsl.yml, rules files, or either.")
def schema(kind: str) -> None:
    """Print a JSON Schema (draft 2020-12) of segdsl's YAML files, for editors and CI."""
    import json

    from segdsl.schema import build_schema

    click.echo(json.dumps(build_schema(kind), indent=2))


@cli.command("fmt")
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--check", is_flag=True, help="Write nothing; list the files that would change.")
def fmt_command(project: str, check: bool) -> None:
    """Rewrite every rule of PROJECT in canonical form, leaving the rest of each file as it is.

    Exits 1 when a rule does not parse, or with --check when a file would change.
    """
    from segdsl.format import format_project

    result = format_project(project, check=check)
    for file in result.changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {file}")
    for file in result.unsafe:
        click.echo(f"error: {file} left as it was: its rules would not read back the same", err=True)
    if result.diagnostics:
        _print_diagnostics(result, "concise", err=True)
    sys.exit(1 if not result.ok or (check and result.changed) else 0)


@cli.command("init")
@click.argument("directory", default=".", metavar="[DIR]", type=click.Path(file_okay=False))
def init_command(directory: str) -> None:
    """Scaffold a rules project in DIR (default: here) with sample data that runs at once.

    Writes nothing, and exits 2, when a file it would write is already there.
    """
    import shlex
    from pathlib import Path

    from segdsl.scaffold import scaffold

    try:
        result = scaffold(directory)
    except NotADirectoryError as exc:
        click.echo(f"error: cannot scaffold into {directory}: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"error: could not write the project into {directory}: {exc}; nothing was written", err=True)
        sys.exit(1)
    here = Path(directory).resolve() == Path.cwd().resolve()
    where = "this folder" if here else directory
    if not result.ok:
        click.echo(f"error: {where} already holds {', '.join(result.existing)}; segdsl init overwrites nothing, "
                   "so nothing was written. Choose another folder (e.g. `segdsl init segments`) or move those "
                   "away.", err=True)
        sys.exit(2)
    for file in result.written:
        click.echo(f"wrote {Path(directory, file)}")
    if result.other_yaml:
        click.echo(f"warning: {where} also holds {', '.join(result.other_yaml)}; segdsl reads every .yml "
                   "file below the project folder as a rules file, so move them out if they hold no segments",
                   err=True)
    click.echo("\nnext:" + ("" if here else f"\n  cd {shlex.quote(directory)}") +
               "\n  segdsl check    # check every rule against the data's columns"
               "\n  segdsl test     # run the rule tests in rules/segments.yml"
               "\n  segdsl eval     # evaluate; writes out/members.parquet and out/segments.json")


@cli.command("diff")
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--base", "base", required=True, metavar="REV",
              help="The git revision to compare with: a commit, branch, tag or HEAD~1.")
@click.option("--data", "data", multiple=True, metavar="NAME=PATH",
              help="Read source NAME from PATH instead (for both versions).")
@click.option("--as-of", "as_of", metavar="TIME", help="Reference time (default: the project's as_of, else now).")
@click.option("--no-data", "no_data", is_flag=True,
              help="Only compare the rules; read no data (no schemas, no enter/leave figures).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="A table for the terminal, a markdown table for a pull request, or JSON.")
@click.option("--fail-on-change", "fail_on_change", is_flag=True, help="Exit 1 when any rule changed (for CI).")
def diff_command(project: str, base: str, data: tuple[str, ...], as_of: str | None, no_data: bool, fmt: str,
                 fail_on_change: bool) -> None:
    """Rule changes in PROJECT since git revision REV, and who enters and leaves each segment.

    The working tree (committed or not) is compared with REV; the data is read as it is now, for
    both versions, in one pass. Exits 0 whatever changed, unless --fail-on-change.
    """
    from segdsl.api import CheckResult
    from segdsl.diff import VersionErrors, diff, render

    try:
        with _user_errors():
            report = diff(project, base, _data_overrides(data), as_of=as_of, effect=not no_data)
    except VersionErrors as exc:
        _print_diagnostics(CheckResult(None, exc.diagnostics, exc.texts), err=True)
        sys.exit(1)
    if fmt == "json":
        click.echo(render.to_json(report), nl=False)
    elif fmt == "markdown":
        click.echo(render.markdown(report), nl=False)
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        click.echo(render.text(report, color=color), nl=False)
    sys.exit(1 if fail_on_change and report.changed else 0)


@cli.command("movement")
@click.argument("folders", nargs=-1, metavar="[OLD NEW]", type=click.Path())
@click.option("--history", metavar="FILE", type=click.Path(dir_okay=False),
              help="Read the points from this history file (written by `segdsl eval --history`).")
@click.option("--from", "start", metavar="T", help="With --history: the old point (with --paths: the first).")
@click.option("--to", "end", metavar="T", help="With --history: the new point (with --paths: the last).")
@click.option("--rules-hash", "rules_hash", metavar="HASH",
              help="With --history: read the points evaluated with these rules (a prefix will do).")
@click.option("--paths", is_flag=True, help="With --history: each entity's path through the tiers over every "
              "point from T1 to T2, the most common paths and the mean time in each tier.")
@click.option("--layer", metavar="NAME", help="With --paths: only this layer.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "markdown"]), default="text",
              show_default=True, help="Tables for the terminal, JSON, CSV in long form, or markdown tables.")
def movement_command(folders: tuple[str, ...], history: str | None, start: str | None, end: str | None,
                     rules_hash: str | None, paths: bool, layer: str | None, fmt: str) -> None:
    """Who moved between two evaluations: OLD and NEW eval output folders, or two points of a history.

    For every layer and microsegment, the matrix from tier to tier with counts and row shares
    (entities only in NEW come from (new), those only in OLD go to (gone)); for every segment,
    who entered, left and stayed. With --paths, the series over the history's points instead.
    Exits 2 when a folder, file or point is not there, 1 when the snapshots cannot be compared.
    """
    from segdsl import movement
    from segdsl.movement import render

    if history is None and (len(folders) != 2 or paths or start or end or rules_hash or layer):
        raise click.UsageError("give two eval output folders OLD NEW, or --history FILE with --from and --to "
                               "(or with --paths)")
    if history is not None and (folders or (not paths and not (start and end)) or (layer and not paths)):
        raise click.UsageError("--history FILE needs --from T1 --to T2 (two points), or --paths (with "
                               "optional --from, --to and --layer), and no folders")
    try:
        if paths:
            series = movement.paths(history, layer, start, end, rules_hash)
        elif history is not None:
            result = movement.compare(movement.from_history(history, start, rules_hash, "--from"),
                                      movement.from_history(history, end, rules_hash, "--to"))
        else:
            result = movement.compare(*folders)
    except movement.SnapshotError as exc:
        click.echo(f"error: {exc}" + (f"\n  hint: {exc.hint}" if exc.hint else ""), err=True)
        sys.exit(2 if exc.usage else 1)
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    if paths:
        shown = {"json": render.series_json, "csv": render.series_csv, "markdown": render.series_markdown}
        click.echo(shown[fmt](series) if fmt in shown else render.series_text(series, color=color), nl=False)
    else:
        shown = {"json": render.to_json, "csv": render.to_csv, "markdown": render.markdown}
        click.echo(shown[fmt](result) if fmt in shown else render.text(result, color=color), nl=False)


@cli.command("report")
@click.argument("folder", metavar="OUT_FOLDER", type=click.Path(file_okay=False))
@click.option("--history", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also show the movement between two points of this history file (written by "
                   "`segdsl eval --history`).")
@click.option("--from", "start", metavar="T1", help="With --history: the old point (default: the last but one).")
@click.option("--to", "end", metavar="T2", help="With --history: the new point (default: the last).")
@click.option("--output", "-o", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="The HTML file to write.")
def report_command(folder: str, history: str | None, start: str | None, end: str | None, output: str) -> None:
    """Write one self-contained HTML page from an eval output folder: charts first, tables below.

    The segment tree as a treemap, each layer's tiers and each microsegment's largest keys as
    bars, the overlap of top-level segments as a heatmap and, with --history, each layer's
    movement as a Sankey diagram; then a table per segment with its rule, owner, description,
    counts and definition hash. The page loads nothing from the network.
    """
    from segdsl.report import build, write

    if history is None and (start or end):
        raise click.UsageError("--from and --to need --history FILE")
    with _user_errors():
        html, _ = build(folder, history, start, end)
        written = write(html, output)
    click.echo(f"wrote {written}")


@contextmanager
def _progress(enabled: bool):
    """rich's progress display on stderr, loaded only when shown."""
    if not enabled:
        yield None
        return
    from rich.console import Console

    from segdsl import display

    with display.progress(Console(stderr=True), enabled=True) as tell:
        yield tell


def main() -> None:
    """Entry point: usage errors exit 2; a bug in segdsl prints one line instead of a traceback."""
    from segdsl.api import UsageError

    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except UsageError as exc:
        click.echo(f"segdsl: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        if os.environ.get("SEGDSL_DEBUG"):
            raise
        click.echo(f"segdsl: internal error: {type(exc).__name__}: {exc}\n"
                   "This is a bug in segdsl; run again with SEGDSL_DEBUG=1 to see where.", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
