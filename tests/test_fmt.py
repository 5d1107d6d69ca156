"""`segdsl fmt`: rules rewritten to canonical text, everything else in the file byte-identical.

Projects are formatted in copies under tmp_path, laid out as in the repository (`rules/` next to
`examples/`) so that the data paths still resolve for `check` and `to_sql`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import segdsl
from segdsl.cli import cli
from segdsl.dsl.yaml_source import YMap, YScalar, YSeq, load_yaml
from segdsl.dsl.parser import parse_rule
from segdsl.dsl.printer import to_text
from segdsl.format import encode, format_project

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ["rules"] + sorted(
    f"examples/{p.name}" for p in (ROOT / "examples").iterdir() if (p / "segdsl.yml").is_file()
)

MESSY = """\
# A file written by hand, in a hurry.
segments:
  - name: messy_tech            # comment after the name
    description: "kept: as written"
    rule: industry   in (software,saas)  and  ((company_size >= 1_000))   # trailing comment
    segments:
      # a comment before the child
      - {name: messy_flow, rule: "purchase_freq>4/mo  or  orders_90d>=1"}
      - {name: messy_plain_flow, rule: not(orders_90d = 0)}
  - name: messy_quoted
    rule: 'industry = ''saas''   OR industry=software'
  - name: messy_block
    rule: >
      last_order_at < 90d ago
      or   last_order_at is missing
  - name: messy_literal
    owner: growth-team
    rule: |-
        (company_size between 10 and 500)
  - name: messy_colon
    rule: "industry   =   'a: b'"
"""

MESSY_FORMATTED = """\
# A file written by hand, in a hurry.
segments:
  - name: messy_tech            # comment after the name
    description: "kept: as written"
    rule: industry IN (software, saas) AND company_size >= 1_000   # trailing comment
    segments:
      # a comment before the child
      - {name: messy_flow, rule: "purchase_freq > 4/mo OR orders_90d >= 1"}
      - {name: messy_plain_flow, rule: NOT orders_90d = 0}
  - name: messy_quoted
    rule: 'industry = ''saas'' OR industry = software'
  - name: messy_block
    rule: >
      last_order_at < 90d ago OR last_order_at IS MISSING
  - name: messy_literal
    owner: growth-team
    rule: |-
        company_size BETWEEN 10 AND 500
  - name: messy_colon
    rule: "industry = 'a: b'"
