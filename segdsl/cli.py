"""The `segdsl` command: a few lines per command over the Python API.

Input: command-line arguments.
Output: text or JSON on stdout/stderr and the exit code of SPEC §4: 0 ok, 1 rule or data
errors, 2 usage errors. Imports are lazy so that `segdsl --version` starts fast.
"""

from __future__ import annotations

import os
import sys

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
    from segdsl.dsl import render

    result = load(project, _data_overrides(data)).check()
    # Errors first, then warnings, each group in file order.
    diagnostics = sorted(render.sort_diagnostics(result.diagnostics), key=lambda x: not x.is_error)
    if fmt == "json":
        click.echo(render.render_json(diagnostics, result.texts), nl=False)
    elif fmt == "concise":
        click.echo(render.render_concise(diagnostics, result.texts), nl=False)
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        click.echo(render.render_full(diagnostics, result.texts, color=color), nl=False)
    sys.exit(0 if result.ok else 1)


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
