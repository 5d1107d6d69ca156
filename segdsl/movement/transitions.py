"""The comparison of two snapshots: who moved from which tier, key and segment to which.

Input: two `Snapshot`s (old, new), registered as long-form DuckDB views (`snapshots.register`).
Output: a `Movement`: per layer and per microsegment the transition matrix as a list of
`Transition(from_label, to_label, count, share)`; per segment entered/left/stayed; the totals.

Everything is counted by DuckDB: one FULL JOIN per kind (tiers, microsegment keys, segment
memberships, entities) on the entity key, grouped by (name, from, to). An entity present only
in the new snapshot comes from `APPEARED`; one present only in the old goes to `DISAPPEARED`.
A row share is the count divided by the number of entities with the same from label.
"""

from __future__ import annotations

from dataclasses import dataclass

from segdsl.movement.snapshots import Snapshot, SnapshotError, register, sql_string

APPEARED = "(new)"
"""from_label of entities that are only in the new snapshot (no tier name has parentheses)."""
DISAPPEARED = "(gone)"
"""to_label of entities that are only in the old snapshot."""
NONE_LABEL = "(none)"
"""How outputs print the label None: no tier, no microsegment key."""


@dataclass(frozen=True)
class Transition:
    from_label: str | None
    """A tier or microsegment key, None for none, or APPEARED."""
    to_label: str | None
    """A tier or microsegment key, None for none, or DISAPPEARED."""
    count: int
    share: float
    """count / the number of entities with this from_label (the row total)."""


@dataclass(frozen=True)
class SegmentMovement:
    entered: int
    """In the segment in the new snapshot and not in the old one (appeared entities included)."""
    left: int
    """In the segment in the old snapshot and not in the new one (disappeared entities included)."""
    stayed: int


@dataclass(frozen=True)
class Totals:
    old: int
    new: int
    stayed: int
    """Entities in both snapshots."""
    appeared: int
    disappeared: int


@dataclass(frozen=True)
class Movement:
    old: Snapshot
    new: Snapshot
    layers: dict[str, list[Transition]]
    microsegments: dict[str, list[Transition]]
    segments: dict[str, SegmentMovement]
    totals: Totals
    notes: tuple[str, ...]


def compare(old: Snapshot, new: Snapshot) -> Movement:
    """The movement from `old` to `new` (both snapshots of the same entity and key column)."""
    import duckdb

    notes = comparable(old, new)
    con = duckdb.connect()
    try:
        register(con, old, "o")
        register(con, new, "n")
        try:
            key = _key_expression(con)
            _check_unique(con, old, "o")
            _check_unique(con, new, "n")
            layers = _matrices(con, key, "tiers", "layer", "tier", _common(old.layers, new.layers))
            micro = _matrices(con, key, "micro", "microsegment", "label",
                              _common(old.microsegments, new.microsegments))
            segments = _segments(con, key)
            totals = _totals(con, key)
        except duckdb.Error as exc:
            raise SnapshotError(f"cannot compare {old.label} with {new.label}: {exc}") from None
    finally:
        con.close()
    order = {**old.tier_order, **new.tier_order}
    layers = {name: _sorted(rows, order.get(name, ())) for name, rows in layers.items()}
    micro = {name: _sorted(rows, ()) for name, rows in micro.items()}
    for kind, a, b in (("layer", old.layers, new.layers), ("microsegment", old.microsegments, new.microsegments)):
        for name in a:
            if name not in b:
                notes.append(f"{kind} {name} is only in the old snapshot; not compared")
        for name in b:
            if name not in a:
                notes.append(f"{kind} {name} is only in the new snapshot; not compared")
    return Movement(old, new, layers, micro, segments, totals, tuple(notes))


def comparable(old: Snapshot, new: Snapshot) -> list[str]:
    """Raise when the snapshots segment different things; else the notes about their differences."""
    if (old.entity, old.key_column) != (new.entity, new.key_column):
        raise SnapshotError(f"{old.label} segments {old.entity} by {old.key_column} but {new.label} segments "
                            f"{new.entity} by {new.key_column}: they cannot be compared",
                            "compare two evaluations of the same entity source")
    notes = [*old.notes, *new.notes]
    if old.rules_hash != new.rules_hash:
        before, after = (old.rules_hash or "?")[:12], (new.rules_hash or "?")[:12]
        notes.append(f"the rules differ (rules hash {before} then {after}): the movement mixes rule changes "
                     "with changes in the data")
    return notes


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> list[str]:
    return [name for name in b if name in a]


