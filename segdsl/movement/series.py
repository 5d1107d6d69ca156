"""Series over the points of a history: each entity's path through a layer's tiers.

Input: a history file (schema version 1), optionally a layer, a first and a last point
(inclusive bounds) and a rules hash.
Output: a `Series`: per layer the most common paths (count, share of the entities seen) and per
tier the mean time spent in it before moving on.

Definitions (docs/movement.md): an entity's path is its tier at each point where it exists,
oldest first, with consecutive repeats collapsed (`active → churning → churned`); no tier is
None. A run is a maximal stretch of the entity's consecutive points in one tier. A run that ends
with a move to another tier lasts from its first point to the first point of the next run; runs
still open at the entity's last point are not counted. Computed by DuckDB (gaps and islands over
window functions), never by a loop over entities.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from segdsl.movement.snapshots import SnapshotError, iso, choose, open_history, points, sql_string

TOP = 10


@dataclass(frozen=True)
class PathCount:
    path: tuple[str | None, ...]
    count: int
    share: float
    """count / the entities that exist at one point or more."""


@dataclass(frozen=True)
class Duration:
    tier: str | None
    runs: int
    """Runs in this tier that ended with a move to another tier."""
    mean_days: float


@dataclass(frozen=True)
class LayerSeries:
    layer: str
    entities: int
    distinct_paths: int
    top: list[PathCount]
    durations: list[Duration]


@dataclass(frozen=True)
class Series:
    history: Path
    points: tuple[dt.datetime, ...]
    rules_hashes: tuple[str, ...]
    """The rules hash read at each point."""
    layers: dict[str, LayerSeries]
    notes: tuple[str, ...]


def paths(history: str | Path, layer: str | None = None, start: dt.datetime | str | None = None,
          end: dt.datetime | str | None = None, rules_hash: str | None = None, top: int = TOP) -> Series:
    """Paths and durations over the points of `history` between `start` and `end` (inclusive)."""
    history = Path(history)
    con, chosen, notes, layers = _open(history, layer, start, end, rules_hash)
    try:
        out = {name: _layer(con, name, top) for name in layers}
    finally:
        con.close()
    return Series(history, tuple(a for a, _ in chosen), tuple(h for _, h in chosen), out, tuple(notes))


def entity_paths(history: str | Path, layer: str, start: dt.datetime | str | None = None,
                 end: dt.datetime | str | None = None, rules_hash: str | None = None) -> dict[object, tuple]:
    """Every entity's path through `layer` (entity key -> labels, repeats collapsed), same points
    as `paths`."""
    con, _, _, _ = _open(Path(history), layer, start, end, rules_hash)
    try:
        rows = con.execute(f"SELECT k, list(tier ORDER BY run) FROM ({_runs(layer)}) GROUP BY k").fetchall()
    finally:
        con.close()
    return {k: tuple(path) for k, path in rows}


def _open(history: Path, layer: str | None, start, end, rules_hash: str | None):
    """The history, opened with a temporary table `points` (as_of, rules_hash) of the points read;
    those points, the notes about them, and the layers asked for."""
    from segdsl.movement.snapshots import parse_time

    start = parse_time(start, "--from") if isinstance(start, str) else start
    end = parse_time(end, "--to") if isinstance(end, str) else end
    con = open_history(history)
    try:
        all_points = points(con)
        if rules_hash is not None:
            all_points = [p for p in all_points if p[1] == rules_hash or p[1].startswith(rules_hash)]
        chosen: list[tuple[dt.datetime, str]] = []
        notes: list[str] = []
        for as_of in dict.fromkeys(a for a, _, _ in all_points):
            if (start is None or as_of >= start) and (end is None or as_of <= end):
                picked, note = choose(history, all_points, as_of, None, "as_of")
                chosen.append((as_of, picked))
                notes += note
        if not chosen:
            known = ", ".join(dict.fromkeys(iso(a) for a, _, _ in points(con))) or "none"
            raise SnapshotError(f"{history} has no point{' with rules hash ' + rules_hash if rules_hash else ''}"
                                f" between {iso(start) if start else 'the first'} and "
                                f"{iso(end) if end else 'the last'}", f"its points are: {known}", usage=True)
        if len({h for _, h in chosen}) > 1:
            notes.append("the points were evaluated with different rules: a path mixes rule changes with "
                         "changes in the data")
        layers = [r[0] for r in con.execute("SELECT DISTINCT layer FROM tiers ORDER BY layer").fetchall()]
        if layer is not None:
            if layer not in layers:
                raise SnapshotError(f"{history} has no layer {layer!r}",
                                    f"its layers are: {', '.join(layers) or 'none'}", usage=True)
            layers = [layer]
        con.execute("CREATE TEMP TABLE points (as_of TIMESTAMP, rules_hash VARCHAR)")
        con.executemany("INSERT INTO points VALUES (?, ?)", chosen)
    except BaseException:
        con.close()
        raise
    return con, chosen, notes, layers


def _runs(layer: str) -> str:
    """One row per run: entity, run number, tier, first point, first point of the next run."""
    return f"""
        WITH seen AS (
               SELECT t.entity_key AS k, t.as_of, t.tier FROM tiers t
               JOIN points p ON t.as_of = p.as_of AND t.rules_hash = p.rules_hash
               WHERE t.layer = {sql_string(layer)}),
             marked AS (
               SELECT *, (tier IS DISTINCT FROM lag(tier) OVER (PARTITION BY k ORDER BY as_of)
                          OR lag(as_of) OVER (PARTITION BY k ORDER BY as_of) IS NULL)::INTEGER AS starts
               FROM seen),
             numbered AS (SELECT *, sum(starts) OVER (PARTITION BY k ORDER BY as_of) AS run FROM marked),
             runs AS (SELECT k, run, any_value(tier) AS tier, min(as_of) AS started FROM numbered GROUP BY k, run)
        SELECT *, lead(started) OVER (PARTITION BY k ORDER BY run) AS next_started FROM runs
    """


def _layer(con, layer: str, top: int) -> LayerSeries:
    runs = _runs(layer)
    entities, distinct = con.execute(f"""
        SELECT count(*), count(DISTINCT path) FROM
          (SELECT k, list(tier ORDER BY run) AS path FROM ({runs}) GROUP BY k)
    """).fetchall()[0]
    common = con.execute(f"""
        SELECT path, count(*) AS c FROM (SELECT k, list(tier ORDER BY run) AS path FROM ({runs}) GROUP BY k)
        GROUP BY path ORDER BY c DESC, list_transform(path, lambda x: coalesce(x, '(none)')) LIMIT {int(top)}
    """).fetchall()
    durations = con.execute(f"""
        SELECT tier, count(*), avg(date_diff('second', started, next_started)) / 86400.0
        FROM ({runs}) WHERE next_started IS NOT NULL GROUP BY tier ORDER BY tier NULLS LAST
    """).fetchall()
    return LayerSeries(
        layer, int(entities), int(distinct),
        [PathCount(tuple(path), int(c), c / entities) for path, c in common],
        [Duration(tier, int(n), float(days)) for tier, n, days in durations])
