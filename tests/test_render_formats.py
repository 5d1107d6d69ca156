"""Golden tests of the summary line, colour, the concise and JSON renderers, and sorting."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from segdsl.dsl.diagnostics import Diagnostic, FileSpan, error, warning
from segdsl.dsl.render import render_concise, render_full, render_json, sort_diagnostics, summary
from render_samples import B2B, LIFECYCLE, span, unknown_industy


# --- summary -------------------------------------------------------------------------------


def _many(errors: int, warnings: int) -> list[Diagnostic]:
    return [error("E001", "e")] * errors + [warning("W001", "w")] * warnings


@pytest.mark.parametrize(
    ("errors", "warnings", "expected"),
    [
        (0, 0, "no problems"),
        (1, 0, "1 error"),
        (2, 0, "2 errors"),
        (0, 1, "1 warning"),
        (0, 3, "3 warnings"),
        (1, 1, "1 error, 1 warning"),
        (2, 1, "2 errors, 1 warning"),
        (1, 2, "1 error, 2 warnings"),
    ],
)
def test_summary_wording(errors, warnings, expected):
    diagnostics = _many(errors, warnings)
    assert summary(diagnostics) == expected
    assert render_full(diagnostics, {}).splitlines()[-1] == expected
    assert render_concise(diagnostics, {}).splitlines()[-1] == expected


def test_empty_list_renders_only_the_summary():
    assert render_full([], {}) == "no problems\n"
    assert render_concise([], {}) == "no problems\n"


# --- colour --------------------------------------------------------------------------------


def test_no_escape_codes_without_color():
    diagnostics = [unknown_industy(), warning("W001", "w", span(B2B, "tech"), hint="h")]
    assert "\x1b" not in render_full(diagnostics, {"rules/b2b.yml": B2B})


def test_color_output():
    diagnostics = [
        unknown_industy(),
        warning("W210", "unit", span(B2B, "tech"), label="l", notes=("n",)),
    ]
    esc = "\x1b["
    expected = f"""\
{esc}1mrules/b2b.yml:7:22:{esc}0m {esc}1;31merror[E201]{esc}0m: \
{esc}1munknown field 'industy' (did you mean 'industry'?){esc}0m
{esc}1;34m  |{esc}0m
{esc}1;34m7 |{esc}0m         rule: vip OR industy = saas
{esc}1;34m  |{esc}0m                      \
{esc}1;31m^^^^^^^ not a field of customers or a metric{esc}0m
  {esc}1;34m={esc}0m {esc}1mhelp:{esc}0m did you mean 'industry'?

{esc}1mrules/b2b.yml:2:11:{esc}0m {esc}1;33mwarning[W210]{esc}0m: {esc}1munit{esc}0m
{esc}1;34m  |{esc}0m
{esc}1;34m2 |{esc}0m   - name: tech
{esc}1;34m  |{esc}0m           {esc}1;33m^^^^ l{esc}0m
  {esc}1;34m={esc}0m {esc}1mnote:{esc}0m n

{esc}1m1 error, 1 warning{esc}0m
"""
    assert render_full(diagnostics, {"rules/b2b.yml": B2B}, color=True) == expected


def test_importing_render_does_not_import_rich():
    code = "import sys, segdsl.dsl.render; sys.exit('rich' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --- concise -------------------------------------------------------------------------------


def test_concise():
    diagnostics = [
        unknown_industy(),
        warning("W210", "'spend' has no declared unit", span(B2B, "tech")),
        unknown_industy(file="rules/gone.yml"),
        error("E008", "no segments in the project", hint="not shown in concise output"),
    ]
    expected = """\
rules/b2b.yml:7:22: error[E201]: unknown field 'industy' (did you mean 'industry'?)
rules/b2b.yml:2:11: warning[W210]: 'spend' has no declared unit
rules/gone.yml: error[E201]: unknown field 'industy' (did you mean 'industry'?)
error[E008]: no segments in the project
3 errors, 1 warning
"""
    assert render_concise(diagnostics, {"rules/b2b.yml": B2B}) == expected


# --- JSON ----------------------------------------------------------------------------------


def test_json_golden():
    text = 'rule: city = "Zürich" AND industy = saas\n'
    diagnostics = [
        error(
            "E201",
            "unknown field 'industy' near \"Zürich\"",
            span(text, "industy", "rules/geo.yml"),
            label="not a field",
            hint="did you mean 'industry'?",
        ),
        warning("W008", "no layers", notes=("a", "b")),
    ]
    expected = """\
{
  "diagnostics": [
    {
      "code": "E201",
      "severity": "error",
      "message": "unknown field 'industy' near \\"Zürich\\"",
      "file": "rules/geo.yml",
      "line": 1,
      "column": 27,
      "end_line": 1,
      "end_column": 34,
      "label": "not a field",
      "hint": "did you mean 'industry'?",
      "notes": []
    },
    {
      "code": "W008",
      "severity": "warning",
      "message": "no layers",
      "file": null,
      "line": null,
      "column": null,
      "end_line": null,
      "end_column": null,
      "label": "",
      "hint": null,
      "notes": [
        "a",
        "b"
      ]
    }
  ],
  "errors": 1,
  "warnings": 1
}
"""
    assert render_json(diagnostics, {"rules/geo.yml": text}) == expected


def test_json_structure_and_key_order():
    start = LIFECYCLE.index("last_order_at")
    end = LIFECYCLE.index("MISSING") + len("MISSING")
    diagnostics = [
        error("E310", "always true", FileSpan("rules/life.yml", start, end)),
        unknown_industy(file="rules/gone.yml"),
    ]
    document = json.loads(render_json(diagnostics, {"rules/life.yml": LIFECYCLE}))
    assert list(document) == ["diagnostics", "errors", "warnings"]
    keys = ["code", "severity", "message", "file", "line", "column"]
    keys += ["end_line", "end_column", "label", "hint", "notes"]
    assert [list(item) for item in document["diagnostics"]] == [keys, keys]
    multiline, missing = document["diagnostics"]
    # The end is exclusive: the position just after the span's last character.
    assert (multiline["line"], multiline["column"]) == (4, 7)
    assert (multiline["end_line"], multiline["end_column"]) == (5, 34)
    assert missing["file"] == "rules/gone.yml"
    assert missing["line"] is missing["end_column"] is None
    assert (document["errors"], document["warnings"]) == (2, 0)


def test_json_empty():
    assert json.loads(render_json([], {})) == {"diagnostics": [], "errors": 0, "warnings": 0}


# --- sorting -------------------------------------------------------------------------------


def test_sort_diagnostics_by_file_offset_code_and_stable():
    def at(file: str, start: int, code: str, message: str = "") -> Diagnostic:
        return error(code, message, FileSpan(file, start, start + 1))

    project = error("E008", "no place")
    b_late = at("rules/b.yml", 40, "E201")
    a_e300 = at("rules/a.yml", 5, "E300")
    a_e201_first = at("rules/a.yml", 5, "E201", "first")
    a_e201_second = at("rules/a.yml", 5, "E201", "second")
    a_early = at("rules/a.yml", 1, "E999")
    given = [b_late, a_e300, a_e201_first, project, a_early, a_e201_second]
    assert sort_diagnostics(given) == [
        project,
        a_early,
        a_e201_first,
        a_e201_second,
        a_e300,
        b_late,
    ]
    assert given[0] is b_late  # the input is left alone
