"""`segdsl eval --history FILE.duckdb`: the rows written, idempotence, and the documented schema.

The rows are checked against the members files read independently (pyarrow), and the schema
against the `CREATE TABLE` statements of docs/history.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eval_projects import CUSTOMERS, ORDERS, RULES, ROOT, clean, segdsl, shop, write_parquet
from segdsl.api import load
from segdsl.engine.local import DataError

GAMING = ROOT / "examples" / "gaming_lifecycle"


def _rows(path: Path, query: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def _expected(folder: Path) -> dict[str, set]:
    """What the history must hold for one point, from its output folder alone (pyarrow, no DuckDB)."""
    tree = json.loads((folder / "segments.json").read_text())
    table = pq.read_table(folder / "members.parquet").to_pylist()
    key = tree["key"]
    when = dt.datetime.fromisoformat(tree["as_of"])
    point = (when, tree["rules_hash"])
    return {
        "entities": {(*point, row[key]) for row in table},
        "memberships": {(*point, row[key], path) for row in table for path in row["segments"]},
        "tiers": {(*point, row[key], layer["name"], row[layer["name"]]) for row in table for layer in tree["layers"]},
        "microsegments": {(*point, row[key], ms["name"], row[ms["name"]])
                          for row in table for ms in tree["microsegments"]},
    }


def _held(path: Path, when: dt.datetime) -> dict[str, set]:
    return {name: set(_rows(path, f"SELECT * FROM {name} WHERE as_of = ?", [when]))
            for name in ("entities", "memberships", "tiers", "microsegments")}


def test_the_done_when_a_monthly_backtest_over_a_year(tmp_path):
    """`segdsl eval examples/gaming_lifecycle --as-of <a year of month starts>/1mo --history h.duckdb`."""
    history, out = tmp_path / "h.duckdb", tmp_path / "out"
    result = segdsl("eval", GAMING, "--as-of", "2025-11-01..2026-11-01/1mo", "--out", out, "--history", history)
    assert result.returncode == 0 and clean(result), result.stderr
    assert "13 point(s) added" in result.stdout
    points = _rows(history, "SELECT as_of, rules_hash, entity, key_column, entities FROM evaluations ORDER BY as_of")
    assert [p[0] for p in points] == [dt.datetime(2025 + (m > 2), (m + 9) % 12 + 1, 1) for m in range(1, 14)]
    assert len({p[1] for p in points}) == 1 and {p[2:] for p in points} == {("customers", "customer_id", 2000)}
    for when, *_ in points[::4]:
        assert _held(history, when) == _expected(out / when.date().isoformat())
    # the lifecycle tiers per month, as docs/history.md asks it
    per_month = _rows(history, "SELECT as_of, tier, count(*) FROM tiers WHERE layer = 'stage' "
                               "GROUP BY ALL ORDER BY ALL")
    last = json.loads((out / "2026-11-01" / "segments.json").read_text())
    assert {tier: n for when, tier, n in per_month if when == dt.datetime(2026, 11, 1)} == \
        {t["name"]: t["count"] for t in last["layers"][0]["tiers"] if t["count"]}

    again = segdsl("eval", GAMING, "--as-of", "2026-10-01,2026-11-01,2026-12-01", "--out", tmp_path / "again",
                   "--history", history)
    assert again.returncode == 0 and "1 point(s) added, 2 already there" in again.stdout
    assert _rows(history, "SELECT count(*) FROM evaluations") == [(14,)]


def test_writing_twice_adds_nothing_and_changes_nothing(tmp_path):
    history = tmp_path / "h.duckdb"
    with load(ROOT / "rules").evaluate(as_of="2026-10-01,2026-11-01") as many:
        first = many.write_history(history)
    before = {name: sorted(_rows(history, f"SELECT * FROM {name}"), key=repr)
              for name in ("evaluations", "entities", "memberships", "tiers", "microsegments")}
    with load(ROOT / "rules").evaluate(as_of="2026-10-01,2026-11-01") as many:
        second = many.write_history(history)
    after = {name: sorted(_rows(history, f"SELECT * FROM {name}"), key=repr) for name in before}
    assert len(first.added) == 2 and not first.present
    assert not second.added and second.present == first.added
    assert after == before  # not even evaluated_at moved


def test_a_single_point_eval_writes_its_history(tmp_path):
    history, out = tmp_path / "h.duckdb", tmp_path / "out"
    result = segdsl("eval", ROOT / "rules", "--out", out, "--history", history)
    assert result.returncode == 0 and clean(result), result.stderr
    tree = json.loads((out / "segments.json").read_text())
    when = dt.datetime.fromisoformat(tree["as_of"])
    assert _held(history, when) == _expected(out)
    [(git,)] = _rows(history, "SELECT git_revision FROM evaluations")
    assert git == tree["rules"]["git_revision"]


def test_a_changed_rule_is_a_new_rules_hash(tmp_path):
    folder = shop(tmp_path / "shop")
    history = tmp_path / "h.duckdb"
    assert segdsl("eval", folder, "--out", tmp_path / "a", "--history", history).returncode == 0
    rules = (folder / "rules.yml").read_text()
    changed = rules.replace(RULES.splitlines()[2], RULES.splitlines()[2] + " OR age > 1000", 1)
    assert changed != rules
    (folder / "rules.yml").write_text(changed)
    assert segdsl("eval", folder, "--out", tmp_path / "b", "--history", history).returncode == 0
    hashes = _rows(history, "SELECT DISTINCT as_of, rules_hash FROM entities ORDER BY ALL")
    assert len(hashes) == 2 and hashes[0][0] == hashes[1][0]
    a, b = (json.loads((tmp_path / x / "segments.json").read_text())["rules_hash"] for x in "ab")
    assert {h for _, h in hashes} == {a, b}


def test_the_rules_hash_is_the_sorted_definition_hashes(tmp_path):
    with load(ROOT / "rules").evaluate() as result:
        tree = result.tree
    found = []
    pending = list(tree["segments"])
    while pending:
        node = pending.pop()
        found.append(node["definition_hash"])
        pending += node["segments"]
    found += [x["definition_hash"] for x in tree["layers"] + tree["microsegments"]]
    assert tree["rules_hash"] == hashlib.sha256("\n".join(sorted(found)).encode()).hexdigest()


def test_another_key_type_is_a_clear_error(tmp_path):
    history = tmp_path / "h.duckdb"
    numbers = shop(tmp_path / "numbers")
    assert segdsl("eval", numbers, "--out", tmp_path / "a", "--history", history).returncode == 0
    texts = shop(tmp_path / "texts", customers={**CUSTOMERS, "id": [f"c{k}" for k in CUSTOMERS["id"]]},
                 orders={**ORDERS, "customer_id": [f"c{k}" for k in ORDERS["customer_id"]]})
    result = segdsl("eval", texts, "--out", tmp_path / "b", "--history", history)
    assert result.returncode == 1 and clean(result)
    assert not (tmp_path / "b").exists()  # checked before any output is written
    assert "keys of type BIGINT" in result.stderr and "VARCHAR" in result.stderr
    assert _rows(history, "SELECT count(*) FROM evaluations") == [(1,)]


def test_a_database_that_is_not_a_history_is_refused(tmp_path):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE sales (x INTEGER)")
    con.close()
    result = segdsl("eval", ROOT / "rules", "--out", tmp_path / "out", "--history", other)
    assert result.returncode == 1 and clean(result) and "not a segdsl history" in result.stderr


def test_a_failed_point_adds_nothing(tmp_path, monkeypatch):
    """All points of one run are one transaction."""
    from segdsl.engine import history as h

    path = tmp_path / "h.duckdb"
    calls = []
    original = h._insert

    def failing(con, tree, *rest):
        calls.append(tree["as_of"])
        if len(calls) == 2:
            raise duckdb.Error("disk full")
        original(con, tree, *rest)

    monkeypatch.setattr(h, "_insert", failing)
    with load(ROOT / "rules").evaluate(as_of="2026-10-01,2026-11-01") as many:
        with pytest.raises(DataError, match="disk full"):
            many.write_history(path)
    assert _rows(path, "SELECT count(*) FROM duckdb_tables()") == [(0,)]  # not even the tables


def test_the_documented_schema_is_the_files_schema(tmp_path):
    doc = (ROOT / "docs" / "history.md").read_text()
    block = re.search(r"```sql\n(.*?)```", doc, re.S).group(1)
    history = tmp_path / "h.duckdb"
    with load(ROOT / "rules").evaluate() as result:
        result.write_history(history)
    written = duckdb.connect(str(history), read_only=True)
    [(key_type,)] = written.execute("SELECT typeof(entity_key) FROM entities LIMIT 1").fetchall()
    documented = duckdb.connect()
    documented.execute(block.replace("<KEY TYPE>", key_type))
    query = ("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
             "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position")
    try:
        assert written.execute(query).fetchall() == documented.execute(query).fetchall()
        keys = ("SELECT table_name, constraint_type FROM information_schema.table_constraints "
                "WHERE constraint_type = 'PRIMARY KEY' ORDER BY ALL")
        assert written.execute(keys).fetchall() == documented.execute(keys).fetchall() == [("evaluations",
                                                                                            "PRIMARY KEY")]
        assert written.execute("SELECT * FROM segdsl_history").fetchall() == [(1,)]
    finally:
        written.close()
        documented.close()


def test_the_documented_queries_run(tmp_path):
    """Every example query of docs/history.md runs on a real history."""
    history = tmp_path / "h.duckdb"
    with load(GAMING).evaluate(as_of="2026-09-01..2026-11-01/1mo") as many:
        many.write_history(history)
    doc = (ROOT / "docs" / "history.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", doc, re.S)[1:]
    assert len(queries) >= 2
    for query in queries:
        assert _rows(history, query) is not None


def test_who_moved_agrees_with_the_members_files(tmp_path):
    """The documented 'active to churning' query, against the members files read with pyarrow."""
    history, out = tmp_path / "h.duckdb", tmp_path / "out"
    with load(GAMING).evaluate(as_of="2026-07-01,2026-11-01") as many:
        many.write(out)
        many.write_history(history)
    old = {r["customer_id"]: r["stage"] for r in pq.read_table(out / "2026-07-01" / "members.parquet").to_pylist()}
    new = {r["customer_id"]: r["stage"] for r in pq.read_table(out / "2026-11-01" / "members.parquet").to_pylist()}
    expected = sorted(k for k in old if old[k] == "active" and new.get(k) == "churning")
    moved = _rows(history, """
        SELECT a.entity_key FROM tiers a JOIN tiers b USING (entity_key, layer, rules_hash)
        WHERE layer = 'stage' AND a.as_of = '2026-07-01' AND b.as_of = '2026-11-01'
          AND a.tier = 'active' AND b.tier = 'churning' ORDER BY 1""")
    assert [k for (k,) in moved] == expected and expected


def test_history_is_not_a_folder(tmp_path):
    (tmp_path / "h.duckdb").mkdir()
    result = segdsl("eval", ROOT / "rules", "--out", tmp_path / "out", "--history", tmp_path / "h.duckdb")
    assert result.returncode in (1, 2) and clean(result) and "h.duckdb" in result.stderr


def test_empty_entities_make_an_evaluation_without_rows(tmp_path):
    folder = shop(tmp_path / "shop")
    write_parquet(folder / "data" / "customers.parquet", {k: v[:0] for k, v in CUSTOMERS.items()},
                  pa.table(CUSTOMERS).schema)
    history = tmp_path / "h.duckdb"
    result = segdsl("eval", folder, "--out", tmp_path / "out", "--history", history)
    assert result.returncode == 0 and clean(result), result.stderr
    assert _rows(history, "SELECT entities FROM evaluations") == [(0,)]
    assert _rows(history, "SELECT count(*) FROM entities") == [(0,)]
