"""The outputs of `segdsl eval` (SPEC §5): atomic, deterministic, and what the options say.

Atomic: a run that fails, whether on the rules, on the data or while writing, leaves the previous
members file and segments.json byte for byte, and no temporary folder in the output folder.

Deterministic: two runs over the same inputs write byte-identical members files in every format
and the same segments.json except `timings` (compile and eval seconds, which are measured), on a
project big enough for DuckDB to run its scans and sorts on several threads.

Options: `--format json` prints segments.json; `--quiet` prints nothing on stdout; `--threads`
and `--memory-limit` reach DuckDB; bad values for them or for `--as-of` are one-line errors.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

import segdsl
from eval_projects import CUSTOMERS, SHOP_MEMBERS, clean, members, segdsl as run_segdsl, shop, snapshot, write_parquet


def without_timings(summary: dict) -> dict:
    return {key: value for key, value in summary.items() if key != "timings"}


def segments_json(out: Path) -> dict:
    return json.loads((out / "segments.json").read_text(encoding="utf-8"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The standard project, evaluated once into out/ (Parquet members)."""
    folder = shop(tmp_path / "shop")
    assert run_segdsl("eval", ".", "--quiet", cwd=folder).returncode == 0
    return folder


# --- atomic --------------------------------------------------------------------------------


def break_the_keys(folder: Path) -> None:
    write_parquet(folder / "data" / "customers.parquet", {**CUSTOMERS, "id": [1, 2, 2, 3, 4]})


def break_the_rules(folder: Path) -> None:
    rules = folder / "rules.yml"
    rules.write_text(rules.read_text().replace("age >= 18", "agee >= 18"))


def remove_the_orders(folder: Path) -> None:
    (folder / "data" / "orders" / "part-0.parquet").unlink()


@pytest.mark.parametrize("breaking", [break_the_keys, break_the_rules, remove_the_orders],
                         ids=lambda f: f.__name__)
def test_a_failed_run_leaves_the_previous_outputs(project: Path, breaking) -> None:
    before = snapshot(project / "out")
    assert sorted(before) == ["members.parquet", "segments.json"]
    breaking(project)
    result = run_segdsl("eval", ".", "--quiet", cwd=project)
    assert result.returncode == 1 and clean(result), result.stderr
    assert snapshot(project / "out") == before
    assert sorted(p.name for p in (project / "out").iterdir()) == ["members.parquet", "segments.json"]


def test_a_run_that_cannot_write_leaves_the_previous_outputs(project: Path) -> None:
    """A folder where members.csv goes: the run fails before it renames anything into place."""
    (project / "out" / "members.csv").mkdir()
    before = snapshot(project / "out")
    result = run_segdsl("eval", ".", "--format", "csv", "--quiet", cwd=project)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == ("error: cannot write out/members.csv: a folder has that name\n"
                             "  hint: move it away or choose another --out\n")
    assert snapshot(project / "out") == before
    assert sorted(p.name for p in (project / "out").iterdir()) == ["members.csv", "members.parquet", "segments.json"]


def test_an_output_folder_that_is_a_file(project: Path) -> None:
    (project / "results").write_text("not a folder")
    result = run_segdsl("eval", ".", "--out", "results/today", "--quiet", cwd=project)
    assert result.returncode == 1 and clean(result)
    assert result.stderr.startswith("error: cannot write to results/today: ")
    assert (project / "results").read_text() == "not a folder"


def test_a_failed_first_run_creates_no_output_folder(tmp_path: Path) -> None:
    folder = shop(tmp_path / "shop")
    break_the_keys(folder)
    result = run_segdsl("eval", ".", "--out", "fresh/out", cwd=folder)
    assert result.returncode == 1 and clean(result)
    assert not (folder / "fresh").exists()


# --- deterministic -------------------------------------------------------------------------

