"""Project folder → `ProjectSpec`, with every rule parsed.

Input: a rules project folder (SPEC §2): `segdsl.yml` at its root (optional) and rules files
(`*.yml`, `*.yaml`) below it. A subfolder holding its own `segdsl.yml` is another project and
is skipped.
Output: a `ProjectSpec` and the diagnostics of YAML syntax, YAML shapes (wrong types, unknown
or missing keys, bad names) and rule syntax. Nothing here raises on bad input.
"""

from __future__ import annotations

import os
from pathlib import Path

from segdsl.dsl import diagnostics as d
from segdsl.dsl.diagnostics import Diagnostic, FileSpan
from segdsl.dsl.cases import load_cases
from segdsl.dsl.parser import RuleSyntaxError, parse_rule
from segdsl.dsl.project import (
    CaseSpec, FieldSpec, LayerSpec, MetricSpec, MicrosegmentSpec, Named, ProjectSpec, Rule, SegmentSpec,
    Settings, SourceSpec, TierSpec,
)
from segdsl.dsl.shapes import Shapes
from segdsl.dsl.yaml_source import YMap, YNode, YScalar, YSeq, load_yaml

SETTINGS_FILES = ("segdsl.yml", "segdsl.yaml")

SETTINGS_KEYS = {"name", "description", "entity", "as_of", "sources", "fields", "metrics"}
RULES_KEYS = {"segments", "layers", "microsegments", "tests"}
SOURCE_KEYS = {"path", "key", "time", "table", "format", "description"}
FIELD_KEYS = {"type", "per", "description"}
SEGMENT_KEYS = {"name", "description", "owner", "rule", "segments"}
LAYER_KEYS = {"name", "description", "within", "tiers"}
TIER_KEYS = {"name", "description", "rule", "else"}
MICRO_KEYS = {"name", "description", "layers", "within"}
FIELD_TYPES = ("number", "string", "boolean", "date", "timestamp", "rate", "list")
SOURCE_FORMATS = ("parquet", "csv", "json", "duckdb")
PER_UNITS = ("hour", "day", "week", "month", "year", "h", "d", "w", "mo", "y")


def display_path(path: Path) -> str:
    """The path as the user should see it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def rule_files(root: Path) -> list[Path]:
    """Rules files below root, sorted, skipping hidden folders and nested projects."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            x for x in dirs
            if not x.startswith(".") and not any((here / x / s).exists() for s in SETTINGS_FILES)
        )
        for name in sorted(files):
            if name.endswith((".yml", ".yaml")) and not (here == root and name in SETTINGS_FILES):
                found.append(here / name)
    return found


