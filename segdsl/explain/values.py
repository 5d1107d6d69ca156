"""Values as people read them and as JSON holds them, and what a time window means.

Input: Python values as DuckDB returns them (numbers, Decimals, text, dates, timestamps,
lists, None) with the typed IR's type of the value; `Offset`s and aggregates' windows.
Output: text (`5.2/mo`, `"saas"`, `2026-08-03T00:00:00`, `missing`), JSON data, and
sentences such as `events from 2026-08-03T00:00:00 to 2026-11-01T00:00:00`.
"""

from __future__ import annotations

import datetime as dt
import decimal

from segdsl.dsl import timeline
from segdsl.dsl import typed as t
from segdsl.explain import model as m


def value_operand(label: str, value: object, kind: t.Type, note: str | None = None) -> m.Operand:
    return m.Operand(label, to_json(value), show(value, kind), note)


def show(value: object, kind: t.Type) -> str:
    """A value for people, in the unit of `kind` when it is a rate."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (int, float, decimal.Decimal)):
        shown = number_text(value)
        return f"{shown}/{kind.per}" if kind.kind == "rate" and kind.per else shown
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v, kind.element or t.STRING) for v in value) + "]"
    return str(value)


def number_text(value: int | float | decimal.Decimal) -> str:
    """Whole numbers as they are; fractions to six significant digits (4.34821)."""
    if isinstance(value, int):
        return str(value)
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.6g}" if abs(number) < 1e6 else f"{number:.2f}"


def to_json(value: object) -> object:
    """A value as JSON data: times as ISO text, decimals as floats."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def offset_text(offset: t.Offset) -> str:
    """`30d`, `12h`, `6mo`, `1y`, or a sum of them."""
    parts = []
    if offset.months:
        parts.append(f"{offset.months // 12}y" if offset.months % 12 == 0 else f"{offset.months}mo")
    if offset.seconds:
        days, rest = divmod(offset.seconds, 86_400)
        parts.append(f"{int(days)}d" if not rest else f"{number_text(offset.seconds / 3600)}h")
    return " ".join(parts) or "0d"


def window_text(aggregate: t.Aggregate, as_of: dt.datetime) -> str | None:
    """Which events an aggregate counts, with its window resolved from as_of."""
    window = aggregate.window
    if window is None:
        return f"events up to {as_of.isoformat()}"
    start = timeline.bound(window.start, as_of).isoformat() if window.start is not None else None
    end, excluded = as_of, False
    if window.end is not None:
        bound = timeline.bound(window.end, as_of)
        end, excluded = min(bound, as_of), not window.end_inclusive and bound <= as_of  # none after as_of
    until = f"up to but not including {end.isoformat()}" if excluded else f"up to {end.isoformat()}"
    return f"events from {start} {until}" if start else f"events {until}"
