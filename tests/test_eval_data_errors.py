"""`segdsl eval` on bad data: exit 1, one readable message naming the source and the file.

Each case breaks the standard project of `eval_projects.shop()` in one way and runs the real
command in a subprocess. A failed run prints no Python traceback and leaves the output folder
as it was. Data that is odd but valid (an event source that matches nobody, an empty entity
source) is no error: the run succeeds, with a warning where something is probably wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from eval_projects import (CUSTOMERS, ORDERS, SETTINGS, clean, members, segdsl, shop, snapshot, write_parquet,
                           write_project)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The standard project, evaluated once into out/ so that a failed run has outputs to keep."""
    folder = shop(tmp_path / "shop")
    assert segdsl("eval", ".", "--quiet", cwd=folder).returncode == 0
    return folder


def failed_eval(folder: Path, *args: str) -> str:
    """Run eval expecting a data or rule error; its stderr. out/ must be exactly as it was."""
    before = snapshot(folder / "out")
    result = segdsl("eval", ".", *args, cwd=folder)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert clean(result), result.stderr
    assert snapshot(folder / "out") == before
    return result.stderr


# --- files that are not there --------------------------------------------------------------


@pytest.mark.parametrize("source,path,message", [
    ("customers", "data/gone.parquet", "file not found: data/gone.parquet"),
    ("orders", "data/none/*.parquet", "no file matches data/none/*.parquet"),
    ("orders", "data/orders/*.csv", "no file matches data/orders/*.csv"),
], ids=["missing_file", "glob_in_missing_folder", "glob_matching_nothing"])
def test_a_source_without_files(project: Path, source: str, path: str, message: str) -> None:
    declared = {"customers": "data/customers.parquet", "orders": '"data/orders/*.parquet"'}[source]
    write_project(project, SETTINGS.replace(declared, f'"{path}"'), (project / "rules.yml").read_text())
    stderr = failed_eval(project)
    assert f"error[E401]: source {source}: {message}" in stderr


def test_a_data_override_without_files(project: Path) -> None:
    stderr = failed_eval(project, "--data", "orders=exports/orders-*.parquet")
    assert "error[E401]: source orders: no file matches exports/orders-*.parquet (from --data)" in stderr


# --- keys ----------------------------------------------------------------------------------


def test_the_key_column_missing_from_the_entity_source(project: Path) -> None:
    customers = {("customer_id" if name == "id" else name): values for name, values in CUSTOMERS.items()}
    write_parquet(project / "data" / "customers.parquet", customers)
    stderr = failed_eval(project)
    assert "error[E403]: source customers has no column 'id'" in stderr


def test_the_key_column_missing_from_an_event_source(project: Path) -> None:
    orders = {("buyer" if name == "customer_id" else name): values for name, values in ORDERS.items()}
    write_parquet(project / "data" / "orders" / "part-0.parquet", orders)
    stderr = failed_eval(project)
    assert "error[E403]: source orders has no column 'customer_id'" in stderr


def test_duplicate_keys_are_counted_with_examples(project: Path) -> None:
    # 2 appears twice and 3 three times: two keys repeated, on five rows; the most repeated first.
    write_parquet(project / "data" / "customers.parquet",
                  {"id": [1, 2, 2, 3, 3, 3, 4], "age": [30] * 7, "plan": ["monthly"] * 7})
    stderr = failed_eval(project)
    assert stderr == ("error: source customers (data/customers.parquet): 2 id value(s) occur on more "
                      "than one row (5 rows), e.g. 3 (3 rows), 2 (2 rows)\n"
                      "  hint: the entity source must have one row per key\n")


def test_duplicate_text_keys_are_shown_quoted(project: Path) -> None:
    write_parquet(project / "data" / "customers.parquet",
                  {"id": ["O'Brien", "O'Brien", "a b"], "age": [30] * 3, "plan": ["x"] * 3})
    write_parquet(project / "data" / "orders" / "part-0.parquet", {**ORDERS, "customer_id": ["a b"] * 7})
    stderr = failed_eval(project)
    assert "1 id value(s) occur on more than one row (2 rows), e.g. \"O'Brien\" (2 rows)\n" in stderr