def load_project(path: str | Path) -> tuple[ProjectSpec, list[Diagnostic]]:
    """Read and parse every file of a project; report every problem found on the way."""
    root = Path(path)
    diags: list[Diagnostic] = []
    texts: dict[str, str] = {}
    shapes = Shapes(diags)

    def read(file: Path) -> YNode | None:
        shown = display_path(file)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            diags.append(d.error("E009", f"cannot read {shown}: {exc.strerror or exc}", FileSpan(shown, 0, 0)))
            return None
        texts[shown] = text
        node, problems = load_yaml(text, shown)
        diags.extend(problems)
        return node

    settings_path = next((root / s for s in SETTINGS_FILES if (root / s).is_file()), None)
    settings = Settings()
    sources: list[SourceSpec] = []
    fields: list[FieldSpec] = []
    metrics: list[MetricSpec] = []
    if settings_path is not None:
        node = read(settings_path)
        settings_doc = shapes.mapping(node, "the settings file", allow_empty=True)
        if settings_doc is not None:
            shapes.keys(settings_doc, SETTINGS_KEYS, "the settings file")
            settings = _settings(settings_doc, shapes, display_path(settings_path))
            sources = _sources(settings_doc.get("sources"), shapes)
            fields = _fields(settings_doc.get("fields"), shapes)
            metrics = _metrics(settings_doc.get("metrics"), shapes)

    segments: list[SegmentSpec] = []
    layers: list[LayerSpec] = []
    micros: list[MicrosegmentSpec] = []
    cases: list[CaseSpec] = []
    files = rule_files(root)
    for file in files:
        doc = shapes.mapping(read(file), "a rules file", allow_empty=True)
        if doc is None:
            continue
        shapes.keys(doc, RULES_KEYS, "a rules file")
        for item in shapes.items(doc.get("segments"), "segments"):
            segment = _segment(item, None, shapes)
            if segment is not None:
                segments.append(segment)
        for item in shapes.items(doc.get("layers"), "layers"):
            layer = _layer(item, shapes)
            if layer is not None:
                layers.append(layer)
        for item in shapes.items(doc.get("microsegments"), "microsegments"):
            micro = _microsegment(item, shapes)
            if micro is not None:
                micros.append(micro)
        cases += load_cases(doc.get("tests"), shapes)

    if not segments and not layers and not diags:
        what = "no rules files" if not files else "no segments or layers"
        shown = display_path(root)
        folder = "the current folder" if shown == "." else shown
        diags.append(d.error(
            "E008", f"the project in {folder} has {what}",
            hint="add a rules file such as rules.yml with a `segments:` list",
        ))
    spec = ProjectSpec(
        root=str(root), settings=settings, sources=tuple(sources), fields=tuple(fields),
        metrics=tuple(metrics), segments=tuple(segments), layers=tuple(layers),
        microsegments=tuple(micros), texts=texts, rule_files=tuple(display_path(f) for f in files),
        tests=tuple(cases),
    )
    return spec, diags


# --- settings ------------------------------------------------------------------------------


def _settings(doc: YMap, shapes: Shapes, file: str) -> Settings:
    entity = shapes.name(doc.get("entity"), "entity")
    as_of = shapes.as_of(doc.get("as_of"))
    return Settings(entity=entity, as_of=as_of, settings_file=file)


def _sources(node: YNode | None, shapes: Shapes) -> list[SourceSpec]:
    out: list[SourceSpec] = []
    for key, value in shapes.entries(node, "sources"):
        name = shapes.name(key, "source name")
        body = shapes.mapping(value, f"source `{key.text}`")
        if name is None or body is None:
            continue
        shapes.keys(body, SOURCE_KEYS, f"source `{name.name}`", required=("path", "key"))
        fmt = shapes.string(body.get("format"), "format")
        if fmt is not None and fmt not in SOURCE_FORMATS:
            shapes.report("E002", f"unknown format `{fmt}`", body.get("format"),
                          hint="use one of: " + ", ".join(SOURCE_FORMATS))
            fmt = None  # reported once: the file is then read by its extension
        out.append(SourceSpec(
            name=name,
            path=shapes.string(body.get("path"), "path"),
            path_span=shapes.span_of(body.get("path"), key),
            key=shapes.string(body.get("key"), "key"),
            key_span=shapes.span_of(body.get("key"), key),
            time=shapes.string(body.get("time"), "time"),
            time_span=shapes.span_of(body.get("time"), key) if body.get("time") is not None else None,
            table=shapes.string(body.get("table"), "table"),
            format=fmt,
        ))
    return out


def _fields(node: YNode | None, shapes: Shapes) -> list[FieldSpec]:
    out: list[FieldSpec] = []
    for key, value in shapes.entries(node, "fields"):
        name = shapes.name(key, "field name", strict=False)
        body = shapes.mapping(value, f"field `{key.text}`")
        if name is None or body is None:
            continue
        shapes.keys(body, FIELD_KEYS, f"field `{name.name}`")
        type_node = body.get("type")
        ftype = shapes.choice(type_node, FIELD_TYPES, "type")
        per = shapes.choice(body.get("per"), PER_UNITS, "per", noun="unit for `per`")
        if ftype == "rate" and per is None and body.get("per") is None:
            shapes.report("E004", f"field `{name.name}` is a rate and needs `per`", type_node,
                          hint="add `per: month` (or hour, day, week, year)")
        out.append(FieldSpec(name, ftype, shapes.span_of(type_node, key), per,
                             shapes.string(body.get("description"), "description")))
    return out


