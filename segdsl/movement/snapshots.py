"""Snapshots: one evaluation point, from an `eval` output folder or from a history file.

Input: a folder holding `segments.json` and `members.parquet|csv|jsonl` (SPEC §5), or a history
database (schema version 1, docs/movement.md) and a point (as_of, optionally a rules hash).
Output: a `Snapshot` (what the point is: entity, key column, as_of, rules hash, layers,
microsegments) and, through `register`, four DuckDB views in long form that the comparison and
the series read, whatever the snapshot's origin:

    <name>_entities (k)                       one row per entity
    <name>_members  (k, segment)              one row per entity per segment path it is in
    <name>_tiers    (k, layer, tier)          one row per entity per layer; tier NULL = no tier
    <name>_micro    (k, microsegment, label)  one row per entity per microsegment; NULL = none
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from segdsl.compiler.names import identifier

MEMBERS_FILES = ("members.parquet", "members.csv", "members.jsonl")
HISTORY_SCHEMA_VERSION = 1


class SnapshotError(Exception):
    """A snapshot cannot be read. `usage` is True when the caller named something that is not
    there (a missing folder, a folder that is not an eval output, an unknown point): exit 2;
    otherwise the data itself is at fault (unreadable file, incomparable snapshots): exit 1."""

    def __init__(self, message: str, hint: str | None = None, usage: bool = False):
        super().__init__(message)
        self.hint = hint
        self.usage = usage


@dataclass(frozen=True)
class Snapshot:
    label: str
    """How the outputs name it: the folder, or `FILE@as_of`."""
    entity: str
    key_column: str
    as_of: dt.datetime | None
    rules_hash: str | None
    layers: tuple[str, ...]
    microsegments: tuple[str, ...]
    members: Path | None = None
    """The members file of a folder snapshot."""
    history: Path | None = None
    """The history file of a history snapshot."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """What the reader should know about how the point was chosen."""
    tier_order: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    """Each layer's tiers in rule order (folders only: a history does not keep the rules)."""


