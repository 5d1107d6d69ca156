"""Diagnostics as data.

Input: created by every stage (YAML loading, parsing, checking, reading schemas).
Output: rendered by `segdsl.dsl.render` (full with caret, concise, JSON).

A diagnostic holds character offsets into a file's text, never line and column: those are
computed only when rendering. Stages return lists of diagnostics instead of raising, so every
problem is reported in one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class FileSpan:
    """Half-open range [start, end) of character offsets in the text of `file`.

    `file` is the path as shown to the user (relative to the working directory when possible).
    """

    file: str
    start: int
    end: int


@dataclass(frozen=True)
class Diagnostic:
    code: str
    """Stable code, e.g. `E201`; see docs/diagnostics.md for the list."""
    severity: Severity
    message: str
    span: FileSpan | None = None
    """Where the problem is; None for problems with no place (an empty project)."""
    label: str = ""
    """Short text shown under the caret."""
    hint: str | None = None
    """One plain suggestion of what to do."""
    notes: tuple[str, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def error(code: str, message: str, span: FileSpan | None = None, **kw) -> Diagnostic:
    return Diagnostic(code, "error", message, span, **kw)


def warning(code: str, message: str, span: FileSpan | None = None, **kw) -> Diagnostic:
    return Diagnostic(code, "warning", message, span, **kw)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
