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

    Exits 1 when there is an error (warnings alone exit 0).
    """
    from segdsl.api import load

    result = load(project, _data_overrides(data)).check()
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
    from segdsl.api import RuleErrors, load

    try:
        click.echo(load(project, _data_overrides(data)).dump(emit, dialect=dialect, as_of=as_of, segment=segment),
                   nl=False)
    except RuleErrors as exc:
        _print_diagnostics(exc.result, err=True)
        sys.exit(1)


@cli.command("eval")
@click.argument("project", default=".", type=click.Path(file_okay=False))
@click.option("--data", "data", multiple=True, metavar="NAME=PATH", help="Read source NAME from PATH instead.")
@click.option("--as-of", "as_of", metavar="TIME", help="Reference time (default: the project's as_of, else now).")
@click.option("--out", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for members.* and segments.json.")
@click.option("--members-format", "members_format", type=click.Choice(["parquet", "csv", "jsonl"]),
              default="parquet", show_default=True, help="File format of the members list.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "parquet", "csv", "jsonl"]), default="text",
              show_default=True,
              help="What to print: the tree as text, or segments.json as JSON; parquet, csv and jsonl "
                   "are shorthands for --members-format.")
@click.option("--threads", type=click.IntRange(min=1), help="DuckDB worker threads (default: all cores).")
@click.option("--memory-limit", "memory_limit", metavar="SIZE", help="DuckDB memory limit, e.g. 4GB; "
              "beyond it DuckDB spills to a temporary folder.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors and warnings.")
def eval_command(project: str, data: tuple[str, ...], as_of: str | None, out: str, members_format: str,
                 fmt: str, threads: int | None, memory_limit: str | None, quiet: bool) -> None:
    """Evaluate PROJECT and write OUT/members.parquet and OUT/segments.json.

    Exits 1 on a rule or data error, leaving earlier outputs as they were.
    """
    import json

    from segdsl.api import RuleErrors, load
    from segdsl.engine.local import DataError

    if fmt in ("parquet", "csv", "jsonl"):
        members_format, fmt = fmt, "text"
    show = not quiet and fmt == "text"
    try:
        with _progress(enabled=show and sys.stderr.isatty()) as tell:
            result = load(project, _data_overrides(data)).evaluate(as_of=as_of, threads=threads,
                                                                    memory_limit=memory_limit, progress=tell)
            with result:
                if tell:
                    tell("writing outputs", None)
                written = result.write(out, members_format)
    except RuleErrors as exc:
        _print_diagnostics(exc.result, err=True)
        sys.exit(1)
    except DataError as exc:
        click.echo(f"error: {exc}" + (f"\n  hint: {exc.hint}" if exc.hint else ""), err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        click.echo(json.dumps(result.tree, indent=2, ensure_ascii=False))
    elif show:
        from rich.console import Console

        from segdsl import display

        console = Console()
        console.print(display.report(result.tree))
        console.print(f"[dim]wrote {', '.join(str(p) for p in written)}[/]")


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