def test_null_keys_are_counted(project: Path) -> None:
    write_parquet(project / "data" / "customers.parquet",
                  {"id": [1, None, 3, None], "age": [30] * 4, "plan": ["monthly"] * 4})
    stderr = failed_eval(project)
    assert stderr == ("error: source customers (data/customers.parquet): 2 row(s) have no id (NULL)\n"
                      "  hint: every row of the entity source needs a key; filter them out upstream\n")


def test_an_event_key_of_another_type_than_the_entity_key(project: Path) -> None:
    """DuckDB would cast '1' to 1 (and fail mid-query on 'x'); other databases refuse."""
    write_parquet(project / "data" / "orders" / "part-0.parquet",
                  {**ORDERS, "customer_id": [str(k) for k in ORDERS["customer_id"]]})
    stderr = failed_eval(project)
    assert stderr.startswith("error: source orders (data/orders/*.parquet): its key customer_id is "
                             "string but the key id of customers is number\n")


# --- types ---------------------------------------------------------------------------------


def test_a_declared_field_whose_data_has_another_type(project: Path) -> None:
    write_parquet(project / "data" / "customers.parquet", {**CUSTOMERS, "age": ["34", "71", "x", None, "45"]})
    stderr = failed_eval(project)
    assert "segdsl.yml:7:15: error[E404]: field 'age' is declared as number but the data has string" in stderr


def test_a_time_column_that_is_text(project: Path) -> None:
    write_parquet(project / "data" / "orders" / "part-0.parquet", {**ORDERS, "ordered_at": ["yesterday"] * 7})
    stderr = failed_eval(project)
    assert "error[E404]: the time column orders.ordered_at is a string, not a date or timestamp" in stderr


# --- rows that do not parse ----------------------------------------------------------------

ROWS = 30_000
"""Far more than the 20,480 rows DuckDB samples to guess a CSV file's columns and types."""


def customers_csv(path: Path, bad_line: int, bad_row: str) -> Path:
    """A CSV of ROWS customers whose line `bad_line` (1 is the header) is `bad_row`."""
    lines = ["id,age,plan"] + [f"{i},{20 + i % 60},monthly" for i in range(1, ROWS + 1)]
    lines[bad_line - 1] = bad_row
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("bad_row,problem,hint", [
    ("25001,twenty,monthly", 'column "age": cannot convert "twenty" to BIGINT',
     "the column's type (BIGINT) was guessed from the first rows of the file; fix or remove that row, "
     "or export the file as Parquet, which keeps its types"),
    ("25001,30,monthly,extra", "expected 3 columns, found 4",
     "fix or remove that row (a value with a comma in it must be quoted)"),
], ids=["value_of_another_type", "too_many_columns"])
def test_a_csv_row_that_does_not_parse(project: Path, bad_row: str, problem: str, hint: str) -> None:
    """Two lines, not DuckDB's twenty: the file, the line, what is wrong on it, what to do."""
    csv = customers_csv(project / "exports" / "customers.csv", 25_002, bad_row)
    stderr = failed_eval(project, "--data", f"customers={csv}")
    assert stderr == f"error: source customers: cannot read {csv}, line 25002: {problem}\n  hint: {hint}\n"


def test_the_csv_file_at_fault_among_a_glob(project: Path) -> None:
    folder = project / "exports"
    customers_csv(folder / "a.csv", 2, "1,20,monthly")
    (folder / "a.csv").write_text("id,age,plan\n100001,40,annual\n", encoding="utf-8")
    bad = customers_csv(folder / "b.csv", 29_000, "28999,unknown,monthly")
    stderr = failed_eval(project, "--data", f"customers={folder}/*.csv")
    assert stderr.startswith(f'error: source customers: cannot read {bad}, line 29000: column "age": '
                             'cannot convert "unknown" to BIGINT\n')


def test_a_bad_row_in_an_event_source(project: Path) -> None:
    lines = ["customer_id,ordered_at,amount"] + [f"{i % 5 + 1},2026-10-01 10:00:00,{i}.5" for i in range(ROWS)]
    lines[27_000] = "3,2026-10-01 10:00:00,a lot"
    csv = project / "exports" / "orders.csv"
    csv.parent.mkdir()
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stderr = failed_eval(project, "--data", f"orders={csv}")
    assert stderr.startswith(f'error: source orders: cannot read {csv}, line 27001: column "amount": '
                             'cannot convert "a lot" to DOUBLE\n')


