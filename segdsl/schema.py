"""A JSON Schema (draft 2020-12) of segdsl's YAML files, for editors and CI.

Input: which files to describe: `project` (`segdsl.yml`), `rules` (rules files) or `both`.
Output: the schema as a dict, ready for `json.dumps`. It mirrors what the loader accepts
(`segdsl.dsl.loader`): the same keys, value types and name pattern. Rules themselves are only
strings here; `segdsl check` parses and checks them.
"""

from __future__ import annotations

from typing import Any

from segdsl.dsl import cases, loader

KINDS = ("project", "rules", "both")

NAME = r"^[a-z][a-z0-9_]*$"
AS_OF = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}([T ].*)?$",
         "description": "reference time for windows and `ago`, e.g. 2026-11-01"}
COLUMN = r"^[A-Za-z_][A-Za-z0-9_]*$"
PATH = r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$"


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _list(ref: str, description: str) -> dict[str, Any]:
    # An empty key (`segments:`) reads as null and the loader takes it as an empty list.
    return {"type": ["array", "null"], "items": {"$ref": ref}, "description": description}


def _object(keys: set[str], properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A mapping with exactly the loader's keys; an unknown key is an error there too."""
    assert set(properties) == keys, f"schema and loader disagree: {set(properties) ^ keys}"
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


def _project_defs() -> dict[str, Any]:
    source = _object(loader.SOURCE_KEYS, {
        "path": _text("file, glob or DuckDB database, relative to the project folder"),
        "key": _text("column that joins the source to the entity"),
        "time": _text("timestamp column used by windows such as `over 90d`"),
        "format": {"enum": list(loader.SOURCE_FORMATS), "description": "default: from the file extension"},
        "table": _text("table to read from a DuckDB database file"),
        "description": _text("free text"),
    }, required=("path", "key"))
    field = _object(loader.FIELD_KEYS, {
        "type": {"enum": list(loader.FIELD_TYPES)},
        "per": {"enum": list(loader.PER_UNITS), "description": "the time unit of a rate"},
        "description": _text("free text"),
    })
    field["if"] = {"properties": {"type": {"const": "rate"}}, "required": ["type"]}
    field["then"] = {"required": ["per"]}
    project = _object(loader.SETTINGS_KEYS, {
        "name": _text("the project's name"),
        "description": _text("free text"),
        "entity": {"type": "string", "pattern": NAME, "description": "the source whose rows are segmented"},
        "as_of": AS_OF,
        "sources": {"type": ["object", "null"], "propertyNames": {"pattern": NAME},
                    "additionalProperties": {"$ref": "#/$defs/source"}},
        "fields": {"type": ["object", "null"], "propertyNames": {"pattern": COLUMN},
                   "additionalProperties": {"$ref": "#/$defs/field"}},
        "metrics": {"type": ["object", "null"], "propertyNames": {"pattern": NAME},
                    "additionalProperties": {"$ref": "#/$defs/rule"},
                    "description": "per-entity values, each a rule such as `count(orders) over 90d`"},
    })
    project["title"] = "segdsl.yml: project settings"
    return {"project": project, "source": source, "field": field}


def _rules_defs() -> dict[str, Any]:
    name = {"type": "string", "pattern": NAME}
    within = {"type": "string", "pattern": PATH, "description": "a segment path such as `tech/power_buyers`"}
    segment = _object(loader.SEGMENT_KEYS, {
        "name": name,
        "description": _text("free text"),
        "owner": _text("who answers for the segment"),
        "rule": {"$ref": "#/$defs/rule"},
        "segments": _list("#/$defs/segment", "micro segments: the parent's rule is ANDed in"),
    }, required=("name", "rule"))
    tier = _object(loader.TIER_KEYS, {
        "name": name,
        "description": _text("free text"),
        "rule": {"$ref": "#/$defs/rule"},
        "else": {"const": True, "description": "the catch-all tier"},
    }, required=("name",))
    tier["oneOf"] = [{"required": ["rule"]}, {"required": ["else"]}]
    layer = _object(loader.LAYER_KEYS, {
        "name": name,
        "description": _text("free text"),
        "within": within,
        "tiers": {"type": "array", "items": {"$ref": "#/$defs/tier"}, "minItems": 1,
                  "description": "first matching tier wins"},
    }, required=("name", "tiers"))
    micro = _object(loader.MICRO_KEYS, {
        "name": name,
        "description": _text("free text"),
        "layers": {"type": "array", "items": name, "minItems": 1},
        "within": within,
    }, required=("name", "layers"))
    rules = _object(loader.RULES_KEYS, {
        "segments": _list("#/$defs/segment", "macro segments"),
        "layers": _list("#/$defs/layer", "exclusive groupings of tiers"),
        "microsegments": _list("#/$defs/microsegment", "combinations of layer tiers"),
        "tests": _list("#/$defs/test", "rule tests: given rows, expected segments (`segdsl test`)"),
    })
    rules["title"] = "segdsl rules file"
    return {"rules": rules, "segment": segment, "layer": layer, "tier": tier, "microsegment": micro,
            **_test_defs()}


def _test_defs() -> dict[str, Any]:
    paths = {"type": ["array", "string"], "items": {"type": "string", "pattern": PATH}}
    labels = {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": {"type": ["string", "null"]}}
    expect = _object(cases.EXPECT_KEYS, {
        "in": paths | {"description": "segment paths the entity must be in"},
        "not_in": paths | {"description": "segment paths the entity must not be in"},
        "layers": labels | {"description": "layer name: the tier it must get (null: none)"},
        "microsegments": labels | {"description": "microsegment name: the key it must get (null: none)"},
    })
    test = _object(cases.CASE_KEYS, {
        "name": _text("what the test shows; unique in the project"),
        "description": _text("free text"),
        "as_of": AS_OF,
        "given": {"type": "object", "propertyNames": {"pattern": NAME},
                  "additionalProperties": {"anyOf": [{"$ref": "#/$defs/test_row"},
                                                     {"type": "array", "items": {"$ref": "#/$defs/test_row"}}]},
                  "description": "rows per source: the entity's one row, events as a list"},
        "expect": expect,
    }, required=("name", "given", "expect"))
    row = {"type": ["object", "null"], "propertyNames": {"pattern": COLUMN},
           "additionalProperties": {"type": ["string", "number", "boolean", "null", "array"]}}
    return {"test": test, "test_row": row}


def build_schema(kind: str = "both") -> dict[str, Any]:
    """The JSON Schema for `kind`; `both` accepts either kind of file (`anyOf`)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    defs: dict[str, Any] = {"rule": {"type": "string", "minLength": 1,
                                     "description": "a rule expression, e.g. `industry = tech AND orders_90d >= 1`"}}
    if kind in ("project", "both"):
        defs |= _project_defs()
    if kind in ("rules", "both"):
        defs |= _rules_defs()
    roots = [{"$ref": f"#/$defs/{k}"} for k in ("project", "rules") if kind in (k, "both")]
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "segdsl",
        "description": "segdsl project settings (segdsl.yml) and rules files.",
    }
    schema |= {"anyOf": roots} if len(roots) > 1 else roots[0]
    schema["$defs"] = dict(sorted(defs.items()))
    return schema
