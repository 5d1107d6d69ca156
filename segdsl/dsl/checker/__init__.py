"""ProjectSpec + source schemas → checked project (`typed.Project`) and diagnostics.

Input: the parsed project (`segdsl.dsl.loader.load_project`) and each source's column types
(`segdsl.engine.sources.read_schemas`; None for a source that could not be read).
Output: a `typed.Project` in evaluation order (None when there is an error) and every
diagnostic found. The checks are plain functions run in order (`CHECKS`); each adds to the
shared state and returns its diagnostics, so one run reports every problem.
"""

from __future__ import annotations

from segdsl.dsl import diagnostics as d
from segdsl.dsl import typed as t
from segdsl.dsl.checker.cases import check_cases
from segdsl.dsl.checker.expressions import ExpressionChecker, type_words
from segdsl.dsl.checker.rules import check_layers, check_metrics, check_microsegments, check_segments
from segdsl.dsl.checker.state import State
from segdsl.dsl.checker.structure import check_cycles, check_names
from segdsl.dsl.diagnostics import Diagnostic
from segdsl.dsl.project import ProjectSpec
from segdsl.dsl.suggest import suggestion_text

__all__ = ["check", "CHECKS"]


def check_sources(state: State) -> list[Diagnostic]:
    """The entity source exists; key and time columns exist and have usable types."""
    spec, out = state.spec, []
    names = [s.name.name for s in spec.sources]
    entity = spec.settings.entity
    if entity is None:
        if len(names) == 1:
            state.entity = names[0]
        elif spec.settings.settings_file is None:
            out.append(d.error("E004", "the project has no segdsl.yml, so no sources to segment",
                               hint="add segdsl.yml with `entity:` and `sources:` (see `segdsl init`)"))
        else:
            out.append(d.error("E004", "segdsl.yml needs `entity:`, the source whose rows are segmented",
                               hint="e.g. `entity: customers`"))
    elif entity.name not in names:
        out.append(d.error("E203", f"unknown source '{entity.name}'{suggestion_text(entity.name, names)}",
                           entity.span, label="not declared under `sources:`"))
    else:
        state.entity = entity.name
    for source in spec.sources:
        columns = state.schemas.get(source.name.name)
        if columns is None:
            continue
        for what, column, span in (("key", source.key, source.key_span), ("time", source.time, source.time_span)):
            if column is None:
                continue
            if column not in columns:
                out.append(d.error("E403", f"source {source.name.name} has no column '{column}'"
                                   f"{suggestion_text(column, columns)}", span,
                                   label=f"not a column of {source.name.name}"))
            elif what == "time" and columns[column].kind not in ("date", "timestamp"):
                out.append(d.error("E404", f"the time column {source.name.name}.{column} is a {columns[column]}, "
                                   "not a date or timestamp", span))
    return out


def check_fields(state: State) -> list[Diagnostic]:
    """Declared fields exist in the entity's data with a compatible type; build the field list."""
    out: list[Diagnostic] = []
    columns = state.schemas.get(state.entity) if state.entity else None
    fields = dict(columns) if columns is not None else None
    compatible = {"number": {"number"}, "rate": {"number"}, "string": {"string"}, "boolean": {"boolean"},
                  "date": {"date"}, "timestamp": {"timestamp"}, "list": {"list"}}
    for spec_field in state.spec.fields:
        name, declared = spec_field.name.name, spec_field.type
        if columns is not None and name not in columns:
            out.append(d.error("E405", f"declared field '{name}' is not a column of {state.entity}"
                               f"{suggestion_text(name, columns)}", spec_field.name.span,
                               label=f"not a column of {state.entity}",
                               hint="`fields:` describes columns of the entity's data; "
                               "a value computed from events is a metric (`metrics:`)"))
            continue
        if declared is None or fields is None:
            continue
        actual = columns[name]
        if actual.kind not in compatible[declared]:
            out.append(d.error("E404", f"field '{name}' is declared as {declared} "
                               f"but the data has {type_words(actual)}",
                               spec_field.type_span, label="disagrees with the data"))
            continue
        if declared == "rate":
            unit = {"hour": "h", "day": "d", "week": "w", "month": "mo", "year": "y"}.get(spec_field.per or "",
                                                                                        spec_field.per or "mo")
            fields[name] = t.rate(unit)
            state.declared_rates.add(name)
    state.fields = fields
    return out


CHECKS = (check_sources, check_fields, check_names, check_metrics, check_segments, check_layers,
          check_microsegments, check_cycles, check_cases)


def check(spec: ProjectSpec, schemas: dict[str, dict[str, t.Type] | None]) -> tuple[t.Project | None, list[Diagnostic]]:
    state = State(spec, schemas)
    state.expressions = ExpressionChecker(state.diags)
    for run in CHECKS:
        state.diags.extend(run(state))
    if d.has_errors(state.diags) or state.entity is None:
        return None, state.diags
    return state.build(), state.diags
