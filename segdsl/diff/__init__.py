"""`segdsl diff --base REV`: rule changes since a git revision, and their effect on the members.

Input: a rules project folder inside a git repository, a revision, optional `--data NAME=PATH`
overrides (applied to both versions) and as_of.
Output: a `Report`: the rule diff (`rules.Change` per item) and, unless asked not to, the
effect (`effect.Cell` per segment, tier and microsegment key).

Stages, each a public function that `diff` only chains:

| stage | function | input → output |
|---|---|---|
| read the base | `segdsl.gitrev.checkout` | folder + revision → the folder as it was, in a temporary folder |
| load both | `load_version` | folder → `ProjectSpec`, checked `typed.Project`, diagnostics |
| rule diff | `rules.rule_diff` | two `ProjectSpec`s → `RuleDiff` |
| effect | `effect.cells` | two `typed.Project`s + renames + data → `Cell`s (one pass) |
| render | `render.text`, `render.markdown`, `render.to_json` | `Report` → text |

The base version reads the data as it is now: its sources' paths are resolved against the
current project folder, since data files are rarely kept in git.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from segdsl.diff.effect import BASE, Cell, NotComparable, cells
from segdsl.diff.rules import Change, RuleDiff, rule_diff
from segdsl.dsl import typed
from segdsl.dsl.diagnostics import Diagnostic, FileSpan, has_errors
from segdsl.dsl.project import ProjectSpec


@dataclass(frozen=True)
class Report:
    project: str
    base: str
    """The revision as given."""
    commit: str
    as_of: dt.datetime | None
    diff: RuleDiff
    cells: tuple[Cell, ...] | None
    """None when the effect was not computed (see `notes`)."""
    notes: tuple[str, ...] = ()

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.diff.changes if c.changed)

    @property
    def changed(self) -> bool:
        return self.diff.changed

    @property
    def moved(self) -> bool:
        return any(c.enter or c.leave for c in self.cells or ())


@dataclass(frozen=True)
class Version:
    spec: ProjectSpec
    project: typed.Project | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)


def load_version(folder: Path, data_root: Path, data: dict[str, str], check: bool = True) -> Version:
    """Load (and check, reading the schemas) the project in `folder`, its data read from `data_root`."""
    from segdsl.dsl.checker import check as check_project
    from segdsl.dsl.loader import load_project
    from segdsl.engine.sources import read_schemas

    spec, diagnostics = load_project(folder)
    # Data files are rarely in git: the base revision's sources are found where they are now.
    spec = dataclasses.replace(spec, root=str(data_root))
    if not check or has_errors(diagnostics):
        return Version(spec, None, diagnostics, spec.texts)
    schemas, problems = read_schemas(spec, {k: v for k, v in data.items() if k in {s.name.name for s in spec.sources}})
    diagnostics += problems
    checked, problems = check_project(spec, schemas)
    diagnostics += problems
    return Version(spec, None if has_errors(diagnostics) else checked, diagnostics, spec.texts)


def at_revision(version: Version, folder: Path, shown_folder: Path, revision: str) -> Version:
    """The base version's diagnostics and texts under the names users know (`rules/b2b.yml@HEAD~1`)."""
    from segdsl.dsl.loader import display_path

    temp = os.path.abspath(folder)

    def shown(path: str) -> str:
        relative = os.path.relpath(os.path.abspath(path), temp)
        if relative.startswith(".."):
            return path
        return f"{display_path(shown_folder / relative)}@{revision}"

    def fix(d: Diagnostic) -> Diagnostic:
        span = d.span and FileSpan(shown(d.span.file), d.span.start, d.span.end)
        message = d.message.replace(display_path(folder), f"{display_path(shown_folder)}@{revision}")
        return dataclasses.replace(d, span=span, message=message)

    return dataclasses.replace(version, diagnostics=[fix(d) for d in version.diagnostics],
                               texts={shown(k): v for k, v in version.texts.items()})


class VersionErrors(Exception):
    """A version does not load or check; `diagnostics` and `texts` say why."""

    def __init__(self, diagnostics: list[Diagnostic], texts: dict[str, str]):
        super().__init__("the project has errors")
        self.diagnostics, self.texts = diagnostics, texts


def diff(project: str | Path, base: str, data: dict[str, str] | None = None,
         as_of: dt.datetime | str | None = None, effect: bool = True, **settings) -> Report:
    """Compare the project as it is now with the project as it was at revision `base`."""
    from segdsl.api import UsageError, resolve_as_of
    from segdsl.engine.local import DataError
    from segdsl.engine.sources import SourceError, locate
    from segdsl.gitrev import GitError, checkout

    folder = Path(project)
    data = dict(data or {})
    try:
        with checkout(folder, base) as old:
            head = load_version(folder, folder, data, check=effect)
            before = None
            if old.folder is not None:
                before = at_revision(load_version(old.folder, folder, data, check=effect), old.folder, folder, base)
    except GitError as exc:
        raise UsageError(str(exc)) from None
    known = {s.name.name for s in head.spec.sources} | ({s.name.name for s in before.spec.sources} if before else set())
    if unknown := sorted(set(data) - known):
        raise UsageError(f"--data names an unknown source: {', '.join(unknown)}")
    # The base reads the same data: a data problem both versions have is shown once, for now.
    seen = {(d.code, d.message) for d in head.diagnostics}
    diagnostics = head.diagnostics + [d for d in (before.diagnostics if before else [])
                                      if (d.code, d.message) not in seen]
    if has_errors(diagnostics):
        raise VersionErrors(diagnostics, {**head.texts, **(before.texts if before else {})})
    changes = rule_diff(before.spec if before else None, head.spec)
    notes = []
    if before is None:
        notes.append(f"{project} did not exist at {base}: everything is added")
    if not effect:
        return Report(str(project), base, old.commit, None, changes, None, tuple(notes))
    when = resolve_as_of(as_of, head.project)
    try:
        locations = {s.name.name: locate(s, folder, data.get(s.name.name)) for s in head.spec.sources}
        base_locations = ({s.name.name: locate(s, folder, data.get(s.name.name)) for s in before.spec.sources}
                          if before else {})
    except SourceError as exc:
        raise DataError(str(exc), exc.hint) from None
    try:
        found, warnings = cells(before.project if before else None, head.project, changes, locations,
                                base_locations, when, **settings)
        # A source read differently at the base is named `@base/<name>` inside the merged pass.
        notes += [f"warning: {w}" for w in dict.fromkeys(w.replace(BASE, "") for w in warnings)]
    except NotComparable as exc:
        notes.append(f"no effect figures: {exc}")
        found = None
    return Report(str(project), base, old.commit, when, changes, tuple(found) if found is not None else None,
                  tuple(notes))


__all__ = ["Cell", "Change", "Report", "VersionErrors", "diff", "load_version"]