def _key_expression(con) -> str:
    """The join key: as is when both sides have the same type, else both as text (a CSV read as
    text against a Parquet BIGINT key)."""
    types = [str(con.sql(f"SELECT k FROM {side}_entities").types[0]) for side in ("o", "n")]
    return "k" if types[0] == types[1] else "CAST(k AS VARCHAR)"


def _check_unique(con, snapshot: Snapshot, side: str) -> None:
    total, distinct, nulls = con.execute(
        f"SELECT count(*), count(DISTINCT k), count(*) - count(k) FROM {side}_entities").fetchall()[0]
    if nulls or total != distinct:
        raise SnapshotError(f"{snapshot.label}: the key column {snapshot.key_column} has "
                            f"{'empty' if nulls else 'repeated'} values, so entities cannot be matched")


def _matrices(con, key: str, view: str, name: str, value: str, names: list[str]) -> dict[str, list[Transition]]:
    """All matrices of one kind in one statement, shares by window over the row (name, from)."""
    out: dict[str, list[Transition]] = {n: [] for n in names}
    if not names:
        return out
    wanted = ", ".join(sql_string(n) for n in names)
    rows = con.execute(f"""
        WITH o AS (SELECT {key} AS k, {name} AS name, {value} AS v FROM o_{view} WHERE {name} IN ({wanted})),
             n AS (SELECT {key} AS k, {name} AS name, {value} AS v FROM n_{view} WHERE {name} IN ({wanted})),
             cells AS (
               SELECT coalesce(o.name, n.name) AS name,
                      CASE WHEN o.k IS NULL THEN {sql_string(APPEARED)} ELSE o.v END AS f,
                      CASE WHEN n.k IS NULL THEN {sql_string(DISAPPEARED)} ELSE n.v END AS t,
                      count(*) AS c
               FROM o FULL JOIN n ON o.k = n.k AND o.name = n.name
               GROUP BY ALL)
        SELECT name, f, t, c, c / sum(c) OVER (PARTITION BY name, f) FROM cells
    """).fetchall()
    for matrix, f, t, count, share in rows:
        out[matrix].append(Transition(f, t, int(count), float(share)))
    return out


def _segments(con, key: str) -> dict[str, SegmentMovement]:
    rows = con.execute(f"""
        WITH o AS (SELECT DISTINCT {key} AS k, segment FROM o_members),
             n AS (SELECT DISTINCT {key} AS k, segment FROM n_members)
        SELECT coalesce(o.segment, n.segment) AS segment,
               count(*) FILTER (WHERE o.k IS NULL), count(*) FILTER (WHERE n.k IS NULL),
               count(*) FILTER (WHERE o.k IS NOT NULL AND n.k IS NOT NULL)
        FROM o FULL JOIN n ON o.k = n.k AND o.segment = n.segment
        GROUP BY ALL ORDER BY segment
    """).fetchall()
    return {segment: SegmentMovement(int(e), int(left), int(s)) for segment, e, left, s in rows}


def _totals(con, key: str) -> Totals:
    row = con.execute(f"""
        SELECT count(o.k), count(n.k), count(*) FILTER (WHERE o.k IS NOT NULL AND n.k IS NOT NULL),
               count(*) FILTER (WHERE o.k IS NULL), count(*) FILTER (WHERE n.k IS NULL)
        FROM (SELECT {key} AS k FROM o_entities) o FULL JOIN (SELECT {key} AS k FROM n_entities) n ON o.k = n.k
    """).fetchall()[0]
    return Totals(*(int(x) for x in row))


def rank(label: str | None, tiers: tuple[str, ...] = ()) -> tuple:
    """Reading order of labels: appeared first, then tiers in rule order (else by name), none,
    then disappeared."""
    if label == APPEARED:
        return (0, 0, "")
    if label is None:
        return (3, 0, "")
    if label == DISAPPEARED:
        return (4, 0, "")
    if label in tiers:
        return (1, tiers.index(label), "")
    return (2, 0, label)


def _sorted(rows: list[Transition], tiers: tuple[str, ...]) -> list[Transition]:
    return sorted(rows, key=lambda r: (rank(r.from_label, tiers), rank(r.to_label, tiers)))


def labels(rows: list[Transition], tiers: tuple[str, ...] = ()) -> tuple[list[str | None], list[str | None]]:
    """A matrix's row labels and column labels, both in reading order (`rank`)."""
    def order(values):
        return sorted(set(values), key=lambda label: rank(label, tiers))

    return order(r.from_label for r in rows), order(r.to_label for r in rows)