def test_a_malformed_ndjson_line(project: Path) -> None:
    ndjson = project / "exports" / "customers.ndjson"
    ndjson.parent.mkdir()
    rows = [json.dumps({"id": i, "age": 30, "plan": "monthly"}) for i in range(1, ROWS + 1)]
    rows[ROWS - 10] = '{"id": 1, "age": 30,, "plan": "monthly"}'
    ndjson.write_text("\n".join(rows) + "\n", encoding="utf-8")
    stderr = failed_eval(project, "--data", f"customers={ndjson}")
    assert stderr == (f"error: source customers: cannot read {ndjson}, line {ROWS - 9}: malformed JSON: "
                      "unexpected character\n  hint: fix that line; NDJSON has one JSON object per line\n")


def test_an_ndjson_value_of_another_type_far_down(project: Path) -> None:
    ndjson = project / "exports" / "customers.ndjson"
    ndjson.parent.mkdir()
    rows = [json.dumps({"id": i, "age": 30, "plan": "monthly"}) for i in range(1, ROWS + 1)]
    rows[ROWS - 10] = json.dumps({"id": ROWS - 9, "age": "thirty", "plan": "monthly"})
    ndjson.write_text("\n".join(rows) + "\n", encoding="utf-8")
    stderr = failed_eval(project, "--data", f"customers={ndjson}")
    assert stderr.startswith(f"error: source customers: cannot read {ndjson}, line {ROWS - 9}: "
                             'failed to cast value to numerical: "thirty"\n  hint: the types were guessed')


# --- odd but valid data --------------------------------------------------------------------


def test_an_event_source_that_matches_nobody_is_a_warning(project: Path) -> None:
    write_parquet(project / "data" / "orders" / "part-0.parquet", {**ORDERS, "customer_id": [101] * 7})
    result = segdsl("eval", ".", "--quiet", cwd=project)
    warning = ("source orders: none of its 7 rows has a customer_id that matches the id of a customers row; "
               "every aggregate over it is empty")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", f"warning: {warning}\n")
    summary = json.loads((project / "out" / "segments.json").read_text())
    assert summary["warnings"] == [warning]
    assert [row[:2] for row in members(project / "out" / "members.parquet")] == [
        (1, ["adults"]), (2, ["adults"]), (3, []), (4, []), (5, ["adults"])]


def test_some_unmatched_events_are_no_reason_for_a_warning(project: Path) -> None:
    """The standard orders include customer 9, who has no customer row."""
    result = segdsl("eval", ".", "--quiet", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


EMPTY_CUSTOMERS = pa.schema([("id", pa.int64()), ("age", pa.int64()), ("plan", pa.string())])


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_an_empty_entity_source(project: Path, fmt: str) -> None:
    write_parquet(project / "data" / "customers.parquet", {"id": [], "age": [], "plan": []}, EMPTY_CUSTOMERS)
    result = segdsl("eval", ".", "--format", fmt, "--quiet", cwd=project)
    warning = "source customers (data/customers.parquet) has no rows; every count is 0"
    assert (result.returncode, result.stdout, result.stderr) == (0, "", f"warning: {warning}\n")
    summary = json.loads((project / "out" / "segments.json").read_text())
    assert summary["count"] == 0 and summary["warnings"] == [warning]
    adults = summary["segments"][0]
    assert (adults["count"], adults["share_of_parent"], adults["share_of_all"]) == (0, None, None)
    assert [(s["path"], s["count"], s["share_of_parent"]) for s in adults["segments"]] == [("adults/buyers", 0, None)]
    for layer in summary["layers"]:
        assert [(tier["count"], tier["share"]) for tier in layer["tiers"]] == [(0, None), (0, None)]
        assert (layer["count"], layer["unassigned"]) == (0, 0)
    assert summary["microsegments"][0]["keys"] == [] and summary["microsegments"][0]["count"] == 0
    assert summary["inputs"]["customers"]["rows"] == 0
    written = project / "out" / f"members.{fmt}"
    if fmt == "csv":
        assert written.read_text() == "id,segments,band,spend,band_spend\n"
    elif fmt == "jsonl":
        assert written.read_text() == ""
    else:
        assert members(written) == []