CUSTOMER_COUNT = 30_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The standard rules over 30,000 customers and 120,000 orders, random but seeded."""
    rng = random.Random(7)
    customers = {"id": list(range(CUSTOMER_COUNT, 0, -1)),  # stored in descending order: sorting matters
                 "age": [rng.choice([None, *range(14, 90)]) for _ in range(CUSTOMER_COUNT)],
                 "plan": [rng.choice(["monthly", "annual", None]) for _ in range(CUSTOMER_COUNT)]}
    start = dt.datetime(2025, 6, 1)
    orders = {"customer_id": [rng.randint(1, CUSTOMER_COUNT + 100) for _ in range(4 * CUSTOMER_COUNT)],
              "ordered_at": [start + dt.timedelta(minutes=rng.randint(0, 750_000)) for _ in range(4 * CUSTOMER_COUNT)],
              "amount": [round(rng.uniform(1, 200), 2) for _ in range(4 * CUSTOMER_COUNT)]}
    return shop(tmp_path_factory.mktemp("big") / "shop", customers, orders)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_two_runs_write_identical_files(big: Path, tmp_path: Path, fmt: str) -> None:
    runs = [tmp_path / "first", tmp_path / "second"]
    for out in runs:
        result = run_segdsl("eval", big, "--out", out, "--format", fmt, "--threads", "2", "--quiet")
        assert (result.returncode, result.stderr) == (0, "")
    first, second = (out / f"members.{fmt}" for out in runs)
    assert first.read_bytes() == second.read_bytes()
    assert without_timings(segments_json(runs[0])) == without_timings(segments_json(runs[1]))
    assert set(segments_json(runs[0])["timings"]) == {"compile_seconds", "eval_seconds"}
    keys = [row[0] for row in members(first)]
    assert keys == list(range(1, CUSTOMER_COUNT + 1))


# --- what is printed -----------------------------------------------------------------------


def test_format_json_prints_segments_json(project: Path) -> None:
    result = run_segdsl("eval", ".", "--format", "json", cwd=project)
    assert (result.returncode, result.stderr) == (0, "")
    printed = json.loads(result.stdout)
    assert without_timings(printed) == without_timings(segments_json(project / "out"))
    assert printed["segments"][0]["path"] == "adults"
    assert members(project / "out" / "members.parquet") == SHOP_MEMBERS


@pytest.mark.parametrize("fmt", ["text", "parquet", "csv", "jsonl"])
def test_quiet_prints_nothing(project: Path, fmt: str) -> None:
    result = run_segdsl("eval", ".", "--format", fmt, "--quiet", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    written = "parquet" if fmt == "text" else fmt
    assert (project / "out" / f"members.{written}").is_file()


def test_the_tree_is_printed_by_default(project: Path) -> None:
    result = run_segdsl("eval", ".", cwd=project)
    assert (result.returncode, result.stderr) == (0, "")
    assert "adults" in result.stdout and "buyers" in result.stdout
    assert result.stdout.rstrip().endswith("wrote out/members.parquet, out/segments.json")


# --- DuckDB settings and as_of -------------------------------------------------------------


def test_threads_and_memory_limit_reach_duckdb(project: Path) -> None:
    with segdsl.load(project).evaluate(threads=1, memory_limit="500MB") as result:
        settings = result.evaluation.con.sql(
            "SELECT current_setting('threads'), current_setting('memory_limit')").fetchall()[0]
        assert result.members.fetchall() == SHOP_MEMBERS
    assert settings == (1, "476.8 MiB")


def test_threads_and_memory_limit_on_the_command_line(project: Path) -> None:
    result = run_segdsl("eval", ".", "--threads", "1", "--memory-limit", "500MB", "--quiet", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert members(project / "out" / "members.parquet") == SHOP_MEMBERS


@pytest.mark.parametrize("value", ["foo", "lots", "12 parsecs"])
def test_a_bad_memory_limit_is_one_line(project: Path, value: str) -> None:
    before = snapshot(project / "out")
    result = run_segdsl("eval", ".", "--memory-limit", value, cwd=project)
    assert (result.returncode, result.stdout) == (1, "")
    assert clean(result)
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: DuckDB does not accept memory_limit {value!r}: ")
    assert snapshot(project / "out") == before


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "01/11/2026"])
def test_a_bad_as_of_is_a_usage_error(project: Path, value: str) -> None:
    result = run_segdsl("eval", ".", "--as-of", value, cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"segdsl: --as-of: {value!r} is not a date or time (e.g. 2026-11-01 or "
                             "2026-11-01T12:00:00)\n")


def test_as_of_overrides_the_project(project: Path) -> None:
    """On 2025-01-20 only customer 2's order (2025-01-05) lies in the last 90 days."""
    result = run_segdsl("eval", ".", "--as-of", "2025-01-20", "--quiet", cwd=project)
    assert result.returncode == 0
    assert segments_json(project / "out")["as_of"] == "2025-01-20T00:00:00"
    assert [row[:2] for row in members(project / "out" / "members.parquet")] == [
        (1, ["adults"]), (2, ["adults", "adults/buyers"]), (3, []), (4, []), (5, ["adults"])]
