"""No input makes `check` raise: damaged copies of the shipped project give diagnostics instead.

Hypothesis cuts, duplicates and overwrites pieces of the shipped rules and settings files (the
kind of damage an editing mistake or a bad merge does) and checks the whole project each time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segdsl
from segdsl.dsl.render import render_full

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
FILES = sorted(p.name for p in RULES.glob("*.yml"))

# Fragments that each stress a different stage: YAML structure, rule syntax, names, types.
FRAGMENTS = ["", ":", "- ", "{", "}", "[", "'", '"', "|", "\t", "\n", "  ", " AND ", " OR (", ")",
             "`", "ago", "4/mo", "2024-02-30", "in_segment(tech)", "count(orders", "ntile(0, x)",
             "per fortnight", "name: tech", "rule: 5", "else: true", "tiers: []", "é", "1.5mo"]

edits = st.lists(
    st.tuples(st.sampled_from(FILES), st.floats(0, 1), st.integers(0, 40), st.sampled_from(FRAGMENTS)),
    min_size=1, max_size=4,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits)
def test_damaged_project_gives_diagnostics_not_exceptions(tmp_path_factory, changes):
    project = tmp_path_factory.mktemp("damaged")
    shutil.copytree(RULES, project, dirs_exist_ok=True)
    # The settings file points at the example data relative to rules/; keep that working.
    settings_file = project / "segdsl.yml"
    settings_file.write_text(settings_file.read_text().replace("../examples", str(ROOT / "examples")))
    for name, where, length, fragment in changes:
        file = project / name
        text = file.read_text()
        at = int(where * len(text))
        file.write_text(text[:at] + fragment + text[at + length:])

    result = segdsl.load(project).check()

    # Whatever the damage, the diagnostics render, and errors mean no checked project.
    assert render_full(result.diagnostics, result.texts).endswith("\n")
    assert (result.project is None) == (not result.ok)
    for diagnostic in result.diagnostics:
        if diagnostic.span is not None and diagnostic.span.file in result.texts:
            assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(result.texts[diagnostic.span.file])
