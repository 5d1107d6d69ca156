"""Rules project → the same files with every rule in canonical form (`segdsl fmt`).

Input: a rules project folder (SPEC §2).
Output: a `FormatResult`: the files whose rules (metrics, segment rules, tier rules) were, or
with `check=True` would be, rewritten to `printer.to_text(parse_rule(text))`, and the problems
that kept a file as it was.

Only the characters of the rule scalars change: comments, keys, indentation and the rest of
the file stay byte for byte. Each rule keeps its YAML style when that style can hold the
canonical text (a plain scalar that would read differently becomes double-quoted; a block
scalar keeps its header and indentation). A file with a rule that does not parse is left as it
is, and so is one whose rewritten text would not load back to the very same rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from segdsl.dsl import ast
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.loader import load_project
from segdsl.dsl.parser import RuleSyntaxError, parse_rule
from segdsl.dsl.printer import to_text
from segdsl.dsl.project import ProjectSpec, Rule, SegmentSpec
from segdsl.dsl.yaml_source import YMap, YNode, YScalar, YSeq, load_yaml

_READ_ERRORS = ("E001", "E009", "E101", "E102")  # files that cannot be formatted safely


@dataclass
class FormatResult:
    changed: list[str] = field(default_factory=list)
    """Files rewritten (or, with `check`, that would be), as shown to the user."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Why a file was left as it was: YAML or rule syntax errors."""
    unsafe: list[str] = field(default_factory=list)
    """Files left as they were because the rewrite would not load back to the same rules."""
    texts: dict[str, str] = field(default_factory=dict)
    """File texts, for rendering the diagnostics."""

    @property
    def ok(self) -> bool:
        return not self.diagnostics and not self.unsafe


def format_project(path: str | Path, check: bool = False) -> FormatResult:
    """Rewrite every rule of the project at `path` canonically; with `check`, write nothing."""
    spec, diags = load_project(path)
    result = FormatResult(texts=dict(spec.texts))
    result.diagnostics = [x for x in diags if x.code in _READ_ERRORS]
    broken = {x.span.file for x in result.diagnostics if x.span is not None}
    by_file: dict[str, dict[int, Rule]] = {}
    for rule in project_rules(spec):
        by_file.setdefault(rule.scalar.file, {})[rule.scalar.start] = rule
    for file, rules in sorted(by_file.items()):
        if file in broken or any(rule.expr is None for rule in rules.values()):
            continue
        new = format_text(spec.texts[file], file, list(rules.values()))
        if new == spec.texts[file]:
            continue
        newline = None if new is None else _line_endings(Path(file), spec.texts[file])
        if newline is None:
            result.unsafe.append(file)
            continue
        result.changed.append(file)
        if not check:
            _write(Path(file), new, newline)
    return result


def project_rules(spec: ProjectSpec) -> list[Rule]:
    """Every rule and metric expression of a project, in no particular order."""
    rules = [metric.rule for metric in spec.metrics]

    def walk(segment: SegmentSpec) -> None:
        if segment.rule is not None:
            rules.append(segment.rule)
        for child in segment.children:
            walk(child)

    for segment in spec.segments:
        walk(segment)
    rules += [tier.rule for layer in spec.layers for tier in layer.tiers if tier.rule is not None]
    return rules


def format_text(text: str, file: str, rules: list[Rule]) -> str | None:
    """`text` with each of `rules` (parsed, from this file) in canonical form; None when the
    result would not load back to the same YAML values and rule trees."""
    root, _ = load_yaml(text, file)
    flows = _flow_ranges(root)
    pieces: list[str] = []
    expected: dict[int, ast.Expr] = {}  # new start offset -> the tree the rule must parse to
    done = shift = 0
    for rule in sorted(rules, key=lambda r: r.scalar.start):
        scalar = rule.scalar
        in_flow = any(low <= scalar.start < high for low, high in flows)
        source = encode(to_text(rule.expr), text, scalar, in_flow)
        pieces += [text[done:scalar.start], source]
        expected[scalar.start + shift] = rule.expr
        shift += len(source) - (scalar.end - scalar.start)
        done = scalar.end
    new = "".join(pieces) + text[done:]
    if new == text:
        return new
    old_rules = {r.scalar.start: r.expr for r in rules}
    new_root, problems = load_yaml(new, file)
    if problems or _plain(root, old_rules) != _plain(new_root, expected):
        return None
    return new


