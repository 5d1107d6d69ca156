"""Golden tests of the compiler: the exact SQL of each project, and the members it selects.

Input: the shipped rules project `rules/`, every example project `examples/*/`, and the small
case folders under `tests/cases/compile/small/` (each a rules project with tiny CSV data).
Output compared with the files beside them (pretty-printed SQL, STYLE principles 10 and 11):

- `tests/cases/compile/shipped/<project>/<dialect>.sql`: `segdsl.load(p).to_sql(dialect)`,
  DuckDB for every project, and Postgres, Snowflake and BigQuery for `rules/` too. as_of comes
  from each project's segdsl.yml, so the SQL does not depend on the day the test runs.
- `small/<case>/expected.sql`: the case's DuckDB SQL (narrowed to the segment named in
  `segment.txt` when there is one); `small/<case>/expected_members.csv`: what the engine's
  evaluation of the whole case gives, which the reference interpreter must give too.

`pytest --update-golden` rewrites the expected files from the current output instead of
comparing; read the diff before committing it. What each small case is about is said in the
comment at the top of its segdsl.yml; `CLAIMS` below states the sharing it is there to show.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

import segdsl
from segdsl.dsl import typed as t
from segdsl.engine.sources import Location, relation
from segdsl.reference import Data, Membership, evaluate

from harness import engine_memberships

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases" / "compile"
SHIPPED = CASES / "shipped"
SMALL = CASES / "small"

PROJECTS = {"rules": ROOT / "rules"} | {
    p.parent.name: p.parent for p in sorted((ROOT / "examples").glob("*/segdsl.yml"))}
"""Shipped project name → folder: `rules` and each example by its folder name."""

DIALECTS = {"rules": ("duckdb", "postgres", "snowflake", "bigquery")}
"""Dialects pinned per shipped project; DuckDB only for those not listed."""

SHIPPED_FILES = [(name, dialect) for name in PROJECTS for dialect in DIALECTS.get(name, ("duckdb",))]
SMALL_CASES = sorted(p for p in SMALL.iterdir() if p.is_dir())

CLAIMS: dict[str, list[tuple[str, int]]] = {
    "child_ranks_parent_members": [
        ("NTILE(4) OVER (", 2),                        # one ranking per scope ...
        ("PARTITION BY segment_buyers, NOT metric_spend_365d IS NULL", 1),  # ... the child's among buyers
    ],
    "layer_within_segment": [("PERCENT_RANK() OVER (", 1), ("PARTITION BY segment_buyers", 1)],
    "shared_rule_computed_once": [
        ("IN ('DE', 'FR', 'GB', 'ES')", 1), ("AS condition_1", 1), ("AS condition_2", 0),
        ("NTILE(2) OVER (", 2),                        # the same ranking rule in two scopes
    ],
    "shared_aggregate_computed_once": [("SUM(amount)", 2), ("COUNT(*)", 1)],
    "rate_per_month": [("COUNT(*) FILTER", 2), ("/ CAST(0.9856262833675564 AS DOUBLE) AS ", 1),
                       ("metric_purchase_freq > CAST(2.174107142857143 AS DOUBLE)", 1)],
    "not_over_nullable_comparison": [("NOT (\n      COALESCE(age > 30, FALSE)\n    )", 1)],
    "not_between": [("NOT age IS NULL AND NOT (\n      age BETWEEN 30 AND 50\n    )", 1),
                    ("NOT (\n      COALESCE(age BETWEEN 30 AND 50, FALSE)\n    )", 1)],
    "segment_narrowing": [("AS segment_tech,", 1), ("AS segment_tech__power_buyers", 1),
                          ("AS segment_regulated", 1), ("dormant", 0), ("europe", 0),
                          ("metric_spend_365d", 0), ("layer_", 0), ("microsegment_", 0)],
}
"""Per small case: a piece of its expected.sql and how many times it occurs there."""


def compare_golden(path: Path, actual: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run pytest --update-golden to create it"
    assert actual == path.read_text(encoding="utf-8")


# --- the shipped projects ------------------------------------------------------------------


def test_the_projects_and_cases_are_found() -> None:
    # A wrong path or pattern would otherwise leave nothing to parametrize, and nothing to fail.
    assert len(PROJECTS) >= 12 and len(SMALL_CASES) >= 8
    assert set(CLAIMS) == {case.name for case in SMALL_CASES}


def test_no_golden_folder_is_left_over() -> None:
    # A renamed example would leave its old golden SQL behind, pinned by nothing.
    assert sorted(p.name for p in SHIPPED.iterdir()) == sorted(PROJECTS)
    for name in PROJECTS:
        assert sorted(p.name for p in (SHIPPED / name).iterdir()) == sorted(
            f"{d}.sql" for d in DIALECTS.get(name, ("duckdb",)))


@pytest.mark.parametrize(("name", "dialect"), SHIPPED_FILES, ids=[f"{n}-{d}" for n, d in SHIPPED_FILES])
def test_shipped_project_sql(name: str, dialect: str, update_golden: bool) -> None:
    sql = segdsl.load(PROJECTS[name]).to_sql(dialect=dialect)
    compare_golden(SHIPPED / name / f"{dialect}.sql", sql + "\n", update_golden)


# --- the small cases -----------------------------------------------------------------------


def _segment(case: Path) -> str | None:
    """The segment the case's SQL is narrowed to (`segment.txt`), if any."""
    path = case / "segment.txt"
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


