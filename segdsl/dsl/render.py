"""Rendering diagnostics for people and for programs.

Input: a list of `Diagnostic`s (spans as character offsets) and `sources`, the text of each file
keyed by the path its spans use. A file missing from `sources` is rendered without a line,
column or code excerpt.
Output: text, always complete lines ending in a newline:
- `render_full`: per diagnostic a `file:line:col: error[CODE]: message` header, the source
  line under a gutter with a caret run and the label, then `= help:` and `= note:` lines;
- `render_concise`: one header line per diagnostic;
- `render_json`: a JSON document for tools;
each text renderer ends with the `summary` line (`2 errors, 1 warning`).

This is the only place where offsets become lines and columns: lines are 1-based and broken by
`\\r\\n`, `\\r` or `\\n` (what YAML 1.2 and editors count); columns are 1-based and count characters
(code points). Diagnostics are rendered in the order given; `sort_diagnostics` puts them in
file order for callers that want it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping

from segdsl.dsl.diagnostics import Diagnostic

__all__ = [
    "line_col",
    "render_concise",
    "render_full",
    "render_json",
    "sort_diagnostics",
    "summary",
]

TAB_WIDTH = 4
"""Tab stops of the code excerpt. A tab is shown as spaces so the carets can line up under it
whatever the terminal's own tab width."""

_Paint = Callable[[str, str], str]
"""`paint(text, style)`: `text` wrapped in the ANSI codes of `style`, or as is without colour."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

_CONTROL_PICTURES = {chr(c): chr(0x2400 + c) for c in range(0x20)} | {"\x7f": "\u2421"}

# Plain SGR codes rather than rich: nothing to import on the CLI's start-up path, and the
# user's text cannot be mistaken for rich markup (`[bold]` in a rule stays as written).
_RESET = "\x1b[0m"
_SGR = {
    "error": "1;31",
    "warning": "1;33",
    "emphasis": "1",
    "gutter": "1;34",
}


# --- positions -----------------------------------------------------------------------------


class _Lines:
    """Where each line of one text starts and ends, for repeated offset lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.ends: list[int] = []
        for brk in _LINE_BREAK.finditer(text):
            self.ends.append(brk.start())
            self.starts.append(brk.end())
        self.ends.append(len(text))

    def line_col(self, index: int) -> tuple[int, int]:
        if not 0 <= index <= len(self.text):
            raise ValueError(f"offset {index} is outside a text of {len(self.text)} characters")
        line = bisect_right(self.starts, index)
        return line, index - self.starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        return self.text[self.starts[line - 1] : self.ends[line - 1]]


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of the character offset `index` in `text`.

    Columns count characters; `\\r\\n` is one line break. `index == len(text)` (end of text) is
    valid; anything outside [0, len(text)] raises ValueError.
    """
    return _Lines(text).line_col(index)


class _Located:
    """A diagnostic's span resolved against its file's text, offsets clamped into the text."""

    def __init__(self, lines: _Lines, start: int, end: int) -> None:
        self.lines = lines
        self.start = start
        self.end = end
        self.line, self.column = lines.line_col(start)
        self.end_line, self.end_column = lines.line_col(end)


class _Sources:
    """`sources` with each file's line table built once per render, not once per diagnostic."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources
        self._lines: dict[str, _Lines] = {}

    def locate(self, diagnostic: Diagnostic) -> _Located | None:
        span = diagnostic.span
        if span is None or span.file not in self._sources:
            return None
        lines = self._lines.get(span.file)
        if lines is None:
            lines = self._lines[span.file] = _Lines(self._sources[span.file])
        # A span that does not fit the text (the file changed since it was read) is clamped:
        # the renderer must not hide the diagnostic it was asked to show.
        size = len(lines.text)
        start = min(max(span.start, 0), size)
        end = min(max(span.end, start), size)
        return _Located(lines, start, end)


def _location(diagnostic: Diagnostic, located: _Located | None) -> str:
    """`file:line:col:`; `file:` when the file's text is not at hand; empty without a span."""
    if diagnostic.span is None:
        return ""
    if located is None:
        return f"{diagnostic.span.file}:"
    return f"{diagnostic.span.file}:{located.line}:{located.column}:"


def _header(diagnostic: Diagnostic, located: _Located | None, paint: _Paint) -> str:
    location = _location(diagnostic, located)
    sev = diagnostic.severity
    head = f"{paint(f'{sev}[{diagnostic.code}]', sev)}: {paint(diagnostic.message, 'emphasis')}"
    return f"{paint(location, 'emphasis')} {head}" if location else head


# --- counting and ordering -----------------------------------------------------------------


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    """`2 errors, 1 warning`, `1 error`, `3 warnings`, or `no problems`."""
    diagnostics = list(diagnostics)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = sum(d.severity == "warning" for d in diagnostics)
    parts = [
        f"{count} {noun}{'' if count == 1 else 's'}"
        for count, noun in ((errors, "error"), (warnings, "warning"))
        if count
    ]
    return ", ".join(parts) or "no problems"


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """By file, then start offset, then code; stable for equal keys.

    Diagnostics without a span concern the project as a whole and come first.
    """

    def key(d: Diagnostic) -> tuple[int, str, int, str]:
        if d.span is None:
            return (0, "", 0, d.code)
        return (1, d.span.file, d.span.start, d.code)

    return sorted(diagnostics, key=key)


