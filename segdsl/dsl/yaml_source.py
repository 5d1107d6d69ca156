"""YAML with source positions.

Input: the text of one rules file and its path as shown to the user.
Output: a tree of `YScalar` / `YMap` / `YSeq` nodes holding character offsets into that text,
and diagnostics: E001 (not readable YAML), E005 (duplicate key).

PyYAML parses (SafeLoader rules). Our own work is the position mapping: a rule is a YAML
string, and a later stage that finds a problem at character 17 of the rule asks its scalar
where that character sits in the file (`YScalar.index_of`, `YScalar.span`); the re-reading
of quotes, escapes, folding and block indentation lives in `yaml_positions`.

Beyond PyYAML: a duplicate key is an error rather than silently last-wins; an alias is the
very node it names; `<<` merges as in PyYAML; tags other than YAML's standard ones, and
values PyYAML cannot construct (the date 2026-02-30), are E001 errors that keep the tree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, ScalarNode

from segdsl.dsl.diagnostics import Diagnostic, FileSpan, error
from segdsl.dsl.yaml_positions import CharMap, char_map

ScalarValue = str | int | float | bool | None | dt.date | dt.datetime | bytes


@dataclass(frozen=True)
class YScalar:
    value: ScalarValue
    """The Python value as PyYAML's SafeLoader resolves it."""
    text: str
    """The decoded string before type resolution: what the rule parser reads."""
    style: str | None
    """None for plain, `'`, `"`, `|` or `>`."""
    start: int
    end: int
    """The scalar token with its quotes or block header, not an anchor or tag before it; a
    block scalar ends at its last non-blank character."""
    file: str
    chars: CharMap | None = field(default=None, compare=False, repr=False)
    """Where each character of `text` sits in the file; None maps every offset to `start`."""

    def index_of(self, offset: int) -> int:
        """File offset of `text[offset]`; `len(text)` gives the offset just after the end."""
        if not 0 <= offset <= len(self.text):
            raise IndexError(f"offset {offset} outside a scalar of {len(self.text)} characters")
        if self.chars is None:
            return self.start
        if offset < len(self.text):
            return self.chars.starts[offset]
        if self.text:
            return self.chars.ends[-1]
        return self.start + (1 if self.style in ("'", '"') else 0)  # between the empty quotes

    def span(self, start: int = 0, end: int | None = None) -> FileSpan:
        """File span of `text[start:end]`; the whole token when called without arguments."""
        if (start == 0 and end is None) or self.chars is None:
            return FileSpan(self.file, self.start, self.end)
        end = len(self.text) if end is None else end
        low = self.index_of(start)
        high = self.chars.ends[end - 1] if end > start else low
        return FileSpan(self.file, low, max(low, high))


@dataclass(frozen=True)
class YMap:
    items: tuple[tuple[YScalar, YNode], ...]
    """(key, value) in file order; a duplicate key (error E005) is kept in both places."""
    flow: bool
    start: int
    end: int
    file: str

    def get(self, key: ScalarValue) -> YNode | None:
        return next((v for k, v in self.items if _same_key(k.value, key)), None)

    def key(self, key: ScalarValue) -> YScalar | None:
        """The key node itself, for pointing a diagnostic at it."""
        return next((k for k, _ in self.items if _same_key(k.value, key)), None)

    def keys(self) -> list[ScalarValue]:
        return [k.value for k, _ in self.items]

    def span(self) -> FileSpan:
        return FileSpan(self.file, self.start, self.end)


@dataclass(frozen=True)
class YSeq:
    items: tuple[YNode, ...]
    flow: bool
    start: int
    end: int
    file: str

    def span(self) -> FileSpan:
        return FileSpan(self.file, self.start, self.end)


YNode = YScalar | YMap | YSeq


