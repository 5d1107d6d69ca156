"""YAML rules in, memberships out: the whole front end plus the reference interpreter.

Input: the texts of a rules project (`segdsl.yml` and rules files), or just one rule with the
entity's column types; schemas are given in Python, so no data files are needed; entity and
event rows as Python values; as_of.
Output: the checked project (`typed.Project`), its diagnostics, the reference interpreter's
memberships, or simply the keys of the rows a rule matches; and the engine's members table
read back as the same `Membership`s.

Every project passes through the real loader (`load_project`) and checker (`check`); a helper
that expects a project to check fails with the diagnostics rendered as `segdsl check` would.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from segdsl.dsl import typed as t
from segdsl.dsl.checker import check
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.loader import load_project
from segdsl.dsl.render import render_concise
from segdsl.reference import Data, Membership, evaluate, evaluate_expr, own_events

AS_OF = dt.datetime(2026, 11, 1)
"""The default as_of: midnight, as the SPEC's `as_of: 2026-11-01` means."""

KEY = "id"
"""The entity's key column in projects built from a single rule."""

LIST_OF_STRINGS = t.Type("list", element=t.STRING)

TYPES: dict[str, t.Type] = {
    "number": t.NUMBER, "string": t.STRING, "boolean": t.BOOLEAN, "date": t.DATE,
    "timestamp": t.TIMESTAMP, "list": LIST_OF_STRINGS,
}
"""Shorthands for column types: `columns={"age": "number"}`."""

ORDERS: dict[str, t.Type] = {
    "customer_id": t.NUMBER, "ordered_at": t.TIMESTAMP, "amount": t.NUMBER, "category": t.STRING,
}
"""The `orders` event source of single-rule projects: key customer_id, time ordered_at."""

Rows = Mapping[object, Mapping[str, object]] | Sequence[Mapping[str, object]]
"""Entity rows: `{key: {column: value}}`, or a list of rows that hold their own key."""


# --- projects from texts -------------------------------------------------------------------