# --- full ----------------------------------------------------------------------------------


def render_full(
    diagnostics: Iterable[Diagnostic], sources: Mapping[str, str], color: bool = False
) -> str:
    """Each diagnostic as a block with the code excerpt, blocks separated by a blank line, then
    a blank line and the summary. `color=True` adds ANSI styles; `color=False` is plain text.
    """
    diagnostics = list(diagnostics)
    indexed = _Sources(sources)
    paint = _painter(color)
    blocks = [_full_block(d, indexed.locate(d), paint) for d in diagnostics]
    blocks.append(paint(summary(diagnostics), "emphasis"))
    return "\n\n".join(blocks) + "\n"


def _full_block(diagnostic: Diagnostic, located: _Located | None, paint: _Paint) -> str:
    lines = [_header(diagnostic, located, paint)]
    # The gutter is as wide as the one line number shown; without an excerpt the `=` lines
    # still indent as if under a one-digit gutter.
    width = len(str(located.line)) if located else 1
    blank_gutter = paint(" " * width + " |", "gutter")
    if located is not None:
        shown, pad, marker = _excerpt(located)
        lines.append(blank_gutter)
        lines.append(paint(f"{located.line} |", "gutter") + (f" {shown}" if shown else ""))
        label = f" {diagnostic.label}" if diagnostic.label else ""
        lines.append(f"{blank_gutter} {' ' * pad}{paint(marker + label, diagnostic.severity)}")
    eq = " " * (width + 1) + paint("=", "gutter")
    if diagnostic.hint:
        lines.append(f"{eq} {paint('help:', 'emphasis')} {diagnostic.hint}")
    for note in diagnostic.notes:
        lines.append(f"{eq} {paint('note:', 'emphasis')} {note}")
    return "\n".join(lines)


def _excerpt(located: _Located) -> tuple[str, int, str]:
    """The span's first line as displayed, the carets' indent, and the caret run."""
    lines = located.lines
    line = located.line
    text = lines.line_text(line)
    line_start = lines.starts[line - 1]
    shown, cols = _display(text)
    # Offsets inside the line break (the `\n` of `\r\n`) count as the line's end.
    first = min(located.start - line_start, len(text))
    last_char = located.end - 1 if located.end > located.start else located.start
    multiline = lines.line_col(last_char)[0] != line
    stop = len(text) if multiline else min(located.end - line_start, len(text))
    # A zero-width span, or one that only covers the line break, still gets one caret.
    carets = "^" * max(1, cols[stop] - cols[first])
    return shown, cols[first], carets + ("..." if multiline else "")


def _display(text: str) -> tuple[str, list[int]]:
    """`text` as shown in a terminal, and the display column where each character starts
    (one more entry for the end), so carets line up under tabs and wide characters."""
    out: list[str] = []
    cols: list[int] = []
    col = 0
    for ch in text:
        cols.append(col)
        if ch == "\t":
            spaces = TAB_WIDTH - col % TAB_WIDTH
            out.append(" " * spaces)
            col += spaces
            continue
        if unicodedata.category(ch) == "Cc":
            # Control characters from the file must not drive the terminal (an ESC would
            # start an escape sequence); C0 and DEL show as their Unicode control pictures,
            # the rarer C1 controls as the replacement character.
            ch = _CONTROL_PICTURES.get(ch, "\ufffd")
        out.append(ch)
        col += _cell_width(ch)
    cols.append(col)
    return "".join(out), cols


def _cell_width(ch: str) -> int:
    # Combining marks and format characters (zero-width space, BOM) take no cell of their own.
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _painter(color: bool) -> _Paint:
    def paint(text: str, style: str) -> str:
        if not color or not text:
            return text
        return f"\x1b[{_SGR[style]}m{text}{_RESET}"

    return paint


# --- concise and JSON ----------------------------------------------------------------------


def render_concise(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]) -> str:
    """One `file:line:col: error[CODE]: message` line per diagnostic, then the summary."""
    diagnostics = list(diagnostics)
    indexed = _Sources(sources)
    no_color = _painter(False)
    lines = [_header(d, indexed.locate(d), no_color) for d in diagnostics]
    lines.append(summary(diagnostics))
    return "\n".join(lines) + "\n"


def render_json(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]) -> str:
    """`{"diagnostics": [...], "errors": N, "warnings": N}`, indented by 2, non-ASCII kept.

    `line`/`column` are where the span starts and `end_line`/`end_column` the position just
    after its last character (exclusive, as in LSP), all 1-based; they are null when the
    diagnostic has no span or its file is not in `sources`, and `file` is null without a span.
    """
    diagnostics = list(diagnostics)
    indexed = _Sources(sources)
    items = []
    for d in diagnostics:
        located = indexed.locate(d)
        items.append(
            {
                "code": d.code,
                "severity": d.severity,
                "message": d.message,
                "file": d.span.file if d.span else None,
                "line": located.line if located else None,
                "column": located.column if located else None,
                "end_line": located.end_line if located else None,
                "end_column": located.end_column if located else None,
                "label": d.label,
                "hint": d.hint,
                "notes": list(d.notes),
            }
        )
    document = {
        "diagnostics": items,
        "errors": sum(d.severity == "error" for d in diagnostics),
        "warnings": sum(d.severity == "warning" for d in diagnostics),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
