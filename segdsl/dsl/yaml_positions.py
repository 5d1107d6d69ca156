"""Where each character of a YAML scalar came from.

Input: a file's text and one scalar token in it (start, end, style, the scanner's indentation)
together with the string PyYAML decoded from it.
Output: a `CharMap`: for every decoded character, the file offsets it was read from.

Quotes, escapes, line folding and block indentation move characters around, so the token is
re-read here following PyYAML's scanner for its style, step for step. The result is checked
against PyYAML's string; on any disagreement there is no map (positions then fall back to the
token's start rather than point at the wrong place).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

_BREAKS = "\r\n\x85\u2028\u2029"  # PyYAML's line breaks ("\r\n" counts as one)
_BLANK = " \t" + _BREAKS


@dataclass(frozen=True)
class CharMap:
    """Decoded character i came from file offsets [starts[i], ends[i]).

    An escape (`\\t`) or a doubled quote spans several file characters; a line break folded
    into a space points at the break.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]


Piece = tuple[str, int, int]  # one decoded character and the file offsets [start, end) behind it
_ESCAPES = yaml.scanner.Scanner.ESCAPE_REPLACEMENTS
_ESCAPE_CODES = yaml.scanner.Scanner.ESCAPE_CODES


class _Mismatch(Exception):
    """Our reading of a scalar went a way PyYAML's did not."""


def char_map(text: str, start: int, end: int, style: str | None, indent: int,
             expected: str) -> CharMap | None:
    """Map each character of the scalar token `text[start:end]` back to the file.

    Follows PyYAML's scanner for the style; `indent` is the scanner's indentation, which block
    scalars need. None unless the decoded string equals PyYAML's, `expected`: positions then
    fall back to the token's start rather than point at the wrong place.
    """
    cursor = _Cursor(text, start)
    try:
        if style is None:
            pieces = _plain(cursor, end)
        elif style in ("'", '"'):
            pieces = _quoted(cursor, style == '"')
        else:
            pieces = _block(cursor, style == ">", indent)
    except (_Mismatch, ValueError, OverflowError):
        return None
    if "".join(p[0] for p in pieces) != expected:
        return None
    return CharMap(tuple(p[1] for p in pieces), tuple(p[2] for p in pieces))


class _Cursor:
    """Walks the text the way PyYAML's Reader does, counting columns as it does."""

    def __init__(self, text: str, pos: int):
        self.text, self.pos = text, pos
        line_start = max(text.rfind(ch, 0, pos) for ch in _BREAKS) + 1
        self.column = pos - line_start - text.count("\ufeff", line_start, pos)

    def peek(self, k: int = 0) -> str:
        i = self.pos + k
        return self.text[i] if i < len(self.text) else "\0"  # PyYAML's end marker

    def forward(self, n: int = 1) -> None:
        for _ in range(n):
            ch = self.peek()
            self.pos += 1
            if ch in "\n\x85\u2028\u2029" or (ch == "\r" and self.peek() != "\n"):
                self.column = 0
            elif ch != "\ufeff":
                self.column += 1

    def take(self, n: int) -> list[Piece]:
        """The next n characters, as written."""
        pieces = [(self.text[i], i, i + 1) for i in range(self.pos, self.pos + n)]
        self.forward(n)
        return pieces

    def run(self, stop: str, limit: int | None = None) -> int:
        """Length of the run ahead holding none of `stop`, stopping at `limit` or the end."""
        limit = len(self.text) if limit is None else limit
        n = 0
        while self.pos + n < limit and self.text[self.pos + n] not in stop:
            n += 1
        return n

    def skip(self, chars: str) -> None:
        while self.peek() in chars:
            self.forward()

    def line_break(self) -> Piece | None:
        at, ch = self.pos, self.peek()
        if ch in "\r\n\x85":
            self.forward(2 if self.text.startswith("\r\n", at) else 1)
            return ("\n", at, self.pos)
        if ch in "\u2028\u2029":
            self.forward()
            return (ch, at, self.pos)
        return None


def _spaces(c: _Cursor) -> list[Piece]:
    """Blanks between words. Within a line they stay as written; a line break and the next
    line's indentation fold into one space (pointing at the break); an empty line is "\\n"."""
    at = c.pos
    c.skip(" \t")
    first = c.line_break()
    if first is None:
        return [(c.text[i], i, i + 1) for i in range(at, c.pos)]
    breaks = _more_breaks(c)
    if first[0] != "\n":  # "\u2028" and "\u2029" are kept, never folded
        return [first, *breaks]
    return breaks or [(" ", first[1], first[2])]


