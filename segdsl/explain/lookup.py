"""Finding the one entity to explain: which segments to cover, and the key to look it up by.

Input: a checked `typed.Project`, the segment paths (or layer and microsegment names) asked
for, and the key value as given (a text from the command line, or a Python value).
Output: the names to explain, the SQL condition that picks the entity's row, and, when no row
has the key, an `UnknownId` error with a hint that shows what the keys look like.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from segdsl.compiler.expressions import literal
from segdsl.compiler.names import column
from segdsl.compiler.select import UnknownSegment
from segdsl.dsl import typed as t
from segdsl.engine.local import DataError
from segdsl.explain.values import show


class UnknownId(DataError):
    """No row of the entity source has the key value asked for."""

    def __init__(self, entity: str, key: str, value: object, hint: str | None = None,
                 location: str | None = None, number: bool = False):
        self.entity, self.key, self.value, self.location, self.number = entity, key, value, location, number
        where = f"source {entity}" + (f" ({location})" if location else "")
        shown = str(value) if number else show(value, t.STRING)  # an id for a number key as typed
        super().__init__(f"{where}: no row has {key} = {shown}", hint)

    def at(self, location: str) -> UnknownId:
        """The same error, naming the file or table the entity was read from."""
        return UnknownId(self.entity, self.key, self.value, self.hint, location, self.number)


def selection(project: t.Project, paths: Sequence[str] | None) -> set[str]:
    """Segment paths, layer and microsegment names to explain: those asked and their parents.

    A layer brings its `within` segment, a microsegment its layers and its `within`.
    """
    segments = {s.path: s for s in project.segments}
    layers = {layer.name: layer for layer in project.layers}
    micros = {ms.name: ms for ms in project.microsegments}
    if paths is None:
        return set(segments) | set(layers) | set(micros)
    chosen: set[str] = set()

    def add_segment(path: str | None) -> None:
        while path is not None:
            chosen.add(path)
            path = segments[path].parent

    def add_layer(name: str) -> None:
        chosen.add(name)
        add_segment(layers[name].within)

    for path in paths:
        if path in segments:
            add_segment(path)
        elif path in layers:
            add_layer(path)
        elif path in micros:
            chosen.add(path)
            add_segment(micros[path].within)
            for name in micros[path].layers:
                add_layer(name)
        else:
            raise UnknownSegment(path, sorted(set(segments) | set(layers) | set(micros)))
    return chosen


def key_match(project: t.Project, key_value: object) -> exp.Expression | None:
    """`key = value`, the value read as the key column's type; None when it cannot be one.

    Number keys compare as numbers (`007` is 7), text keys as text; keys of other types
    (dates, timestamps) compare by their text form.
    """
    kind = project.sources[project.entity].columns.get(project.key, t.STRING).kind
    key = column(project.key)
    if kind == "number":
        if isinstance(key_value, str):
            key_value = _number(key_value)
            if key_value is None:
                return None
        return exp.EQ(this=key, expression=literal(key_value))
    if kind == "string":
        return exp.EQ(this=key, expression=literal(str(key_value)))
    return exp.EQ(this=exp.cast(key, exp.DataType.Type.VARCHAR), expression=literal(str(key_value)))


def _number(text: str) -> int | float | None:
    for kind in (int, float):
        try:
            return kind(text.strip())
        except ValueError:
            pass
    return None


def key_hint(con, project: t.Project, entity: exp.Expression) -> str:
    """What the keys look like: their range for numbers, the first few otherwise."""
    key = column(project.key)
    kind = project.sources[project.entity].columns.get(project.key, t.STRING).kind
    if kind == "number":
        [(low, high, n)] = con.execute(exp.select(exp.Min(this=key), exp.Max(this=key.copy()), exp.Count(
            this=exp.Star())).from_(entity.copy()).sql(dialect="duckdb")).fetchall()
        if not n:
            return f"{project.entity} has no rows"
        return f"{project.key} runs from {show(low, t.NUMBER)} to {show(high, t.NUMBER)} in {project.entity} " \
               f"({n} rows)"
    first = con.execute(exp.select(key).from_(entity.copy()).order_by(key.copy()).limit(3)
                        .sql(dialect="duckdb")).fetchall()
    if not first:
        return f"{project.entity} has no rows"
    return f"the first {project.key} values of {project.entity} are " + ", ".join(
        show(k, t.STRING) for (k,) in first)