def _metrics(node: YNode | None, shapes: Shapes) -> list[MetricSpec]:
    out: list[MetricSpec] = []
    for key, value in shapes.entries(node, "metrics"):
        name = shapes.name(key, "metric name")
        rule = _rule(value, f"metric `{key.text}`", shapes, parent=None)
        if name is not None and rule is not None:
            out.append(MetricSpec(name, rule))
    return out


# --- rules files ---------------------------------------------------------------------------


def _rule(node: YNode | None, what: str, shapes: Shapes, parent: YMap | None) -> Rule | None:
    if node is None:
        return None
    if isinstance(node, YScalar) and node.value is None:
        shapes.report("E010", f"the rule of {what} is empty", node,
                      hint="write a condition after `rule:`, e.g. `rule: age >= 18`")
        return None
    if not isinstance(node, YScalar) or not isinstance(node.value, str):
        found = shapes.describe(node)
        shapes.report("E010", f"the rule of {what} must be text, not {found}", node, hint=_NOT_TEXT_HINTS.get(
            found, "a rule is a condition written as text, e.g. `rule: age >= 18`"))
        return None
    text = node.value
    rest = _cut_off_rest(parent, node) if parent is not None else []
    if rest:
        whole = ", ".join([text, *(key.text for key in rest)])
        shapes.report("E102", f"the rule of {what} was cut off at a comma", node,
                      hint=f"inside {{...}} quote a rule that holds commas: rule: \"{whole}\"",
                      label="YAML ends the rule at the comma")
        return Rule(text, None, node)
    try:
        expr = parse_rule(text)
    except RuleSyntaxError as exc:
        span = node.span(exc.span.start, exc.span.end)
        shapes.diags.append(d.error("E101", exc.message, span, label=exc.label, hint=exc.hint))
        return Rule(text, None, node)
    return Rule(text, expr, node)


def _segment(node: YNode, parent: str | None, shapes: Shapes) -> SegmentSpec | None:
    body = shapes.mapping(node, "a segment")
    if body is None:
        return None
    shapes.keys(body, SEGMENT_KEYS, "a segment", required=("name", "rule"),
                ignore=_cut_off_keys(body))
    name = shapes.name(body.get("name"), "segment name")
    written = _written_name(name, body, shapes)
    path = written if parent is None else f"{parent}/{written}"
    rule = _rule(body.get("rule"), f"segment `{path}`", shapes, parent=body)
    # Children are read even under a parent with a bad name, so that their mistakes show now.
    children = tuple(
        child for item in shapes.items(body.get("segments"), "segments")
        if (child := _segment(item, path, shapes)) is not None
    )
    if name is None:
        return None
    return SegmentSpec(
        name=name, path=path, parent=parent, rule=rule,
        description=shapes.string(body.get("description"), "description"),
        owner=shapes.string(body.get("owner"), "owner"),
        children=children,
    )


_NOT_TEXT_HINTS = {
    "a list": "`[...]` makes a YAML list; write the rule as text, e.g. `rule: industry IN (software, saas)`",
    "a mapping": "`key: value` makes a YAML mapping; compare with `=` (`rule: industry = software`), "
                 "or quote a rule that holds `: `",
}


def _cut_off_rest(body: YMap, rule: YNode) -> list[YScalar]:
    """The rest of a rule that YAML cut at a comma inside `{...}`: `{rule: x IN (a, b)}` reads
    as `rule: x IN (a` and a key `b)` without a value. Empty when the rule was not cut."""
    if not (body.flow and isinstance(rule, YScalar) and isinstance(rule.value, str)):
        return []
    depth = rule.value.count("(") - rule.value.count(")")
    rest: list[YScalar] = []
    for key, value in sorted(body.items, key=lambda item: item[0].start):
        if depth <= 0:
            break
        if key.start <= rule.start:
            continue
        if not (isinstance(value, YScalar) and value.value is None):
            break
        rest.append(key)
        depth += key.text.count("(") - key.text.count(")")
    return rest


