"""The Python API (SPEC §7): `segdsl.load(path) -> Project`; the CLI is a thin layer over it.

Input: a rules project folder, optional `--data NAME=PATH` overrides.
Output: `Project.check()` → `CheckResult` (the checked project when there is no error, every
diagnostic, and the file texts to render them with); `Project.to_sql(dialect)` → SQL text;
`Project.evaluate(data, as_of)` → `Result` (members as a DuckDB relation, the summary tree).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from segdsl.dsl import typed
from segdsl.dsl.diagnostics import Diagnostic, has_errors


class UsageError(Exception):
    """A mistake in how segdsl was called (not in the rules or data): exit code 2."""


@dataclass(frozen=True)
class CheckResult:
    project: typed.Project | None
    diagnostics: list[Diagnostic]
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


class RuleErrors(Exception):
    """The project does not check; `result` holds every diagnostic to show."""

    def __init__(self, result: CheckResult):
        super().__init__("the project has errors")
        self.result = result


@dataclass
class Result:
    """One evaluation. `members` is a DuckDB relation (one row per entity, SPEC §5); `tree` is
    what segments.json holds. Call `write(out, format)` to write both, `close()` when done."""

    evaluation: object
    tree: dict
    warnings: list[str]

    @property
    def sql(self) -> str:
        """The DuckDB SQL that made the members."""
        return self.evaluation.sql

    @property
    def members(self):
        return self.evaluation.members

    def write(self, out: str | Path = "out", format: str = "parquet") -> list[Path]:
        from segdsl.engine.outputs import write

        return write(self.evaluation, self.tree, out, format)

    def close(self) -> None:
        self.evaluation.close()

    def __enter__(self) -> Result:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Project:
    """A rules project on disk. Nothing is read until a method needs it."""

    def __init__(self, path: str | Path, data: dict[str, str] | None = None):
        self.path = Path(path)
        self.data = dict(data or {})
        if not self.path.is_dir():
            raise UsageError(f"{self.path} is not a folder (a rules project is a folder with segdsl.yml)")

    def check(self) -> CheckResult:
        """Load, parse and check everything; report every problem."""
        return self._check()[1]

    def checked(self) -> typed.Project:
        """The checked project; raises `RuleErrors` when it does not check."""
        result = self.check()
        if not result.ok:
            raise RuleErrors(result)
        return result.project

    def to_sql(self, dialect: str = "duckdb", as_of: dt.datetime | str | None = None,
               segment: str | None = None) -> str:
        """The one-pass SQL for any sqlglot dialect; sources are tables named after them.

        `segment` narrows it to one segment and what that segment needs.
        """
        from segdsl.compiler import compile_project

        project = self.checked()
        if segment is not None:
            project = _narrowed(project, segment)
        return compile_project(project, resolve_as_of(as_of, project), _dialect(dialect))

    def dump(self, stage: str = "sql", dialect: str = "duckdb", as_of: dt.datetime | str | None = None,
             segment: str | None = None) -> str:
        """One stage's output as text (`segdsl compile --emit`): ast, typed, plan or sql."""
        from segdsl import dump
        from segdsl.compiler import plan

        if stage == "sql":
            return self.to_sql(dialect, as_of, segment) + "\n"
        spec, result = self._check()
        if stage == "ast":
            return dump.ast_stage(spec)
        if not result.ok:
            raise RuleErrors(result)
        project = result.project if segment is None else _narrowed(result.project, segment)
        if stage == "typed":
            return dump.typed_stage(project)
        return dump.plan_stage(plan(project, resolve_as_of(as_of, project)))

    def evaluate(self, data: dict[str, str] | None = None, as_of: dt.datetime | str | None = None, *,
                 threads: int | None = None, memory_limit: str | None = None, progress=None) -> Result:
        """Evaluate every segment, layer and microsegment against the data in one pass."""
        from segdsl import __version__
        from segdsl.engine import local, summary
        from segdsl.engine.sources import SourceError, locate

        if data:
            self.data.update(data)
        spec, result = self._check()
        if not result.ok:
            raise RuleErrors(result)
        project = result.project
        when = resolve_as_of(as_of, project)
        locations = {}
        for source in spec.sources:
            try:
                locations[source.name.name] = locate(source, Path(spec.root), self.data.get(source.name.name))
            except SourceError as exc:
                raise local.DataError(f"source {source.name.name}: {exc}", exc.hint) from None
        evaluation = local.evaluate(project, locations, when, threads=threads, memory_limit=memory_limit,
                                    progress=progress)
        try:
            tree = summary.summarize(project, evaluation, locations, when, __version__)
        except BaseException:
            evaluation.close()
            raise
        return Result(evaluation, tree, evaluation.warnings)

    def _check(self):
        """The loaded spec and the check result."""
        from segdsl.dsl.checker import check
        from segdsl.dsl.loader import load_project
        from segdsl.engine.sources import read_schemas

        spec, diagnostics = load_project(self.path)
        unknown = sorted(set(self.data) - {s.name.name for s in spec.sources})
        if unknown:
            raise UsageError(f"--data names an unknown source: {', '.join(unknown)}")
        schemas, problems = read_schemas(spec, self.data)
        diagnostics += problems
        checked, problems = check(spec, schemas)
        diagnostics += problems
        return spec, CheckResult(checked if not has_errors(diagnostics) else None, diagnostics, spec.texts)


def _narrowed(project: typed.Project, segment: str) -> typed.Project:
    from segdsl.compiler.select import UnknownSegment, only_segment

    try:
        return only_segment(project, segment)
    except UnknownSegment as exc:
        raise UsageError(f"--segment: {exc}") from None


def _dialect(name: str) -> str:
    import sqlglot

    from segdsl.dsl.suggest import suggestion_text

    known = sorted(d for d in sqlglot.Dialect.classes if d)
    if name not in known:
        raise UsageError(f"--dialect: unknown dialect {name!r}{suggestion_text(name, known)}; "
                         f"known: {', '.join(known)}")
    return name


def resolve_as_of(value: dt.datetime | dt.date | str | None, project: typed.Project) -> dt.datetime:
    """as_of: the given one, else the project's, else now; a date means its midnight."""
    if value is None:
        value = project.as_of
    if value is None:
        return dt.datetime.now().replace(microsecond=0)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise UsageError(f"--as-of: {value!r} is not a date or time (e.g. 2026-11-01 or "
                             "2026-11-01T12:00:00)") from None
    if isinstance(value, dt.datetime):
        # A time with a zone is taken in UTC, the zone warehouse exports are usually written in.
        return value if value.tzinfo is None else value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime.combine(value, dt.time())


def load(path: str | Path, data: dict[str, str] | None = None) -> Project:
    return Project(path, data)
