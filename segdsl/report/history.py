"""The movement between two points of a history database, for the report's Sankey diagrams.

Input: a history DuckDB file (written by `segdsl eval --history`) and optionally two of its
points (default: the last two). Output: `Flows`: the two as_of points and, per layer, the
(from label, to label, count) triples of `segdsl.movement.compare`, where a label is a tier,
`None` for "no tier", or `APPEARED` / `DISAPPEARED` for an entity present at one point only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from segdsl.engine.local import DataError
from segdsl.movement import APPEARED, DISAPPEARED, SnapshotError, compare, from_history
from segdsl.movement.snapshots import open_history, points

__all__ = ["APPEARED", "DISAPPEARED", "Flow", "Flows", "flows"]


@dataclass(frozen=True)
class Flow:
    from_label: str | None
    to_label: str | None
    count: int


@dataclass(frozen=True)
class Flows:
    old: dt.datetime
    new: dt.datetime
    layers: dict[str, tuple[Flow, ...]]
    notes: tuple[str, ...] = ()
    """What `compare` says about the two points (rule sets that differ, layers only at one point)."""


def flows(history: str | Path, old: str | None = None, new: str | None = None) -> Flows:
    """Per layer, who moved from which tier to which between two points of the history."""
    from segdsl.api import UsageError

    path = Path(history)
    if (old is None) != (new is None):
        raise UsageError("--from and --to go together; without both the report compares the history's "
                         "last two points")
    try:
        if old is None:
            old, new = _last_two(path)
        movement = compare(from_history(path, old, option="--from"), from_history(path, new, option="--to"))
    except SnapshotError as exc:
        if exc.usage:
            raise UsageError(f"{exc}" + (f" ({exc.hint})" if exc.hint else "")) from None
        raise DataError(str(exc), exc.hint) from None
    layers = {name: tuple(Flow(t.from_label, t.to_label, int(t.count)) for t in rows)
              for name, rows in sorted(movement.layers.items())}
    return Flows(movement.old.as_of, movement.new.as_of, layers, tuple(movement.notes))


def _last_two(path: Path) -> tuple[str, str]:
    con = open_history(path)
    try:
        as_ofs = sorted({as_of for as_of, _, _ in points(con)})
    finally:
        con.close()
    if len(as_ofs) < 2:
        raise DataError(f"{path} holds {len(as_ofs)} evaluation point(s); the movement needs two",
                        "evaluate several points with `segdsl eval --as-of A..B/STEP --history FILE`")
    return as_ofs[-2].isoformat(), as_ofs[-1].isoformat()