def load_and_check(files: Mapping[str, str], schemas: Mapping[str, Mapping[str, t.Type | str]]
                   ) -> tuple[t.Project | None, list[Diagnostic], dict[str, str]]:
    """Write `files` (relative path → text) to a temporary project; load and check it.

    Returns the checked project (None on an error), every diagnostic, and the file texts
    by displayed path (what `render_concise` needs).
    """
    with tempfile.TemporaryDirectory(prefix="segdsl-test-") as folder:
        for name, text in files.items():
            path = Path(folder, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        spec, diags = load_project(folder)
        typed_schemas = {source: {column: _type(kind) for column, kind in columns.items()}
                         for source, columns in schemas.items()}
        project, more = check(spec, typed_schemas)
    return project, diags + more, dict(spec.texts)


def checked(files: Mapping[str, str], schemas: Mapping[str, Mapping[str, t.Type | str]]) -> t.Project:
    """The checked project; fails the test, showing the diagnostics, if it has an error."""
    project, diags, texts = load_and_check(files, schemas)
    errors = [x for x in diags if x.is_error]
    assert not errors and project is not None, "the project does not check:\n" + render_concise(diags, texts)
    return project


def engine_memberships(result, project: t.Project) -> list[Membership]:
    """The engine's members table (`Result` or `Evaluation`) as the reference's `Membership`s."""
    rel = result.members
    out = []
    for row in rel.fetchall():
        values = dict(zip(rel.columns, row))
        out.append(Membership(values[project.key], tuple(values["segments"]),
                              {layer.name: values[layer.name] for layer in project.layers},
                              {ms.name: values[ms.name] for ms in project.microsegments}))
    return out


def run(project: t.Project, rows: Rows, events: Mapping[str, list[dict]] | None = None,
        as_of: dt.datetime | dt.date = AS_OF) -> list[Membership]:
    """The reference interpreter's result, one Membership per entity row in row order."""
    entity = _entity_rows(rows, project.key)
    return evaluate(project, Data(entity=entity, events=dict(events or {})), as_of)


# --- single-rule projects ------------------------------------------------------------------


def rule_project(rule: str, *, columns: Mapping[str, t.Type | str], metrics: Mapping[str, str] | None = None,
                 fields: Mapping[str, Mapping[str, str]] | None = None,
                 event_columns: Mapping[str, t.Type | str] | None = None,
                 key_type: t.Type | str = t.NUMBER) -> t.Project:
    """A checked project whose one segment `s` has `rule`.

    Entity `customers` (key `id` plus `columns`) and event source `orders` (`ORDERS`, or
    `event_columns`), with `metrics` (name → expression) and `fields` (name → declaration)
    written into segdsl.yml.
    """
    files, schemas = _rule_files(rule, columns, metrics, fields, event_columns, key_type)
    return checked(files, schemas)


def diagnostics(rule: str, columns: Mapping[str, t.Type | str], *, metrics: Mapping[str, str] | None = None,
                fields: Mapping[str, Mapping[str, str]] | None = None,
                event_columns: Mapping[str, t.Type | str] | None = None) -> list[Diagnostic]:
    """Every diagnostic of the single-rule project (for rules that must not check)."""
    files, schemas = _rule_files(rule, columns, metrics, fields, event_columns, t.NUMBER)
    return load_and_check(files, schemas)[1]


def codes(rule: str, columns: Mapping[str, t.Type | str], **kw) -> list[str]:
    """The codes of the single-rule project's diagnostics, errors and warnings alike."""
    return [x.code for x in diagnostics(rule, columns, **kw)]


def matches(rule: str, rows: Rows, *, columns: Mapping[str, t.Type | str],
            events: Mapping[str, list[dict]] | None = None, metrics: Mapping[str, str] | None = None,
            fields: Mapping[str, Mapping[str, str]] | None = None,
            event_columns: Mapping[str, t.Type | str] | None = None,
            as_of: dt.datetime | dt.date = AS_OF) -> list[object]:
    """The keys of the rows that `rule` matches, in row order."""
    key_type = _key_type(rows)
    project = rule_project(rule, columns=columns, metrics=metrics, fields=fields,
                           event_columns=event_columns, key_type=key_type)
    return [m.key for m in run(project, rows, events, as_of) if "s" in m.segments]


def value(expr: str, row: Mapping[str, object] | None = None, *,
          columns: Mapping[str, t.Type | str] | None = None,
          events: Mapping[str, list[dict]] | None = None, metrics: Mapping[str, str] | None = None,
          fields: Mapping[str, Mapping[str, str]] | None = None,
          as_of: dt.datetime | dt.date = AS_OF) -> object:
    """The value of `expr` for one entity row (key 1), checked as a metric `value_of_expr`.

    Not for rankings, whose value depends on a whole scope.
    """
    metrics = {**(metrics or {}), "value_of_expr": expr}
    project = rule_project("true", columns=columns or {}, metrics=metrics, fields=fields)
    entity = {KEY: 1, **(row or {})}
    data = Data(entity=[entity], events=dict(events or {}))
    own = own_events(project, data, entity)
    known: dict[str, object] = {}
    for metric in project.metrics:  # earlier metrics first: project order is evaluation order
        known[metric.name] = evaluate_expr(metric.expr, entity, own, as_of, metrics=known)
    return known["value_of_expr"]


def settings_yaml(*, metrics: Mapping[str, str] | None = None,
                  fields: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """segdsl.yml of single-rule projects: customers (key id) and orders, no data files."""
    lines = [
        "entity: customers",
        "sources:",
        "  customers: {path: customers.parquet, key: id}",
        "  orders: {path: orders.parquet, key: customer_id, time: ordered_at}",
    ]
    if fields:
        lines.append("fields:")
        for name, declaration in fields.items():
            lines.append(f"  {name}: {{{', '.join(f'{k}: {v}' for k, v in declaration.items())}}}")
    if metrics:
        lines.append("metrics:")
        lines += [f"  {name}: {yaml_scalar(text)}" for name, text in metrics.items()]
    return "\n".join(lines) + "\n"


def yaml_scalar(text: str) -> str:
    """`text` as a YAML scalar: plain when YAML reads it back unchanged, else double-quoted."""
    if "\n" not in text:
        try:
            if yaml.safe_load(f"k: {text}") == {"k": text}:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


# --- internals -----------------------------------------------------------------------------


def _rule_files(rule, columns, metrics, fields, event_columns, key_type):
    files = {
        "segdsl.yml": settings_yaml(metrics=metrics, fields=fields),
        "rules.yml": f"segments:\n  - name: s\n    rule: {yaml_scalar(rule)}\n",
    }
    schemas = {
        "customers": {KEY: key_type, **columns},
        "orders": dict(event_columns if event_columns is not None else ORDERS),
    }
    return files, schemas


def _type(kind: t.Type | str) -> t.Type:
    return TYPES[kind] if isinstance(kind, str) else kind


def _entity_rows(rows: Rows, key: str) -> list[dict]:
    if isinstance(rows, Mapping):
        return [{key: k, **row} for k, row in rows.items()]
    return [dict(row) for row in rows]


def _key_type(rows: Rows) -> t.Type:
    keys = list(rows) if isinstance(rows, Mapping) else [r.get(KEY) for r in rows]
    return t.STRING if any(isinstance(k, str) for k in keys) else t.NUMBER