def _written_name(name: Named | None, body: YMap, shapes: Shapes) -> str:
    """The name as written, even when it is not a valid name, to say where a problem is."""
    return name.name if name is not None else shapes.string(body.get("name"), "name") or "?"


def _cut_off_keys(body: YMap) -> set[str]:
    """Keys that are the rest of a rule YAML cut at a comma (`{rule: x IN (a, b)}`)."""
    return {k.text for k in _cut_off_rest(body, body.get("rule"))}


def _layer(node: YNode, shapes: Shapes) -> LayerSpec | None:
    body = shapes.mapping(node, "a layer")
    if body is None:
        return None
    shapes.keys(body, LAYER_KEYS, "a layer", required=("name", "tiers"))
    name = shapes.name(body.get("name"), "layer name")
    written = _written_name(name, body, shapes)
    within = shapes.path(body.get("within"), "within")
    tiers_node = body.get("tiers")
    items = shapes.items(tiers_node, "tiers")
    empty = (isinstance(tiers_node, YSeq) and not tiers_node.items) or (
        isinstance(tiers_node, YScalar) and tiers_node.value is None)
    if empty:
        shapes.report("E310", f"layer {written} has no tiers", body.get("name") or body,
                      hint="add `tiers:` with at least one `- name: ... rule: ...`")
    tiers: list[TierSpec] = []
    for item in items:
        tier = _tier(item, written, shapes)
        if tier is not None:
            tiers.append(tier)
    if name is None:
        return None
    return LayerSpec(name, within, tuple(tiers), shapes.string(body.get("description"), "description"))


def _tier(item: YNode, layer: str, shapes: Shapes) -> TierSpec | None:
    tier = shapes.mapping(item, "a tier")
    if tier is None:
        return None
    meant = shapes.keys(tier, TIER_KEYS, "a tier", required=("name",), ignore=_cut_off_keys(tier))
    tier_name = shapes.name(tier.get("name"), "tier name")
    written = _written_name(tier_name, tier, shapes)
    else_node = tier.get("else")
    rule_node = tier.get("rule")
    if else_node is not None and rule_node is not None:
        shapes.report("E002", f"tier `{written}` has both `rule` and `else`", rule_node,
                      hint="a catch-all tier has no rule; remove one of them")
        return None
    if else_node is not None:
        if not (isinstance(else_node, YScalar) and else_node.value is True):
            shapes.report("E002", "`else` takes `true`", else_node, hint="write `else: true` for the catch-all tier")
        return None if tier_name is None else TierSpec(tier_name, None, shapes.span_of(else_node, tier_name))
    if rule_node is None:
        if "rule" not in meant and tier_name is not None:
            shapes.report("E004", f"tier `{written}` needs a `rule` (or `else: true`)", item)
        return None
    rule = _rule(rule_node, f"tier `{layer}/{written}`", shapes, parent=tier)
    return None if tier_name is None or rule is None else TierSpec(tier_name, rule)


def _microsegment(node: YNode, shapes: Shapes) -> MicrosegmentSpec | None:
    body = shapes.mapping(node, "a microsegment")
    if body is None:
        return None
    shapes.keys(body, MICRO_KEYS, "a microsegment", required=("name", "layers"))
    name = shapes.name(body.get("name"), "microsegment name")
    layers_node = body.get("layers")
    layers = tuple(
        n for item in shapes.items(layers_node, "layers") if (n := shapes.name(item, "layer name")) is not None
    )
    if name is None:
        return None
    if isinstance(layers_node, YSeq) and not layers_node.items:
        shapes.report("E002", f"microsegment `{name.name}` lists no layers", layers_node)
    return MicrosegmentSpec(name, layers, shapes.path(body.get("within"), "within"),
                            shapes.string(body.get("description"), "description"))
