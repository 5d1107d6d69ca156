"""The `segdsl` command's contract (SPEC §4): exit codes, streams and output formats.

Exit codes: 0 ok (warnings allowed), 1 rule or data errors, 2 usage errors. Usage errors print a
short message on stderr and never a Python traceback. Commands run through the real entry point
in a subprocess where the entry point matters (usage errors, `--version`, `--help`), and through
click's `CliRunner` otherwise.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from segdsl import __version__
from segdsl.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases" / "check"

# What the `segdsl` console script runs (`segdsl = "segdsl.cli:main"`), named `segdsl` as it is.
ENTRY_POINT = "import sys; sys.argv[0] = 'segdsl'; from segdsl.cli import main; main()"


def segdsl(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real entry point, as the console script does."""
    return subprocess.run([sys.executable, "-c", ENTRY_POINT, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def check(case: str, *options: str, monkeypatch: pytest.MonkeyPatch):
    """`segdsl check . [options]` inside a case folder, in-process."""
    monkeypatch.chdir(CASES / case)
    return CliRunner().invoke(cli, ["check", ".", *options], catch_exceptions=False)


# --- exit codes and streams ----------------------------------------------------------------


def test_the_shipped_rules_project_is_clean() -> None:
    result = segdsl("check", "rules")
    assert (result.returncode, result.stdout, result.stderr) == (0, "no problems\n", "")


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run([sys.executable, "-m", "segdsl", "check", "rules"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "no problems\n", "")


def test_errors_exit_1_with_the_diagnostics_on_stdout() -> None:
    result = segdsl("check", "tests/cases/check/unknown_layer")
    assert result.returncode == 1
    assert result.stderr == ""
    # Paths are shown relative to the working directory, here the repository root.
    assert result.stdout == """\
tests/cases/check/unknown_layer/rules.yml:21:14: error[E205]: unknown layer 'plan_teir' (did you mean 'plan_tier'?)
   |
21 |     layers: [plan_teir, age_band, region]
   |              ^^^^^^^^^ no layer with this name

tests/cases/check/unknown_layer/rules.yml:21:35: error[E205]: unknown layer 'region'
   |
21 |     layers: [plan_teir, age_band, region]
   |                                   ^^^^^^ no layer with this name

2 errors
"""


def test_warnings_alone_exit_0(monkeypatch: pytest.MonkeyPatch) -> None:
    result = check("units_warning", "--format", "concise", monkeypatch=monkeypatch)
    assert result.exit_code == 0
    assert result.output.endswith("\n3 warnings\n")


def test_project_defaults_to_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES / "unknown_layer")
    result = CliRunner().invoke(cli, ["check"], catch_exceptions=False)
    expected = (CASES / "unknown_layer" / "expected.txt").read_text(encoding="utf-8")
    assert result.output + f"exit: {result.exit_code}\n" == expected


def test_data_overrides_a_source_path() -> None:
    result = segdsl("check", "rules", "--data", "orders=examples/data/orders.parquet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "no problems\n", "")


def test_a_data_override_that_cannot_be_read_is_a_data_error() -> None:
    result = segdsl("check", "rules", "--data", "orders=nowhere/orders.parquet")
    assert (result.returncode, result.stderr) == (1, "")
    # The error points at the source, not at the path in segdsl.yml, which was not used.
    assert result.stdout == """\
rules/segdsl.yml:9:3: error[E401]: source orders: file not found: nowhere/orders.parquet (from --data)
  |
9 |   orders:     {path: ../examples/data/orders.parquet, key: customer_id, time: ordered_at}
  |   ^^^^^^ read from --data orders=nowhere/orders.parquet
  = help: a --data path is relative to the current folder

1 error
"""


def click_usage(usage: str, error: str, command: str = "check") -> str:
    try_help = f"segdsl {command} --help" if command else "segdsl --help"
    return f"Usage: {usage}\nTry '{try_help}' for help.\n\nError: {error}\n"


CHECK_USAGE = "segdsl check [OPTIONS] [PROJECT]"

USAGE_ERRORS = {
    "project_missing": (
        ["check", "no/such/folder"],
        "segdsl: no/such/folder is not a folder (a rules project is a folder with segdsl.yml)\n",
    ),
    "project_is_a_file": (
        ["check", "pyproject.toml"],
        click_usage(CHECK_USAGE, "Invalid value for '[PROJECT]': Directory 'pyproject.toml' is a file."),
    ),
    "data_without_equals": (
        ["check", "rules", "--data", "orders"],
        click_usage(CHECK_USAGE, "Invalid value for --data: expected NAME=PATH, got 'orders'"),
    ),
    "data_without_path": (
        ["check", "rules", "--data", "orders="],
        click_usage(CHECK_USAGE, "Invalid value for --data: expected NAME=PATH, got 'orders='"),
    ),
    "data_unknown_source": (
        ["check", "rules", "--data", "sessions=data/sessions.parquet"],
        "segdsl: --data names an unknown source: sessions\n",
    ),
    "unknown_option": (
        ["check", "rules", "--colour"],
        click_usage(CHECK_USAGE, "No such option '--colour'."),
    ),
    "unknown_format": (
        ["check", "rules", "--format", "xml"],
        click_usage(CHECK_USAGE, "Invalid value for '--format': 'xml' is not one of 'full', 'concise', 'json'."),
    ),
    "unknown_command": (
        ["chek", "rules"],
        click_usage("segdsl [OPTIONS] COMMAND [ARGS]...", "No such command 'chek'. (Did you mean one of: 'check', 'schema'?)", command=""),
    ),
}


@pytest.mark.parametrize("args,stderr", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_usage_errors_exit_2_with_a_message_and_no_traceback(args: list[str], stderr: str) -> None:
    result = segdsl(*args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", stderr)
    assert "Traceback" not in result.stdout + result.stderr
    # Exactly one line says what is wrong: ours, or click's `Error:` line under its usage lines.
    message_lines = [line for line in stderr.splitlines() if line.startswith(("segdsl:", "Error:"))]
    assert len(message_lines) == 1


def test_version() -> None:
    result = segdsl("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"segdsl, version {__version__}\n", "")


def test_help_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "segdsl", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    listed = re.findall(r"^  (\w+)\s{2,}\S", result.stdout, flags=re.MULTILINE)
    # Every registered command, none hidden; the ones every release has are named.
    assert listed == sorted(cli.commands)
    assert {"check", "compile", "eval", "schema"} <= set(listed)


# --- output formats ------------------------------------------------------------------------

JSON_KEYS = ["code", "severity", "message", "file", "line", "column", "end_line", "end_column", "label",
             "hint", "notes"]


def test_json_of_a_clean_project() -> None:
    result = segdsl("check", "rules", "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"diagnostics": [], "errors": 0, "warnings": 0}


@pytest.mark.parametrize("case", ["many_problems_one_run", "units_warning", "empty_project"])
def test_json_has_the_documented_keys_and_counts(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = check(case, "--format", "json", monkeypatch=monkeypatch)
    document = json.loads(result.output)
    assert list(document) == ["diagnostics", "errors", "warnings"]
    items = document["diagnostics"]
    assert items, "each of these cases has diagnostics"
    assert all(list(item) == JSON_KEYS for item in items)
    assert document["errors"] == sum(item["severity"] == "error" for item in items)
    assert document["warnings"] == sum(item["severity"] == "warning" for item in items)
    assert result.exit_code == (1 if document["errors"] else 0)


def test_json_golden(monkeypatch: pytest.MonkeyPatch, update_golden: bool) -> None:
    """One case in full, as tools read it; `pytest --update-golden` rewrites it."""
    golden = CASES / "unknown_column" / "expected.json"
    result = check("unknown_column", "--format", "json", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    if update_golden:
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


def test_concise_is_one_line_per_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    result = check("unknown_column", "--format", "concise", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert result.output == """\
rules.yml:3:22: error[E206]: unknown column 'amout' of orders (did you mean 'amount'?)
rules.yml:5:30: error[E206]: unknown column 'price' of orders
rules.yml:9:22: error[E206]: unknown column 'ordered' of orders (did you mean 'ordered_at'?)
segdsl.yml:7:37: error[E206]: unknown column 'categry' of orders (did you mean 'category'?)
4 errors
"""


@pytest.mark.parametrize("case", ["many_problems_one_run", "empty_project", "units_warning"])
def test_the_three_formats_agree(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concise lines are the headers of the full output, in the same order as the JSON items."""
    full = check(case, monkeypatch=monkeypatch).output
    concise = check(case, "--format", "concise", monkeypatch=monkeypatch).output.splitlines()
    items = json.loads(check(case, "--format", "json", monkeypatch=monkeypatch).output)["diagnostics"]
    blocks = full.split("\n\n")
    assert concise[-1] == blocks[-1].strip()  # the summary
    assert concise[:-1] == [block.splitlines()[0] for block in blocks[:-1]]
    assert len(items) == len(concise) - 1
    for line, item in zip(concise, items):
        place = f"{item['file']}:{item['line']}:{item['column']}: " if item["file"] else ""
        assert line == f"{place}{item['severity']}[{item['code']}]: {item['message']}"