def _more_breaks(c: _Cursor) -> list[Piece]:
    breaks = []
    c.skip(" \t")
    while (line_break := c.line_break()) is not None:
        breaks.append(line_break)
        c.skip(" \t")
    return breaks


def _plain(c: _Cursor, end: int) -> list[Piece]:
    pieces = c.take(c.run(_BLANK, end))
    while c.pos < end:
        before = c.pos
        pieces += _spaces(c) + c.take(c.run(_BLANK, end))
        if c.pos == before:
            raise _Mismatch
    return pieces


def _quoted(c: _Cursor, double: bool) -> list[Piece]:
    quote = c.peek()
    c.forward()
    pieces = _quoted_run(c, double)
    while c.peek() != quote:
        before = c.pos
        pieces += _spaces(c) + _quoted_run(c, double)
        if c.pos == before:
            raise _Mismatch
    return pieces


def _quoted_run(c: _Cursor, double: bool) -> list[Piece]:
    pieces: list[Piece] = []
    while True:
        pieces += c.take(c.run("'\"\\" + _BLANK))
        ch, at = c.peek(), c.pos
        if not double and ch == "'" and c.peek(1) == "'":
            c.forward(2)
            pieces.append(("'", at, c.pos))
        elif (double and ch == "'") or (not double and ch in ('"', "\\")):
            pieces += c.take(1)
        elif double and ch == "\\":
            c.forward()
            if c.peek() in _ESCAPES:
                pieces.append((_ESCAPES[c.peek()], at, c.pos + 1))
                c.forward()
            elif c.peek() in _ESCAPE_CODES:
                digits = c.text[c.pos + 1:c.pos + 1 + _ESCAPE_CODES[c.peek()]]
                c.forward(1 + len(digits))
                pieces.append((chr(int(digits, 16)), at, c.pos))
            elif c.line_break():  # an escaped line break joins the lines with nothing between
                pieces += _more_breaks(c)
            else:
                raise _Mismatch
        else:
            return pieces


def _block(c: _Cursor, folded: bool, parent_indent: int) -> list[Piece]:
    c.forward()  # '|' or '>'
    chomping, increment = None, None
    for _ in range(2):  # the indicators come in either order: `|-2`, `|2-`
        if c.peek() in "+-" and chomping is None:
            chomping = c.peek() == "+"
            c.forward()
        elif c.peek() in "123456789" and increment is None:
            increment = int(c.peek())
            c.forward()
    c.forward(c.run(_BREAKS))  # blanks and a comment up to the end of the header line
    c.line_break()

    min_indent = max(parent_indent + 1, 1)
    if increment is None:  # the most indented of the leading blank lines, or the first text
        breaks, max_indent = [], 0
        while c.peek() in " " + _BREAKS:
            if c.peek() == " ":
                c.forward()
                max_indent = max(max_indent, c.column)
            else:
                breaks.append(c.line_break())
        indent = max(min_indent, max_indent)
    else:
        indent = min_indent + increment - 1
        breaks = _block_breaks(c, indent)

    pieces: list[Piece] = []
    line_break = None
    while c.column == indent and c.peek() != "\0":
        pieces += breaks
        starts_with_text = c.peek() not in " \t"
        pieces += c.take(c.run(_BREAKS))
        line_break = c.line_break()
        breaks = _block_breaks(c, indent)
        if not (c.column == indent and c.peek() != "\0") or line_break is None:
            break
        # PyYAML folds a break between two lines that start with text, and keeps all others.
        if folded and line_break[0] == "\n" and starts_with_text and c.peek() not in " \t":
            if not breaks:
                pieces.append((" ", line_break[1], line_break[2]))
        else:
            pieces.append(line_break)
    if chomping is not False and line_break:  # "clip" and "keep" end with the last break
        pieces.append(line_break)
    if chomping is True:
        pieces += breaks
    return pieces


def _block_breaks(c: _Cursor, indent: int) -> list[Piece]:
    breaks = []
    while c.column < indent and c.peek() == " ":
        c.forward()
    while (line_break := c.line_break()) is not None:
        breaks.append(line_break)
        while c.column < indent and c.peek() == " ":
            c.forward()
    return breaks
