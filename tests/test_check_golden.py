"""Golden tests of `segdsl check`: the exact output for each class of bad input.

Each folder under `tests/cases/check/` is a small rules project (its `segdsl.yml`, rules files
and tiny data files) with `expected.txt`: the full output of `segdsl check .` run inside that
folder, then a last line `exit: N`. `pytest --update-golden` rewrites the expected files from
the current output instead of comparing; read the diff before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from segdsl.cli import cli

CASES = Path(__file__).parent / "cases" / "check"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


def run_check(case: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`segdsl check .` with `case` as the working directory: its output, then `exit: N`."""
    monkeypatch.chdir(case)
    result = CliRunner().invoke(cli, ["check", "."], catch_exceptions=False)
    return result.output + f"exit: {result.exit_code}\n"


def compare_golden(path: Path, actual: str, update: bool) -> None:
    if update:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run pytest --update-golden to create it"
    assert actual == path.read_text(encoding="utf-8")


def test_the_cases_are_found() -> None:
    # A wrong path or pattern would otherwise leave nothing to parametrize, and nothing to fail.
    assert len(CASE_DIRS) >= 31


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_check_output(case: Path, monkeypatch: pytest.MonkeyPatch, update_golden: bool) -> None:
    compare_golden(case / "expected.txt", run_check(case, monkeypatch), update_golden)