@pytest.mark.parametrize("case", SMALL_CASES, ids=[p.name for p in SMALL_CASES])
def test_case_sql(case: Path, update_golden: bool) -> None:
    sql = segdsl.load(case).to_sql(dialect="duckdb", segment=_segment(case))
    compare_golden(case / "expected.sql", sql + "\n", update_golden)


@pytest.mark.parametrize("case", SMALL_CASES, ids=[p.name for p in SMALL_CASES])
def test_case_claims(case: Path) -> None:
    sql = (case / "expected.sql").read_text(encoding="utf-8")
    assert [(piece, sql.count(piece)) for piece, _ in CLAIMS[case.name]] == CLAIMS[case.name]


@pytest.mark.parametrize("case", SMALL_CASES, ids=[p.name for p in SMALL_CASES])
def test_case_members(case: Path, update_golden: bool) -> None:
    project = segdsl.load(case).checked()
    with segdsl.load(case).evaluate() as result:
        members = engine_memberships(result, project)
    compare_golden(case / "expected_members.csv", members_csv(members, project), update_golden)


@pytest.mark.parametrize("case", SMALL_CASES, ids=[p.name for p in SMALL_CASES])
def test_reference_gives_the_expected_members(case: Path) -> None:
    project = segdsl.load(case).checked()
    expected = (case / "expected_members.csv").read_text(encoding="utf-8")
    assert members_csv(evaluate(project, case_data(project), project.as_of), project) == expected


def test_narrowed_sql_selects_what_the_whole_project_selects() -> None:
    # `--segment` keeps a segment's meaning: the narrowed statement, run on the case's data,
    # gives each row exactly the kept segments it has in the whole evaluation.
    case = SMALL / "segment_narrowing"
    project = segdsl.load(case).checked()
    con = duckdb.connect()
    for name, source in project.sources.items():
        relation(con, Location(source.path, "csv")).create_view(name)
    rel = con.sql((case / "expected.sql").read_text(encoding="utf-8"))
    narrowed = {row[0]: row[1] for row in rel.fetchall()}
    kept = {"tech", "tech/power_buyers", "regulated"}
    with segdsl.load(case).evaluate() as result:
        whole = {m.key: [p for p in m.segments if p in kept] for m in engine_memberships(result, project)}
    assert narrowed == whole
    assert any("tech/power_buyers" in paths for paths in whole.values())


# --- a ranking rule shared in one scope is not borrowed by another ----------------------

TOP_LEVEL_TWICE = """segments:
  - name: older_half
    rule: ntile(2, age) = 2
  - name: older_half_again
    rule: ntile(2, age) = 2
  - name: young
    rule: age < 40
"""

NARROWER_ONCE = {
    "child": """    segments:
      - name: older_half
        rule: ntile(2, age) = 2
""",
    "layer_within": """layers:
  - name: young_age
    within: young
    tiers:
      - name: older
        rule: ntile(2, age) = 2
      - name: younger
        else: true
""",
}


@pytest.mark.parametrize("where", sorted(NARROWER_ONCE))
def test_a_ranking_shared_at_the_top_ranks_its_own_scope_elsewhere(where: str, tmp_path: Path) -> None:
    # Among the young (ages 17, 29, 30, 34) the older half is 1 (34) and 12 (30); among everyone
    # it starts at 45, so the engine finds nobody young in it.
    source = SMALL / "shared_rule_computed_once"
    for name in ("segdsl.yml", "customers.csv"):
        (tmp_path / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "rules.yml").write_text(TOP_LEVEL_TWICE + NARROWER_ONCE[where], encoding="utf-8")
    project = segdsl.load(tmp_path).checked()
    reference = evaluate(project, case_data(project), project.as_of)
    assert {m.key for m in reference if "young/older_half" in m.segments or m.tiers.get("young_age") == "older"} \
        == {1, 12}
    with segdsl.load(tmp_path).evaluate() as result:
        assert engine_memberships(result, project) == reference


# --- members as rows -----------------------------------------------------------------------


def case_data(project: t.Project) -> Data:
    """Every source's rows, read as the engine reads a CSV file."""
    con = duckdb.connect()
    rows = {}
    for name, source in project.sources.items():
        rel = relation(con, Location(source.path, "csv"))
        rows[name] = [dict(zip(rel.columns, values)) for values in rel.fetchall()]
    events = {name: r for name, r in rows.items() if name != project.entity}
    return Data(entity=rows[project.entity], events=events)


def members_csv(members: list[Membership], project: t.Project) -> str:
    """One line per entity: key, its segment paths separated by spaces, each layer's tier and
    each microsegment's key (empty when missing)."""
    layers = [layer.name for layer in project.layers]
    micros = [ms.name for ms in project.microsegments]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([project.key, "segments", *layers, *micros])
    for m in members:
        writer.writerow([m.key, " ".join(m.segments), *(m.tiers[name] or "" for name in layers),
                         *(m.microsegments[name] or "" for name in micros)])
    return out.getvalue()
