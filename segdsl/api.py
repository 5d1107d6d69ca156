"""The Python API (SPEC §7): `segdsl.load(path) -> Project`; the CLI is a thin layer over it.

Input: a rules project folder, optional `--data NAME=PATH` overrides.
Output: `Project.check()` → `CheckResult` (the checked project when there is no error, every
diagnostic, and the file texts to render them with).
"""

from __future__ import annotations

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


class Project:
    """A rules project on disk. Nothing is read until a method needs it."""

    def __init__(self, path: str | Path, data: dict[str, str] | None = None):
        self.path = Path(path)
        self.data = dict(data or {})
        if not self.path.is_dir():
            raise UsageError(f"{self.path} is not a folder (a rules project is a folder with segdsl.yml)")

    def check(self) -> CheckResult:
        """Load, parse and check everything; report every problem."""
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
        return CheckResult(checked if not has_errors(diagnostics) else None, diagnostics, spec.texts)


def load(path: str | Path, data: dict[str, str] | None = None) -> Project:
    return Project(path, data)
