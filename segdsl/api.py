"""The Python API (SPEC §7): `segdsl.load(path) -> Project`; the CLI is a thin layer over it.

Input: a rules project folder, optional `--data NAME=PATH` overrides.
Output: `Project.check()` → `CheckResult` (the checked project when there is no error, every
diagnostic, and the file texts to render them with); `Project.to_sql(dialect)` → SQL text;
`Project.evaluate(data, as_of)` → `Result` (members as a DuckDB relation, the summary tree), or
`Results` (one `Result` per point) when as_of is a list or range of points.
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

    def write_history(self, path: str | Path):
        """Append this evaluation to the history database at `path` (docs/history.md)."""
        from segdsl.engine import history

        return history.append(path, [(self.tree, self.evaluation.members_file)])

    def check_history(self, path: str | Path) -> None:
        """Raise the error `write_history` would raise for a file it cannot append to (wrong key
        type, not a history), writing nothing."""
        from segdsl.engine import history

        history.check(path, [(self.tree, self.evaluation.members_file)])

    def close(self) -> None:
        self.evaluation.close()

    def __enter__(self) -> Result:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Results:
    """An evaluation at several points (`as_of` a list or a range), all made by one statement.

    `points` holds one `Result` per point, in time order; `names` the folder each is written to.
    Call `write(out, format)` to write `OUT/<name>/`, and `close()` (on this object) when done.
    """

    points: list[Result]
    names: list[str]
    evaluation: object

    @property
    def warnings(self) -> list[str]:
        return self.points[0].warnings

    @property
    def sql(self) -> str:
        """The DuckDB SQL that made every point's members."""
        from segdsl.compiler import to_sql

        return to_sql(self.evaluation.statement, "duckdb")

    def write(self, out: str | Path = "out", format: str = "parquet") -> list[Path]:
        from segdsl.engine.outputs import write_points

        return write_points([r.evaluation for r in self.points], [r.tree for r in self.points], self.names,
                            out, format)

    def write_history(self, path: str | Path):
        """Append every point to the history database at `path`, in one transaction."""
        from segdsl.engine import history

        return history.append(path, [(r.tree, r.evaluation.members_file) for r in self.points])

    def check_history(self, path: str | Path) -> None:
        """Raise the error `write_history` would raise for a file it cannot append to, writing nothing."""
        from segdsl.engine import history

        history.check(path, [(r.tree, r.evaluation.members_file) for r in self.points])

    def close(self) -> None:
        self.evaluation.close()

    def __enter__(self) -> Results:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True)
class TestReport:
    """The outcome of every rule test (`segdsl.engine.cases.CaseResult`), in file order."""

    __test__ = False  # not a pytest class

    results: list
    texts: dict[str, str] = field(default_factory=dict)
    """File texts, to place each test at its file, line and column."""

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)