def load_yaml(text: str, file: str) -> tuple[YNode | None, list[Diagnostic]]:
    """Load one YAML document. Problems come back as diagnostics, never as exceptions."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # PyYAML checks for control characters up front
        span = FileSpan(file, exc.position, min(exc.position + 1, len(text)))
        message = f"the file contains a control character (U+{exc.character:04X})"
        return None, [error("E001", message, span, hint="YAML allows no control characters")]
    try:
        root = loader.get_single_node()
        if root is None:
            return None, []
        builder = _Builder(loader, text, file)
        try:
            return builder.node(root), builder.diagnostics
        except _RecursiveAlias as exc:
            message = "an alias refers to the list or mapping that contains it"
            at = exc.args[0].start_mark.index
            return None, [*builder.diagnostics, error("E001", message, FileSpan(file, at, at))]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_error(exc, text, file)]
    except (ValueError, OverflowError, RecursionError) as exc:  # PyYAML lets these out
        at = loader.get_mark().index
        if isinstance(exc, RecursionError):
            message, notes = "lists and mappings nest too deeply", ()
        else:  # e.g. chr() failing on the escape "\U99999999"
            message, notes = "cannot read the YAML here", (f"PyYAML: {exc}",)
        return None, [error("E001", message, FileSpan(file, at, at), notes=notes)]
    finally:
        loader.dispose()


# --- from PyYAML nodes to ours ------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_BREAKS = "\r\n\x85\u2028\u2029"  # PyYAML's line breaks ("\r\n" counts as one)


class _Loader(yaml.SafeLoader):
    """SafeLoader that notes, for each scalar token, where it starts and the indentation.

    A node's start mark includes an anchor or tag written before the scalar, and a block
    scalar's meaning depends on the indentation it was read at. The scanner knows both, so we
    note them as tokens are scanned, keyed by the token's end, which the node keeps.
    """

    def __init__(self, text: str):
        super().__init__(text)
        self.scalar_tokens: dict[int, tuple[int, int]] = {}  # end -> (start, scanner indent)

    def _note(self, scan, *args):
        indent = self.indent
        token = scan(*args)
        self.scalar_tokens[token.end_mark.index] = (token.start_mark.index, indent)
        return token

    def scan_plain(self):
        return self._note(super().scan_plain)

    def scan_flow_scalar(self, style):
        return self._note(super().scan_flow_scalar, style)

    def scan_block_scalar(self, style):
        return self._note(super().scan_block_scalar, style)


class _RecursiveAlias(Exception):
    pass


class _Builder:
    """Turns PyYAML nodes into ours; an aliased node becomes one shared node."""

    def __init__(self, loader: _Loader, text: str, file: str):
        self.loader, self.text, self.file = loader, text, file
        self.diagnostics: list[Diagnostic] = []
        self._built: dict[int, YNode] = {}
        self._building: set[int] = set()

    def node(self, node) -> YNode:
        if id(node) in self._built:
            return self._built[id(node)]
        if id(node) in self._building:
            raise _RecursiveAlias(node)
        self._building.add(id(node))
        if isinstance(node, ScalarNode):
            built: YNode = self.scalar(node)
        elif isinstance(node, MappingNode):
            built = self.mapping(node)
        else:
            self._check_tag(node, _TAG + "seq")
            items = tuple(self.node(item) for item in node.value)
            built = YSeq(items, bool(node.flow_style), *self._bounds(node, items), self.file)
        self._building.discard(id(node))
        self._built[id(node)] = built
        return built

    def mapping(self, node: MappingNode) -> YMap:
        self._check_tag(node, _TAG + "map")
        written: list[tuple[YScalar, YNode]] = []
        merged: list[tuple[YScalar, YNode]] = []
        seen: dict[tuple, YScalar] = {}
        children: list[YNode] = []
        for key_node, value_node in node.value:
            key, value = self.node(key_node), self.node(value_node)
            children += (key, value)
            if isinstance(key_node, ScalarNode) and key_node.tag == _TAG + "merge":
                merged += self._merged_items(value)
                continue
            if not isinstance(key, YScalar):
                self._error("a key must be a single value, not a list or mapping", key.span())
                continue
            if (first := seen.get(_key_identity(key.value))) is not None:
                line = len(_LINE_BREAK.findall(self.text, 0, first.start)) + 1
                self.diagnostics.append(error(
                    "E005", f"duplicate key '{key.text}'", key.span(), label="repeated here",
                    notes=(f"'{key.text}' first appears on line {line}",),
                    hint="remove or rename one of them"))
            seen.setdefault(_key_identity(key.value), key)
            written.append((key, value))
        # As in PyYAML: keys written in the mapping win over merged ones, earlier merges win.
        kept = []
        for key, value in merged:
            if seen.setdefault(_key_identity(key.value), key) is key:
                kept.append((key, value))
        return YMap(tuple(kept + written), bool(node.flow_style), *self._bounds(node, children),
                    self.file)

    def _merged_items(self, value: YNode) -> list[tuple[YScalar, YNode]]:
        items = []
        for source in value.items if isinstance(value, YSeq) else (value,):
            if isinstance(source, YMap):
                items += source.items
            else:
                self._error("'<<' merges a mapping or a list of mappings", source.span())
        return items

    def scalar(self, node: ScalarNode) -> YScalar:
        end = node.end_mark.index
        start, indent = self.loader.scalar_tokens.get(end, (-1, 0))
        if start < node.start_mark.index:  # no token: an empty value, where it would have been
            start, chars = end, CharMap((), ())
        else:
            chars = char_map(self.text, start, end, node.style, indent, node.value)
        if node.style in ("|", ">"):  # the token runs on over the blank lines after it
            end = self._trim(start + 1, end)
        value = self._value(node, FileSpan(self.file, start, end))
        return YScalar(value, node.value, node.style, start, end, self.file, chars)

    def _value(self, node: ScalarNode, span: FileSpan) -> ScalarValue:
        if node.tag in (_TAG + "merge", _TAG + "value"):  # `<<` and `=` outside their roles
            return node.value
        if node.tag not in self.loader.yaml_constructors:
            self._error(f"unknown tag '{_short_tag(node.tag)}'", span)
            return node.value
        try:
            return self.loader.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            message = exc.problem or "cannot read this value"
        except (ValueError, OverflowError, TypeError) as exc:  # e.g. the date 2026-02-30
            kind = {"timestamp": "date", "int": "integer", "float": "number"}.get(
                node.tag.replace(_TAG, ""), _short_tag(node.tag))
            message = f"'{node.value}' is not a valid {kind}: {exc}"
        self._error(message, span)
        return node.value

    def _bounds(self, node, children) -> tuple[int, int]:
        start, end = node.start_mark.index, node.end_mark.index
        if not node.flow_style:  # PyYAML ends a block at the next token, past any comments
            end = max([start] + [c.end for c in children if c.start >= start])
        return start, end

    def _trim(self, low: int, end: int) -> int:
        while end > low and self.text[end - 1] in " \t" + _BREAKS:
            end -= 1
        return end

    def _check_tag(self, node, expected: str) -> None:
        if node.tag != expected:
            at = node.start_mark.index
            message = f"the tag '{_short_tag(node.tag)}' is not supported in a rules file"
            self._error(message, FileSpan(self.file, at, at))

    def _error(self, message: str, span: FileSpan) -> None:
        self.diagnostics.append(error("E001", message, span))


def _short_tag(tag: str) -> str:
    return tag.replace(_TAG, "!!")


def _key_identity(value: ScalarValue) -> tuple:
    return (type(value), value)  # keeps `true` and `1` apart, which Python's == does not


def _same_key(a: ScalarValue, b: ScalarValue) -> bool:
    return _key_identity(a) == _key_identity(b)


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


# --- syntax errors in plain words ---------------------------------------------------------

_TOKEN_WORDS = {
    "block end": "the end of the indented block", "block mapping start": "a new mapping",
    "block sequence start": "a new list", "stream end": "the end of the file",
    "document start": "'---'", "document end": "'...'", "scalar": "a value",
}
_PHRASES = (
    ("'?'", "a key"), ("a block scalar", "a | or > block"), ("while scanning", "while reading"),
    ("while parsing", "while reading"), ("block ", ""), ("flow sequence", "[...] list"),
    ("flow mapping", "{...} mapping"), ("simple key", "key"), ("scalar", "value"),
    ("stream", "file"), ("character '\\t'", "a tab"), ("but got", "but found"),
)
_HINTS = (
    ("mapping values are not allowed", "quote a value that holds ': ', or check the indentation"),
    ("a tab", "indent with spaces; YAML does not allow tabs here"),
    ("end of the indented", "check the indentation of this line"),
    ("unexpected end of file", "close the quote"),
    ("cannot start any token", "put the value in quotes"),
)


def _plain_words(message: str) -> str:
    """PyYAML's wording without its token names: "expected <block end>" reads as English."""
    message = re.sub(r"'?<([a-z ]+)>'?", lambda m: _TOKEN_WORDS.get(m[1], m[0]), message)
    for phrase, words in _PHRASES:
        message = message.replace(phrase, words)
    return message.strip()


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    at = mark.index if mark else 0
    width = 1 if at < len(text) and text[at] not in _BREAKS else 0  # a caret under a character
    span = FileSpan(file, at, at + width)
    if exc.context == "expected a single document in the stream":
        return error("E001", "a rules file holds one YAML document", span,
                     label="a second document starts here",
                     hint="remove the '---' line or move the second document to its own file")
    context_line = exc.context_mark.line + 1 if exc.context_mark else None
    if exc.problem == "second occurrence":  # a duplicate anchor, worded the other way round
        message = (exc.context or "").replace("; first occurrence", "")
        notes: tuple[str, ...] = (f"the first one is on line {context_line}",)
    else:
        message = _plain_words(exc.problem or exc.context or "this is not valid YAML")
        notes = ()
        if exc.problem and exc.context and context_line:
            notes = (f"{_plain_words(exc.context)} that starts on line {context_line}",)
    hint = next((h for key, h in _HINTS if key in message), None)
    return error("E001", message, span, hint=hint, notes=notes)
