"""Checks of YAML shapes: the right kind of node, known keys, required keys, valid names.

Input: nodes of `segdsl.dsl.yaml_source`.
Output: plain values (or None) for the loader, and diagnostics appended to a shared list, so
that every shape problem in a project is reported in one run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from segdsl.dsl import diagnostics as d
from segdsl.dsl.diagnostics import Diagnostic, FileSpan
from segdsl.dsl.project import Named
from segdsl.dsl.suggest import did_you_mean, suggestion_text
from segdsl.dsl.yaml_source import YMap, YNode, YScalar, YSeq

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
COLUMN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Shapes:
    """Reads values out of YAML nodes, reporting what does not fit into `diags`."""

    def __init__(self, diags: list[Diagnostic]):
        self.diags = diags

    def report(self, code: str, message: str, node: YNode | None, **kw) -> None:
        span = FileSpan(node.file, node.start, node.end) if node is not None else None
        self.diags.append(d.error(code, message, span, **kw))

    @staticmethod
    def describe(node: YNode | None) -> str:
        match node:
            case YMap():
                return "a mapping"
            case YSeq():
                return "a list"
            case YScalar(value=None):
                return "nothing"
            case YScalar(value=bool()):
                return "a boolean"
            case YScalar(value=int() | float()):
                return "a number"
            case YScalar():
                return "text"
        return "nothing"

    @staticmethod
    def span_of(node: YNode | None, fallback: YNode | Named | None) -> FileSpan:
        target = node if node is not None else fallback
        if isinstance(target, Named):
            return target.span
        if target is None:
            return FileSpan("", 0, 0)
        return FileSpan(target.file, target.start, target.end)

    def mapping(self, node: YNode | None, what: str, allow_empty: bool = False) -> YMap | None:
        if node is None or (isinstance(node, YScalar) and node.value is None):
            if not allow_empty and node is not None:
                self.report("E002", f"{what} is empty", node)
            return None
        if not isinstance(node, YMap):
            self.report("E002", f"expected {what} as a mapping of keys to values, found {self.describe(node)}", node)
            return None
        return node

    def items(self, node: YNode | None, what: str) -> list[YNode]:
        """The items of a list; nothing (and no error) when the key is absent or empty."""
        if node is None or (isinstance(node, YScalar) and node.value is None):
            return []
        if not isinstance(node, YSeq):
            self.report("E002", f"`{what}` must be a list (items start with `- `), found {self.describe(node)}", node)
            return []
        return list(node.items)

    def entries(self, node: YNode | None, what: str) -> Iterator[tuple[YScalar, YNode]]:
        """The entries of a mapping such as `sources:`; nothing when absent or empty."""
        body = self.mapping(node, f"`{what}`", allow_empty=True)
        if body is None:
            return
        yield from body.items

    def keys(self, body: YMap, allowed: set[str], what: str, required: Iterable[str] = (),
             ignore: set[str] | frozenset[str] = frozenset()) -> set[str]:
        """Report unknown keys and missing required ones; return the keys that an unknown key
        was taken for (`rul` → `rule`). A required key that an unknown key was taken for is
        not reported missing as well: one mistake, one message."""
        meant: set[str] = set()
        for key, _ in body.items:
            name = key.text
            if name in allowed or name in ignore:
                continue
            suggestion = did_you_mean(name, allowed)
            if suggestion is not None:
                meant.add(suggestion)
            self.report(
                "E003", f"unknown key `{name}` in {what}{suggestion_text(name, allowed)}", key,
                hint="allowed keys: " + ", ".join(sorted(allowed)), label="not a known key",
            )
        for name in required:
            if name not in meant and not any(k.text == name for k, _ in body.items):
                self.report("E004", f"{what} needs `{name}`", body, label=f"no `{name}` here")
        return meant

    def as_of(self, node: YNode | None) -> dt.datetime | None:
        """An `as_of:` value: a date (its midnight) or a timestamp (a zone-aware one in UTC)."""
        if node is None:
            return None
        if isinstance(node, YScalar):
            value = node.value
            if isinstance(value, dt.datetime):
                # A zone-aware timestamp is taken at UTC; segdsl's times are naive UTC.
                return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
            if isinstance(value, dt.date):
                return dt.datetime(value.year, value.month, value.day)
            if isinstance(value, str):
                try:
                    return dt.datetime.fromisoformat(value)
                except ValueError:
                    pass
        self.report("E002", "`as_of` must be a date or timestamp such as 2026-11-01", node,
                    hint="write `as_of: 2026-11-01` or `as_of: 2026-11-01T06:00:00`")
        return None

    def string(self, node: YNode | None, what: str) -> str | None:
        if node is None or (isinstance(node, YScalar) and node.value is None):
            return None
        if isinstance(node, YScalar) and not isinstance(node.value, (list, dict)):
            return node.value if isinstance(node.value, str) else node.text
        self.report("E002", f"`{what}` must be text, found {self.describe(node)}", node)
        return None

    def choice(self, node: YNode | None, options: tuple[str, ...], what: str,
               noun: str | None = None) -> str | None:
        """One of `options`; `noun`, when given, names the value in messages instead of `what`."""
        value = self.string(node, what)
        if value is None:
            return None
        if value not in options:
            hint = did_you_mean(value, options)
            suggestion = f" (did you mean '{hint}'?)" if hint else ""
            self.report("E002", f"`{value}` is not a valid {noun or what}{suggestion}",
                        node, hint="use one of: " + ", ".join(options))
            return None
        return value

    def name(self, node: YNode | None, what: str, strict: bool = True) -> Named | None:
        """A name: `[a-z][a-z0-9_]*` (strict) or any column-like word."""
        if node is None:
            return None
        if not isinstance(node, YScalar) or node.value is None:
            self.report("E002", f"the {what} must be text, found {self.describe(node)}", node)
            return None
        # As written: YAML 1.1 reads `yes` and `no` as booleans, but `- name: no` means a tier "no".
        text = node.value if isinstance(node.value, str) else node.text
        pattern = NAME_RE if strict else COLUMN_RE
        if not pattern.fullmatch(text):
            fixed = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "name"
            if not fixed[0].isalpha():  # `2024_signups` → `signups_2024`
                digits, rest = re.match(r"([0-9_]*)(.*)", fixed).groups()
                fixed = f"{rest}_{digits.strip('_')}" if rest else f"n_{fixed}"
            self.report("E006", f"`{text}` is not a valid {what}", node,
                        hint=f"names are lower-case letters, digits and `_`, starting with a letter: `{fixed}`")
            return None
        return Named(text, FileSpan(node.file, node.start, node.end))

    def path(self, node: YNode | None, what: str) -> Named | None:
        """A segment path `a/b/c`, as in `within:`."""
        value = self.string(node, what)
        if value is None or node is None:
            return None
        if not all(NAME_RE.fullmatch(part) for part in value.split("/")):
            self.report("E006", f"`{value}` is not a segment path", node,
                        hint="a path is segment names joined by `/`, e.g. `tech/power_buyers`")
            return None
        return Named(value, FileSpan(node.file, node.start, node.end))