"""


def copy_repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.y*ml"))}


def fmt(*args: str):
    return CliRunner().invoke(cli, ["fmt", *args], catch_exceptions=False)


@pytest.mark.parametrize("project", PROJECTS)
def test_formatting_is_idempotent_and_keeps_the_sql(tmp_path, project):
    folder = copy_repo(tmp_path) / project
    sql = segdsl.load(folder).to_sql()
    assert format_project(folder).ok
    once = snapshot(folder)
    second = format_project(folder)
    assert second.ok and second.changed == []
    assert snapshot(folder) == once
    assert segdsl.load(folder).check().ok
    assert segdsl.load(folder).to_sql() == sql


def test_a_messy_file_gets_exactly_the_canonical_rules(tmp_path):
    folder = copy_repo(tmp_path) / "rules"
    (folder / "messy.yml").write_text(MESSY, encoding="utf-8")
    sql = segdsl.load(folder).to_sql()
    result = format_project(folder)
    assert result.ok
    assert any(f.endswith("messy.yml") for f in result.changed)
    assert (folder / "messy.yml").read_text(encoding="utf-8") == MESSY_FORMATTED
    assert segdsl.load(folder).check().ok
    assert segdsl.load(folder).to_sql() == sql


def test_only_the_rule_characters_change(tmp_path):
    folder = copy_repo(tmp_path) / "rules"
    (folder / "messy.yml").write_text(MESSY, encoding="utf-8")
    format_project(folder)
    after = (folder / "messy.yml").read_text(encoding="utf-8")
    assert outside_rules(after) == outside_rules(MESSY)
    assert "# trailing comment" in after and "# a comment before the child" in after


def outside_rules(text: str) -> str:
    """The text with every `rule:` value cut out: the characters fmt must not touch."""
    root, _ = load_yaml(text, "x.yml")
    spans: list[tuple[int, int]] = []

    def walk(node) -> None:
        if isinstance(node, YMap):
            for key, value in node.items:
                if key.value == "rule" and isinstance(value, YScalar):
                    spans.append((value.start, value.end))
                walk(value)
        elif isinstance(node, YSeq):
            for item in node.items:
                walk(item)

    walk(root)
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + "<rule>" + text[end:]
    return text


def test_check_lists_the_files_and_writes_nothing(tmp_path, monkeypatch):
    folder = copy_repo(tmp_path) / "rules"
    (folder / "messy.yml").write_text(MESSY, encoding="utf-8")
    monkeypatch.chdir(folder)
    before = snapshot(folder)
    mtime = (folder / "messy.yml").stat().st_mtime_ns
    result = fmt(".", "--check")
    assert result.exit_code == 1
    assert "messy.yml" in result.output
    assert snapshot(folder) == before and (folder / "messy.yml").stat().st_mtime_ns == mtime
    assert fmt(".").exit_code == 0
    assert fmt(".", "--check").exit_code == 0


def test_unchanged_files_are_not_rewritten(tmp_path):
    folder = copy_repo(tmp_path) / "rules"
    format_project(folder)
    mtimes = {p: p.stat().st_mtime_ns for p in folder.glob("*.yml")}
    assert format_project(folder).changed == []
    assert {p: p.stat().st_mtime_ns for p in folder.glob("*.yml")} == mtimes


@pytest.mark.parametrize("broken", [
    "segments:\n  - name: bad\n    rule: industry  =  (software\n  - name: ok\n    rule: orders_90d>1\n",
    "segments:\n  - name: bad\n    rule: [industry\n",
])
def test_a_file_with_a_syntax_error_is_left_untouched(tmp_path, monkeypatch, broken):
    folder = copy_repo(tmp_path) / "rules"
    (folder / "broken.yml").write_text(broken, encoding="utf-8")
    monkeypatch.chdir(folder)
    result = fmt(".")
    assert result.exit_code == 1
    assert (folder / "broken.yml").read_text(encoding="utf-8") == broken


def test_a_rewrite_that_would_change_a_rule_is_not_written(tmp_path, monkeypatch):
    folder = copy_repo(tmp_path) / "rules"
    (folder / "messy.yml").write_text(MESSY, encoding="utf-8")
    monkeypatch.setattr("segdsl.format.to_text", lambda expr: "orders_90d > 999")
    result = format_project(folder)
    assert not result.ok and any(f.endswith("messy.yml") for f in result.unsafe)
    assert (folder / "messy.yml").read_text(encoding="utf-8") == MESSY


def test_crlf_line_endings_are_kept(tmp_path):
    folder = copy_repo(tmp_path) / "rules"
    (folder / "messy.yml").write_bytes(MESSY.replace("\n", "\r\n").encode())
    assert format_project(folder).ok
    assert (folder / "messy.yml").read_bytes() == MESSY_FORMATTED.replace("\n", "\r\n").encode()


@pytest.mark.parametrize("rule, in_flow, source", [
    ("industry = software", False, "industry = software"),
    ("industry = 'a: b'", False, "\"industry = 'a: b'\""),
    ("x IN (a, b)", False, "x IN (a, b)"),
    ("x IN (a, b)", True, '"x IN (a, b)"'),
    ("'a' = x", False, "\"'a' = x\""),
    ('x = "a #b"', False, '"x = \\"a #b\\""'),
])
def test_a_plain_rule_is_quoted_only_when_plain_would_read_differently(rule, in_flow, source):
    plain = YScalar("", "", None, 0, 0, "x.yml")
    assert encode(rule, "", plain, in_flow) == source


@pytest.mark.parametrize("project", PROJECTS)
def test_the_shipped_projects_are_in_canonical_form(project):
    result = format_project(ROOT / project, check=True)
    assert result.ok and result.changed == []


def test_a_long_folded_rule_is_wrapped_before_top_level_operators(tmp_path):
    folder = copy_repo(tmp_path) / "rules"
    ends = " AND ".join(f'email NOT ENDS WITH "@mail{i} (AND) OR x.example"' for i in range(6))
    rule = f"email IS NOT MISSING AND (industry = saas OR industry = software) AND {ends}"
    (folder / "long.yml").write_text(
        f"segments:\n  - name: long_rule\n    rule: >-\n      {rule}\n", encoding="utf-8")
    assert format_project(folder).ok
    lines = (folder / "long.yml").read_text(encoding="utf-8").splitlines()[3:]
    assert len(lines) > 1
    assert all(len(line) <= 100 for line in lines)
    assert all(line.startswith("      AND ") for line in lines[1:])
    folded = yaml.safe_load((folder / "long.yml").read_text(encoding="utf-8"))["segments"][0]["rule"]
    assert folded == to_text(parse_rule(rule))  # folding joins the lines back into the canonical rule