def sql_string(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def sql_name(name: str) -> str:
    return identifier(name).sql(dialect="duckdb")


def from_folder(folder: str | Path) -> Snapshot:
    """The snapshot an `eval` output folder holds."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SnapshotError(f"{folder}: no such folder", "give the --out folder of a `segdsl eval` run",
                            usage=True)
    summary_path = folder / "segments.json"
    members = [folder / name for name in MEMBERS_FILES if (folder / name).is_file()]
    if not summary_path.is_file() or not members:
        missing = "segments.json" if not summary_path.is_file() else "members.parquet, .csv or .jsonl"
        inner = sorted(p.name for p in folder.iterdir() if (p / "segments.json").is_file())
        hint = (f"it holds one folder per point ({', '.join(inner[:3])}{', …' if len(inner) > 3 else ''}); "
                "give two of them" if inner else "give the --out folder of a `segdsl eval` run")
        raise SnapshotError(f"{folder} is not an eval output folder: it has no {missing}", hint, usage=True)
    if len(members) > 1:
        raise SnapshotError(f"{folder} holds several members files ({', '.join(p.name for p in members)})",
                            "keep the one written with segments.json and remove the others")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        entity, key = summary["entity"], summary["key"]
        layers = tuple(layer["name"] for layer in summary.get("layers", ()))
        micro = tuple(m["name"] for m in summary.get("microsegments", ()))
        as_of = dt.datetime.fromisoformat(summary["as_of"]) if summary.get("as_of") else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"{summary_path}: not a segments.json written by segdsl eval ({exc})") from None
    rules_hash = summary.get("rules_hash") or _rules_hash(summary)
    order = {layer["name"]: tuple(t["name"] for t in layer.get("tiers", ())) for layer in summary.get("layers", ())}
    return Snapshot(str(folder), entity, key, as_of, rules_hash, layers, micro, members=members[0],
                    tier_order=order)


def _rules_hash(summary: dict) -> str:
    """For folders written before segments.json carried `rules_hash`: the same recipe (sha256
    of the sorted definition hashes joined by newlines) over every hash the tree holds."""
    hashes: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("definition_hash"), str):
                hashes.append(node["definition_hash"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect({k: summary.get(k) for k in ("segments", "layers", "microsegments")})
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


def parse_time(text: str, option: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SnapshotError(f"{option} {text!r} is not a date or timestamp",
                            "write it as 2026-01-01 or 2026-01-01T06:00:00", usage=True) from None
    return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)


def open_history(path: str | Path):
    """A read-only DuckDB connection to a history file, after checking its schema version."""
    import duckdb

    path = Path(path)
    if not path.is_file():
        raise SnapshotError(f"{path}: no such history file", "write one with `segdsl eval --history FILE`",
                            usage=True)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise SnapshotError(f"{path}: not a DuckDB history file ({_first_line(exc)})") from None
    try:
        version = con.execute("SELECT max(schema_version) FROM segdsl_history").fetchall()[0][0]
    except duckdb.Error:
        con.close()
        raise SnapshotError(f"{path} is not a segdsl history file: it has no segdsl_history table",
                            "write one with `segdsl eval --history FILE`", usage=True) from None
    if version != HISTORY_SCHEMA_VERSION:
        con.close()
        raise SnapshotError(f"{path}: history schema version {version}, this segdsl reads version "
                            f"{HISTORY_SCHEMA_VERSION}")
    return con


def points(con) -> list[tuple[dt.datetime, str, dt.datetime]]:
    """Every (as_of, rules_hash, evaluated_at) of a history, oldest point first."""
    return con.execute("SELECT as_of, rules_hash, evaluated_at FROM evaluations "
                       "ORDER BY as_of, evaluated_at DESC").fetchall()


def choose(path: Path, all_points: list[tuple], as_of: dt.datetime, rules_hash: str | None,
           option: str) -> tuple[str, tuple[str, ...]]:
    """The rules hash to read at `as_of` (the newest evaluation's unless given), and a note."""
    here = [(h, at) for a, h, at in all_points if a == as_of]
    if not here:
        known = ", ".join(dict.fromkeys(iso(a) for a, _, _ in all_points)) or "none"
        raise SnapshotError(f"{path} has no point {option} {iso(as_of)}", f"its points are: {known}",
                            usage=True)
    if rules_hash is not None:
        match = [h for h, _ in here if h == rules_hash or h.startswith(rules_hash)]
        if len(match) != 1:
            raise SnapshotError(f"{path} has {'no' if not match else 'several'} evaluation at "
                                f"{iso(as_of)} with rules hash {rules_hash}",
                                f"its rules hashes there are: {', '.join(h for h, _ in here)}", usage=True)
        return match[0], ()
    chosen, at = max(here, key=lambda item: item[1])
    if len(here) == 1:
        return chosen, ()
    return chosen, (f"{iso(as_of)} was evaluated with {len(here)} rule sets; using the newest "
                    f"(rules hash {chosen[:12]}, evaluated at {iso(at)}); --rules-hash picks another",)


def from_history(path: str | Path, as_of: dt.datetime | str, rules_hash: str | None = None,
                 option: str = "as_of") -> Snapshot:
    """The snapshot of one point of a history file."""
    path = Path(path)
    if isinstance(as_of, str):
        as_of = parse_time(as_of, option)
    con = open_history(path)
    try:
        chosen, notes = choose(path, points(con), as_of, rules_hash, option)
        entity, key = con.execute("SELECT entity, key_column FROM evaluations WHERE as_of = ? AND rules_hash = ?",
                                  [as_of, chosen]).fetchall()[0]
        layers = tuple(r[0] for r in con.execute(
            "SELECT DISTINCT layer FROM tiers WHERE as_of = ? AND rules_hash = ? ORDER BY layer",
            [as_of, chosen]).fetchall())
        micro = tuple(r[0] for r in con.execute(
            "SELECT DISTINCT microsegment FROM microsegments WHERE as_of = ? AND rules_hash = ? "
            "ORDER BY microsegment", [as_of, chosen]).fetchall())
    finally:
        con.close()
    return Snapshot(f"{path}@{iso(as_of)}", entity, key, as_of, chosen, layers, micro, history=path,
                    notes=notes)


def register(con, snapshot: Snapshot, name: str) -> None:
    """Create the four long-form views of `snapshot` (module docstring) named `<name>_*`."""
    import duckdb

    try:
        if snapshot.history is not None:
            _register_history(con, snapshot, name)
        else:
            _register_folder(con, snapshot, name)
    except duckdb.Error as exc:
        raise SnapshotError(f"cannot read {snapshot.members or snapshot.history}: {_first_line(exc)}") from None


def _register_history(con, snapshot: Snapshot, name: str) -> None:
    db = f"{name}_db"
    con.execute(f"ATTACH {sql_string(str(snapshot.history))} AS {db} (READ_ONLY)")
    point = (f"as_of = {sql_string(snapshot.as_of.isoformat())}::TIMESTAMP "
             f"AND rules_hash = {sql_string(snapshot.rules_hash)}")
    con.execute(f"CREATE VIEW {name}_entities AS SELECT entity_key AS k FROM {db}.entities WHERE {point}")
    con.execute(f"CREATE VIEW {name}_members AS SELECT entity_key AS k, segment FROM {db}.memberships "
                f"WHERE {point}")
    con.execute(f"CREATE VIEW {name}_tiers AS SELECT entity_key AS k, layer, tier FROM {db}.tiers WHERE {point}")
    con.execute(f"CREATE VIEW {name}_micro AS SELECT entity_key AS k, microsegment, key AS label "
                f"FROM {db}.microsegments WHERE {point}")


def _register_folder(con, snapshot: Snapshot, name: str) -> None:
    path = sql_string(str(snapshot.members))
    suffix = snapshot.members.suffix
    if suffix == ".parquet":
        source = f"read_parquet({path})"
    elif suffix == ".csv":
        # every column as text: the key keeps its leading zeros, the segment list is parsed below
        source = f"read_csv({path}, header = true, all_varchar = true)"
    else:
        source = f"read_json({path}, format = 'newline_delimited')"
    con.execute(f"CREATE TABLE {name}_raw AS SELECT * FROM {source}")
    columns = {row[0]: row[1] for row in con.execute(f"DESCRIBE {name}_raw").fetchall()}
    first = next(iter(columns), None)
    if first != snapshot.key_column:
        raise SnapshotError(f"{snapshot.members}: the first column is {first!r}, but segments.json names "
                            f"the key column {snapshot.key_column!r}")
    missing = [c for c in ("segments", *snapshot.layers, *snapshot.microsegments) if c not in columns]
    if missing:
        raise SnapshotError(f"{snapshot.members} has no column {', '.join(map(repr, missing))} that "
                            "segments.json names", "was the folder written by one eval run?")
    key = sql_name(snapshot.key_column)
    segments = "segments" if columns["segments"].endswith("[]") else "CAST(segments AS VARCHAR[])"
    con.execute(f"CREATE VIEW {name}_entities AS SELECT {key} AS k FROM {name}_raw")
    con.execute(f"CREATE VIEW {name}_members AS SELECT k, unnest(s) AS segment FROM "
                f"(SELECT {key} AS k, {segments} AS s FROM {name}_raw)")
    con.execute(f"CREATE VIEW {name}_tiers AS " + _long(name, key, snapshot.layers, "layer", "tier"))
    con.execute(f"CREATE VIEW {name}_micro AS " + _long(name, key, snapshot.microsegments, "microsegment", "label"))


def _long(name: str, key: str, columns: tuple[str, ...], what: str, value: str) -> str:
    """One row per entity per column: UNION ALL keeps the NULLs that UNPIVOT drops."""
    if not columns:
        return f"SELECT NULL AS k, NULL::VARCHAR AS {what}, NULL::VARCHAR AS {value} WHERE false"
    return " UNION ALL ".join(
        f"SELECT {key} AS k, {sql_string(c)} AS {what}, CAST({sql_name(c)} AS VARCHAR) AS {value} FROM {name}_raw"
        for c in columns)


def iso(value: dt.datetime) -> str:
    return value.isoformat() if value.time() != dt.time() else value.date().isoformat()


def _first_line(exc: BaseException) -> str:
    from segdsl.engine.sources import first_line

    return first_line(exc)