class Project:
    """A rules project on disk. Nothing is read until a method needs it."""

    def __init__(self, path: str | Path, data: dict[str, str] | None = None):
        self.path = Path(path)
        self.data = dict(data or {})
        self._server: str | None = None
        """The DSN of the PostgreSQL server whose tables are the sources (`engine="postgres"`)."""
        if not self.path.is_dir():
            raise UsageError(f"{self.path} is not a folder (a rules project is a folder with segdsl.yml)")

    def check(self, scan: bool = False, as_of: dt.datetime | str | None = None) -> CheckResult:
        """Load, parse and check everything; report every problem.

        A project that checks is then analysed (rules that can never be true, tiers that can
        never win, layers that leave rows without a tier: warnings). With `scan`, it is also
        evaluated on the data, and segments and tiers that match nobody are warned about.
        """
        from segdsl.dsl.analysis import analyse

        spec, result = self._check()
        if not result.ok:
            return result
        diagnostics = result.diagnostics + analyse(result.project, spec)
        if scan:
            diagnostics += self._scan(spec, result.project, diagnostics, as_of)
        return CheckResult(None if has_errors(diagnostics) else result.project, diagnostics, result.texts)

    def _scan(self, spec, project: typed.Project, found: list[Diagnostic], as_of) -> list[Diagnostic]:
        """Evaluate on the data and warn about segments and tiers that match nobody (W505)."""
        from segdsl.dsl import diagnostics as d
        from segdsl.dsl.analysis import scan
        from segdsl.engine.local import DataError

        try:
            with self.evaluate(as_of=as_of) as result:
                return scan(project, spec, result.tree, found)
        except DataError as exc:
            return [d.error("E501", f"the data could not be evaluated: {exc}", hint=exc.hint)]

    def checked(self) -> typed.Project:
        """The checked project; raises `RuleErrors` when it does not check."""
        result = self._check()[1]
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

    def evaluate(self, data: dict[str, str] | None = None, as_of: dt.datetime | str | list | None = None, *,
                 threads: int | None = None, memory_limit: str | None = None, progress=None,
                 engine: str = "duckdb", **options) -> Result | Results:
        """Evaluate every segment, layer and microsegment against the data in one pass.

        `as_of` a list of times, or a text with a list or range (`2026-01-01..2026-11-01/1mo`),
        evaluates at every point in one statement and returns `Results`.
        `engine` is `duckdb` (embedded, the default), `spark` (option `master`) or `postgres`
        (options `dsn`, `into`); every engine gives the same members and summary.
        """
        from segdsl import __version__
        from segdsl.engine import ENGINES, engine_module, local, summary

        if engine not in ENGINES:
            raise UsageError(f"--engine: unknown engine {engine!r}; known: {', '.join(ENGINES)}")
        if engine == "postgres":  # sources are tables there: their schemas and locations too
            self._server = options.get("dsn")
        spec, project = self._ready(data)
        points = _points(as_of)
        if points is not None and engine != "duckdb":
            raise UsageError(f"--as-of with several points runs on the duckdb engine only, not on {engine}; "
                             "evaluate one point at a time there")
        locations = self._locations(spec)
        if points is not None:
            return self._evaluate_points(project, locations, list(points.times), threads, memory_limit, progress)
        when = resolve_as_of(as_of, project)
        if engine == "duckdb":
            evaluation = local.evaluate(project, locations, when, threads=threads, memory_limit=memory_limit,
                                        progress=progress)
        else:
            evaluation = _engine(engine_module, engine).evaluate(project, locations, when, progress=progress,
                                                                 **options)
        try:
            tree = summary.summarize(project, evaluation, locations, when, __version__)
        except BaseException:
            evaluation.close()
            raise
        return Result(evaluation, tree, evaluation.warnings)

    def _evaluate_points(self, project: typed.Project, locations: dict, times: list[dt.datetime], threads,
                         memory_limit, progress) -> Results:
        from segdsl import __version__
        from segdsl.compiler.as_of import point_name
        from segdsl.engine import local, summary

        evaluated = local.evaluate_points(project, locations, times, threads=threads, memory_limit=memory_limit,
                                          progress=progress)
        try:
            points = [Result(e, summary.summarize(project, e, locations, when, __version__), e.warnings)
                      for e, when in zip(evaluated.evaluations, times, strict=True)]
        except BaseException:
            evaluated.close()
            raise
        return Results(points, [point_name(when) for when in times], evaluated)

    def explain(self, id: object, segment: str | None = None, data: dict[str, str] | None = None,
                as_of: dt.datetime | str | None = None):
        """Why the entity whose key is `id` is or is not in each segment, layer tier and
        microsegment (or only `segment` — a segment path, layer or microsegment name — and its
        parents): a `segdsl.explain.Explanation`, computed by the same SQL as `evaluate`.

        A text `id` is read as the key column's type. An id no row has raises `UnknownId`
        (a `DataError`); an unknown `segment` raises `UsageError`.
        """
        import shutil

        import duckdb

        from segdsl import explain
        from segdsl.compiler.select import UnknownSegment
        from segdsl.engine import local

        spec, project = self._ready(data)
        paths = None if segment is None else [segment]
        try:
            explain.selection(project, paths)
        except UnknownSegment as exc:
            raise UsageError(f"--segment: {exc}") from None
        when = resolve_as_of(as_of, project)
        locations = self._locations(spec)
        local.check_key_types(project, locations)
        con, temp_dir = local.connect()
        try:
            relations = local.source_relations(con, locations)
            local.check_keys(con, project, relations[project.entity], locations[project.entity])  # as eval does
            return explain.explain(project, con, relations, when, id, paths)
        except explain.UnknownId as exc:
            raise exc.at(locations[project.entity].path) from None
        except duckdb.Error as exc:
            raise local.evaluation_error(exc, locations) from None
        finally:
            con.close()
            shutil.rmtree(temp_dir, ignore_errors=True)

    def test(self, data: dict[str, str] | None = None, explain: bool = True) -> TestReport:
        """Run the rule tests written beside the segments (`tests:`) through the compiled SQL.

        The test tables take each source's column types from its data (the files are read for
        their schemas only). A failing test carries the explain trace of what failed.
        """
        import duckdb

        from segdsl.engine import cases as runner
        from segdsl.engine.local import DataError
        from segdsl.engine.sources import relation

        spec, project = self._ready(data)
        con = duckdb.connect()
        try:
            columns = runner.source_columns(con, {name: relation(con, location)
                                                  for name, location in self._locations(spec).items()})
        finally:
            con.close()
        try:
            results = runner.run_cases(project, spec.tests, columns, resolve_as_of(None, project),
                                       _explainer if explain else None)
        except runner.CaseError as exc:
            raise DataError(_placed(exc, spec.texts)) from None
        return TestReport(results, spec.texts)

    def _ready(self, data: dict[str, str] | None = None) -> tuple[object, typed.Project]:
        """The loaded spec and the checked project, `data` overrides applied; raises
        `RuleErrors` when the project does not check."""
        if data:
            self.data.update(data)
        spec, result = self._check()
        if not result.ok:
            raise RuleErrors(result)
        return spec, result.project

    def _locations(self, spec) -> dict:
        """Where each source's data is, `--data` overrides applied (a table on the server for
        the postgres engine)."""
        if self._server is not None:
            from segdsl.engine import postgres

            return {s.name.name: postgres.location(self.data.get(s.name.name) or s.table or s.name.name)
                    for s in spec.sources}
        from segdsl.engine.local import DataError
        from segdsl.engine.sources import SourceError, locate

        locations = {}
        for source in spec.sources:
            try:
                locations[source.name.name] = locate(source, Path(spec.root), self.data.get(source.name.name))
            except SourceError as exc:
                raise DataError(f"source {source.name.name}: {exc}", exc.hint) from None
        return locations

    def _check(self):
        """The loaded spec and the check result."""
        from segdsl.dsl.checker import check
        from segdsl.dsl.loader import load_project
        from segdsl.engine.sources import read_schemas

        spec, diagnostics = load_project(self.path)
        unknown = sorted(set(self.data) - {s.name.name for s in spec.sources})
        if unknown:
            raise UsageError(f"--data names an unknown source: {', '.join(unknown)}")
        if self._server is not None:
            from segdsl.engine import postgres

            schemas, problems = postgres.read_schemas(spec, self._server, self.data)
        else:
            schemas, problems = read_schemas(spec, self.data)
        diagnostics += problems
        checked, problems = check(spec, schemas)
        diagnostics += problems
        return spec, CheckResult(checked if not has_errors(diagnostics) else None, diagnostics, spec.texts)


