"""`segdsl schema`, the committed schema file and the pre-commit hooks.

Every shipped YAML file validates against the schema, known mistakes do not, and the file the
shipped YAML points its editors at (`schema/segdsl.schema.json`) is exactly what the command
prints, so that it never drifts from the loader.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from segdsl.cli import cli
from segdsl.schema import build_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema" / "segdsl.schema.json"
SHIPPED = sorted([*ROOT.glob("rules/*.y*ml"), *ROOT.glob("examples/*/*.y*ml"), *ROOT.glob("benchmarks/rules/*.y*ml")])
EDITOR_COMMENT = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")


def _plain(value):
    """A YAML document as JSON would hold it: dates (`as_of: 2026-11-01`) as ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _validator(kind: str = "both") -> jsonschema.Draft202012Validator:
    schema = build_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(doc: str, kind: str = "both") -> list[str]:
    return [e.message for e in _validator(kind).iter_errors(_plain(yaml.safe_load(doc)))]


def test_shipped_files_are_found():
    assert len(SHIPPED) > 20


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_file_validates(path: Path):
    kind = "project" if path.name in ("segdsl.yml", "segdsl.yaml") else "rules"
    doc = _plain(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert [e.message for e in _validator(kind).iter_errors(doc)] == []


@pytest.mark.parametrize("path", [p for p in SHIPPED if "benchmarks" not in p.parts],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_file_names_the_schema_on_its_first_line(path: Path):
    match = EDITOR_COMMENT.match(path.read_text(encoding="utf-8"))
    assert match, "the first line should be `# yaml-language-server: $schema=...`"
    assert (path.parent / match.group(1)).resolve() == SCHEMA_FILE


@pytest.mark.parametrize("doc, kind", [
    ("segments:\n  - name: tech\n    rul: industry = tech\n", "rules"),          # unknown key
    ("segments:\n  - name: Tech\n    rule: industry = tech\n", "rules"),         # bad name
    ("segments:\n  - name: tech\n", "rules"),                                   # no rule
    ("layers:\n  - name: l\n    tiers:\n      - {name: a, rule: x = 1, else: true}\n", "rules"),
    ("layers:\n  - name: l\n    tiers:\n      - {name: a}\n", "rules"),         # neither rule nor else
    ("layers:\n  - name: l\n    within: Tech/x\n    tiers:\n      - {name: a, else: true}\n", "rules"),
    ("microsegments:\n  - {name: m, layers: []}\n", "rules"),
    ("entity: customers\nsources:\n  c: {path: c.parquet}\n", "project"),      # no key
    ("entity: customers\nfields:\n  f: {type: rate}\n", "project"),            # rate without per
    ("entity: customers\nsources:\n  c: {path: c.csv, key: id, format: xlsx}\n", "project"),
    ("entity: customers\nsegments: []\n", "project"),
    ("segments: []\nentity: customers\n", "both"),                               # a mix of both kinds
])
def test_known_mistakes_fail(doc: str, kind: str):
    assert _errors(doc, kind)


def test_either_kind_validates_against_both():
    assert _errors("entity: customers\nas_of: 2026-11-01\nmetrics:\n  n: count(orders)\n") == []
    assert _errors("layers:\n  - name: l\n    tiers:\n      - {name: a, rule: x = 1}\n"
                   "      - {name: b, else: true}\n") == []


def test_committed_schema_is_the_commands_output():
    result = CliRunner().invoke(cli, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    assert SCHEMA_FILE.read_text(encoding="utf-8") == result.output, \
        "run `segdsl schema > schema/segdsl.schema.json`"


@pytest.mark.parametrize("kind", ["project", "rules", "both"])
def test_schema_command_prints_json(kind: str):
    result = CliRunner().invoke(cli, ["schema", "--kind", kind], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.output) == build_schema(kind)


def test_pre_commit_hooks_name_existing_commands():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    commands = set(cli.list_commands(None))
    assert {hook["id"] for hook in hooks} == {"segdsl-check", "segdsl-fmt", "segdsl-test"}
    for hook in hooks:
        program, command, *_ = hook["entry"].split()
        assert program == "segdsl" and command in commands
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert re.search(hook["files"], "rules/b2b.yml") and re.search(hook["files"], "x.yaml")
    help_text = CliRunner().invoke(cli, ["--help"]).output
    assert all(re.search(rf"^\s+{h['entry'].split()[1]}\b", help_text, re.M) for h in hooks)