def encode(rule: str, text: str, scalar: YScalar, in_flow: bool) -> str:
    """The YAML source of `rule` in the style of `scalar` when that style can hold it."""
    if scalar.style == "'" and "\n" not in rule:
        return "'" + rule.replace("'", "''") + "'"
    if scalar.style in ("|", ">") and "\n" not in rule:
        return _block(rule, text, scalar)
    if scalar.style is None and _plain_ok(rule, in_flow):
        return rule
    return json.dumps(rule, ensure_ascii=False)  # JSON escapes are YAML double-quote escapes


def _plain_ok(rule: str, in_flow: bool) -> bool:
    """Whether `rule` reads back as the same string when written plain, on one line."""
    if not rule or "\n" in rule or rule != rule.strip():
        return False
    if in_flow and any(c in rule for c in ",[]{}"):
        return False
    sample = f"{{k: {rule}}}" if in_flow else f"k: {rule}"
    try:
        return yaml.safe_load(sample) == {"k": rule}
    except yaml.YAMLError:
        return False


def _block(rule: str, text: str, scalar: YScalar) -> str:
    """A `|` or `>` scalar: the header line as written, then the rule indented as the first
    line of the original body. A folded (`>`) rule longer than a line is broken before its
    top-level AND/OR, where folding turns the line break back into the space it was."""
    body = text[scalar.start:scalar.end]
    header, _, rest = body.partition("\n")
    first = next((line for line in rest.split("\n") if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" "))]
    lines = _folded_lines(rule, LINE_WIDTH - len(indent)) if scalar.style == ">" else [rule]
    return header + "".join(f"\n{indent}{line}" for line in lines)


LINE_WIDTH = 100
"""Folded block rules are wrapped to this width (indentation included) where they can be."""


def _folded_lines(rule: str, width: int) -> list[str]:
    """`rule` cut before top-level ` AND `/` OR ` (outside parentheses and quotes) so that
    each line fits `width` where a cut allows it; joined by spaces the lines give `rule`."""
    cuts = [0]
    depth, quoted, i = 0, False, 0
    while i < len(rule):
        char = rule[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and char == " " and rule.startswith((" AND ", " OR "), i):
            cuts.append(i)
        i += 1
    cuts.append(len(rule))
    lines: list[str] = []
    start = 0
    for low, high in zip(cuts, cuts[1:]):
        if high - start > width and low > start:  # the line would overflow: cut before this operator
            lines.append(rule[start:low])
            start = low + 1
    lines.append(rule[start:])
    return lines


def _flow_ranges(node: YNode | None) -> list[tuple[int, int]]:
    """Offsets of every `{...}` and `[...]` in the tree: plain scalars inside end at `,`."""
    if isinstance(node, YMap):
        children = [x for item in node.items for x in item]
    elif isinstance(node, YSeq):
        children = list(node.items)
    else:
        return []
    own = [(node.start, node.end)] if node.flow else []
    return own + [r for child in children for r in _flow_ranges(child)]


def _plain(node: YNode | None, rules: dict[int, ast.Expr | None]) -> object:
    """The tree as comparable data; a scalar starting at a key of `rules` becomes its tree."""
    if isinstance(node, YMap):
        return ("map", tuple((_plain(k, rules), _plain(v, rules)) for k, v in node.items))
    if isinstance(node, YSeq):
        return ("seq", tuple(_plain(item, rules) for item in node.items))
    if isinstance(node, YScalar) and node.start in rules:
        try:
            return ("rule", parse_rule(node.text))
        except RuleSyntaxError:
            return ("broken", node.text)
    return ("value", None if node is None else (type(node.value), node.value))


def _line_endings(path: Path, text: str) -> str | None:
    """The file's line break as the loader read it (as `\\n`); None when they are mixed."""
    raw = path.read_bytes().decode("utf-8")
    return "\n" if raw == text else "\r\n" if raw == text.replace("\n", "\r\n") else None


def _write(path: Path, new: str, newline: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(new.replace("\n", newline))