def _engine(engine_module, name: str):
    """The engine's module; a missing optional dependency is a usage problem with a fix."""
    try:
        return engine_module(name)
    except ImportError as exc:
        extra = {"spark": "spark", "postgres": "postgres"}[name]
        raise UsageError(f"--engine {name} needs {exc.name or 'a package'} installed: "
                         f"pip install 'segdsl[{extra}]'") from None


def _placed(exc, texts: dict[str, str]) -> str:
    """`file:line:col: message` for an error about a place in a rules file."""
    from segdsl.dsl.render import line_col

    if exc.span is None or exc.span.file not in texts:
        return str(exc)
    line, col = line_col(texts[exc.span.file], exc.span.start)
    return f"{exc.span.file}:{line}:{col}: {exc}"


def _explainer(project: typed.Project, con, as_of: dt.datetime, key: object, targets) -> str:
    """The explain trace of `targets` for the one test entity loaded into `con`."""
    from segdsl import explain
    from segdsl.compiler.names import table

    relations = {name: table(name) for name in project.sources}
    return explain.render_text(explain.explain(project, con, relations, as_of, key, list(targets)))


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


def _points(value: object):
    """The points of a list or range `as_of` (`compiler.as_of.Points`); None for one time."""
    from segdsl.compiler.as_of import PointsError, parse_points

    if not isinstance(value, (list, tuple)) and not (isinstance(value, str) and ("," in value or ".." in value)):
        return None
    try:
        return parse_points(value)
    except PointsError as exc:
        raise UsageError(f"--as-of: {exc}") from None


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
