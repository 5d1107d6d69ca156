"""`segdsl report`: one self-contained HTML page, checked as text and rendered in Chromium.

The gaming lifecycle example is evaluated at two points (2026-10-01 and 2026-11-01) into eval
output folders and a history file; the report of the last point with that history is then
checked against independent counts: the tables against segments.json, the overlap heatmap and
the Sankey bands against plain Python over the members files. The browser test opens the page
headless through Playwright with the system's Chromium (skipped when there is none, unless
SEGDSL_REQUIRE_BROWSER=1, as `.ci/run` sets, makes that a failure) and saves a screenshot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections import Counter
from html.parser import HTMLParser
from itertools import combinations_with_replacement
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import segdsl
from segdsl.cli import cli
from segdsl.report import build

ROOT = Path(__file__).resolve().parent.parent
GAMING = ROOT / "examples" / "gaming_lifecycle"
OLD, NEW = "2026-10-01", "2026-11-01"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> dict:
    """Two points of the gaming example: their eval folders, a history file, and the report."""
    base = tmp_path_factory.mktemp("report")
    with segdsl.load(GAMING).evaluate(as_of=[OLD, NEW]) as results:
        results.write(base / "out")
        results.write_history(base / "history.duckdb")
    folder = base / "out" / NEW
    html, flows = build(folder, base / "history.duckdb")
    page = base / "report.html"
    page.write_text(html, encoding="utf-8")
    return {"base": base, "folder": folder, "old": base / "out" / OLD, "history": base / "history.duckdb",
            "html": html, "page": page, "summary": json.loads((folder / "segments.json").read_text())}


# --- reading the page ------------------------------------------------------------------------


class Tables(HTMLParser):
    """Every <table> as (caption, rows of cell texts)."""

    def __init__(self):
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "caption" and self._caption is not None:
            self.tables[-1] = ("".join(self._caption), self.tables[-1][1])
            self._caption = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def tables(html: str) -> list[tuple[str, list[list[str]]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def number(text: str) -> int:
    return int(text.replace(",", ""))


def walk(nodes):
    for node in nodes:
        yield node
        yield from walk(node["segments"])


def unescape(text: str) -> str:
    import html

    return html.unescape(text)


def read_members(folder: Path) -> list[dict]:
    return pq.read_table(folder / "members.parquet").to_pylist()


# --- the page as text --------------------------------------------------------------------------


def test_segment_table_says_what_segments_json_says(evaluated):
    summary = evaluated["summary"]
    caption, rows = next(t for t in tables(evaluated["html"]) if t[1][0][:2] == ["Path", "Rule"])
    header, body = rows[0], rows[1:]
    segments = list(walk(summary["segments"]))
    assert len(body) == len(segments)
    for row, node in zip(body, segments):
        cells = dict(zip(header, row))
        assert cells["Path"] == node["path"]
        assert cells["Rule"] == node["rule"]
        assert cells["Owner"] == (node["owner"] or "–")
        assert cells["Description"] == (node["description"] or "–")
        assert number(cells["Count"]) == node["count"]
        assert cells["Share of all"] == f"{node['share_of_all'] * 100:.1f}%"
        assert cells["Definition hash"] == node["definition_hash"]


def test_layer_and_microsegment_tables_say_what_segments_json_says(evaluated):
    summary = evaluated["summary"]
    found = tables(evaluated["html"])
    tier_tables = [rows for _, rows in found if rows[0] == ["Tier", "Rule", "Count", "Share"]]
    assert len(tier_tables) == len(summary["layers"])
    for layer, rows in zip(summary["layers"], tier_tables):
        counts = {row[0]: number(row[2]) for row in rows[1:]}
        assert counts == {**{t["name"]: t["count"] for t in layer["tiers"]},
                          **({"no tier": layer["unassigned"]} if layer["unassigned"] else {})}
    key_tables = [rows for _, rows in found if rows[0] == ["Key", "Count", "Share"]]
    assert len(key_tables) == len(summary["microsegments"])
    for ms, rows in zip(summary["microsegments"], key_tables):
        assert [(row[0], number(row[1])) for row in rows[1:] if row[0] != "no key"] == \
               [(k["key"], k["count"]) for k in ms["keys"]]


def test_overlap_heatmap_counts_equal_a_python_count_over_the_members(evaluated):
    roots = [s["path"] for s in evaluated["summary"]["segments"]]
    members = read_members(evaluated["folder"])
    key = evaluated["summary"]["key"]
    sets = {root: {m[key] for m in members if root in m["segments"]} for root in roots}
    shown = {(unescape(a), unescape(b)): number(n) for a, b, n in
             re.findall(r'<g class="pair"><title>(.+?) and (.+?): ([\d,]+) entities in both', evaluated["html"])}
    assert len(shown) == len(roots) ** 2
    for a, b in combinations_with_replacement(roots, 2):
        assert shown[(a, b)] == shown[(b, a)] == len(sets[a] & sets[b])
    assert any(shown[(a, b)] for a in roots for b in roots if a != b), "the example should have some overlap"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_overlap_reads_csv_and_jsonl_members_alike(evaluated, tmp_path, fmt):
    from segdsl.report.inputs import overlap, read_outputs

    with segdsl.load(GAMING).evaluate(as_of=NEW) as result:
        result.write(tmp_path, fmt)
    assert overlap(read_outputs(tmp_path)) == overlap(read_outputs(evaluated["folder"]))


def test_sankey_bands_equal_a_python_count_over_both_members_files(evaluated):
    key = evaluated["summary"]["key"]
    old = {m[key]: m for m in read_members(evaluated["old"])}
    new = {m[key]: m for m in read_members(evaluated["folder"])}
    html = evaluated["html"]
    for layer in [layer["name"] for layer in evaluated["summary"]["layers"]]:
        expected = Counter()
        for k in old.keys() | new.keys():
            a = old[k][layer] if k in old else "(new)"
            b = new[k][layer] if k in new else "(gone)"
            expected[("no tier" if a is None else a, "no tier" if b is None else b)] += 1
        svg = re.search(rf'<svg data-layer="{layer}" .*?</svg>', html, re.S).group(0)
        shown = {(unescape(a), unescape(b)): number(n) for a, b, n in
                 re.findall(r'<path class="link" [^>]*><title>(.+?) → (.+?): ([\d,]+) \(', svg)}
        assert shown == dict(expected), layer


def test_treemap_has_one_cell_per_segment(evaluated):
    paths = [node["path"] for node in walk(evaluated["summary"]["segments"])]
    cells = re.findall(r'<g class="cell" data-path="([^"]+)">', evaluated["html"])
    assert sorted(unescape(p) for p in cells) == sorted(paths)


def test_squarified_rectangles_tile_the_box_with_areas_proportional_to_the_weights():
    from segdsl.report.charts import squarify

    weights = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0]
    rects = squarify(weights, 10, 20, 600, 400)
    for weight, (x, y, w, h) in zip(weights, rects):
        assert w * h == pytest.approx(600 * 400 * weight / sum(weights))
        assert 10 - 1e-9 <= x and x + w <= 610 + 1e-9 and 20 - 1e-9 <= y and y + h <= 420 + 1e-9
    for (ax, ay, aw, ah), (bx, by, bw, bh) in combinations_with_replacement(rects, 2):
        if (ax, ay) != (bx, by):  # no two rectangles overlap
            assert min(ax + aw, bx + bw) - max(ax, bx) <= 1e-9 or min(ay + ah, by + bh) - max(ay, by) <= 1e-9


def test_an_empty_segment_still_gets_a_visible_cell():
    from segdsl.report.charts import treemap

    def node(path, n, children=()):
        return {"path": path, "name": path.split("/")[-1], "count": n, "share_of_parent": None,
                "share_of_all": None, "segments": list(children)}

    svg = treemap({"count": 1000, "segments": [node("big", 990, [node("big/none", 0)]), node("empty", 0)]})
    sizes = {unescape(p): (float(w), float(h)) for p, w, h in re.findall(
        r'<g class="cell" data-path="([^"]+)"><title>[^<]*</title><rect x="[^"]+" y="[^"]+" width="([^"]+)" '
        r'height="([^"]+)"', svg)}
    assert set(sizes) == {"big", "big/none", "empty"}
    assert all(w >= 2 and h >= 2 for w, h in sizes.values()), sizes


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, written out here rather than taken from the code under test."""
    def lum(c: str) -> float:
        ch = [int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b_ = (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_on_every_fill_of_the_page_is_readable(evaluated):
    html = evaluated["html"]
    # heatmap cells: the text drawn on each cell against that cell's fill
    pairs = re.findall(r'<g class="pair"><title>[^<]*</title><rect [^>]*fill="(#[0-9a-f]{6})"[^>]*/>'
                       r'<text [^>]*fill="(#[0-9a-f]{6})"', html)
    assert pairs
    # treemap cells: dark text on the cell's fill
    pairs += [(fill, "#111111") for fill in
              re.findall(r'<g class="cell"[^>]*><title>[^<]*</title><rect [^>]*fill="(#[0-9a-f]{6})"', html)]
    assert all(contrast(a, b) >= 4.5 for a, b in pairs), [p for p in pairs if contrast(*p) < 4.5]
    # bars and Sankey nodes are marks, not text: 3:1 against the white page (WCAG 1.4.11)
    marks = set(re.findall(r'<g class="(?:bar|node)"><title>[^<]*</title>(?:<text[^>]*>[^<]*</text>)?'
                           r'<rect [^>]*fill="(#[0-9a-f]{6})"', html))
    assert len(marks) >= 3 and all(contrast(m, "#ffffff") >= 3 for m in marks)


def test_the_page_loads_nothing_from_anywhere(evaluated):
    html = evaluated["html"]
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    assert not re.search(r"<script\b", html, re.I)
    assert not re.search(r"@import|url\(", html, re.I)


def test_the_same_inputs_give_the_same_bytes(evaluated):
    again, _ = build(evaluated["folder"], evaluated["history"])
    assert again == evaluated["html"]
    assert re.search(r"\b20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d", again) is None, "no wall-clock time on the page"


def test_the_command_writes_the_page_and_picks_the_points(evaluated, tmp_path):
    out = tmp_path / "sub" / "r.html"
    result = CliRunner().invoke(cli, ["report", str(evaluated["folder"]), "--history", str(evaluated["history"]),
                                      "--from", OLD, "--to", NEW, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == evaluated["html"]  # the default points are these two


@pytest.mark.parametrize(("args", "code", "says"), [
    (["report", "{tmp}/missing"], 2, "no such folder"),
    (["report", "{folder}", "--from", OLD], 2, "need --history"),
    (["report", "{folder}", "--history", "{history}", "--from", OLD], 2, "go together"),
    (["report", "{folder}", "--history", "{history}", "--from", "2026-01-01", "--to", NEW], 2, "no point"),
    (["report", "{folder}", "--history", "{tmp}/missing.duckdb"], 2, "no such history file"),
    (["report", "{broken}"], 1, "not valid JSON"),
])
def test_mistakes_get_one_clear_message(evaluated, tmp_path, args, code, says):
    from tests.eval_projects import segdsl as run

    broken = tmp_path / "broken"
    shutil.copytree(evaluated["folder"], broken)
    (broken / "segments.json").write_text('{"key": "customer_id",', encoding="utf-8")
    values = {"tmp": tmp_path, "folder": evaluated["folder"], "history": evaluated["history"], "broken": broken}
    result = run(*[a.format(**values) for a in args], "--output", str(tmp_path / "r.html"))
    assert result.returncode == code, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()


# --- the page in a browser ---------------------------------------------------------------------


def chromium() -> str | None:
    """$SEGDSL_CHROMIUM when set (and only it), else the first of Debian's names that exists."""
    if os.environ.get("SEGDSL_CHROMIUM"):
        return shutil.which(os.environ["SEGDSL_CHROMIUM"])
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        if found := shutil.which(candidate):
            return found
    return None


def browser_or_skip() -> str:
    """The Chromium to drive; a skip (or, under SEGDSL_REQUIRE_BROWSER=1, a failure) without one."""
    required = os.environ.get("SEGDSL_REQUIRE_BROWSER") == "1"
    path = chromium()
    reason = None
    if path is None:
        reason = ("no Chromium found ($SEGDSL_CHROMIUM, /usr/bin/chromium, chromium, chromium-browser); "
                  "install Debian's chromium to run the browser test")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright for Python is not installed (pip install -e '.[test]')"
    if reason:
        if required:
            pytest.fail(f"SEGDSL_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return path


@pytest.mark.parametrize(("required", "outcome"), [("1", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_no_browser_is_a_skip_unless_ci_requires_one(monkeypatch, required, outcome):
    monkeypatch.setattr(sys.modules[__name__], "chromium", lambda: None)
    monkeypatch.setenv("SEGDSL_REQUIRE_BROWSER", required)
    with pytest.raises(outcome, match="no Chromium found"):
        browser_or_skip()


ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_the_report_renders_every_chart_in_chromium(evaluated, tmp_path):
    executable = browser_or_skip()
    from playwright.sync_api import sync_playwright

    summary = evaluated["summary"]
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.goto(evaluated["page"].as_uri(), wait_until="load")
            charts = page.eval_on_selector_all(
                "svg.chart", "els => els.map(e => { const b = e.getBoundingClientRect(); "
                "return {cls: e.getAttribute('class'), w: b.width, h: b.height, "
                "label: e.getAttribute('aria-label'), marks: e.querySelectorAll('rect,path').length}; })")
            cells = page.eval_on_selector_all(
                "svg.treemap g.cell rect", "els => els.map(e => { const b = e.getBoundingClientRect(); "
                "return [b.width, b.height]; })")
            links = page.eval_on_selector_all(
                "svg.sankey", "els => els.map(e => [e.dataset.layer, e.querySelectorAll('path.link').length, "
                "Math.max(...[...e.querySelectorAll('path.link')].map(p => p.getBoundingClientRect().width))])")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    kinds = Counter(c["cls"].split()[1] for c in charts)
    assert kinds == {"treemap": 1, "heatmap": 1, "bars": len(summary["layers"]) + len(summary["microsegments"]),
                     "sankey": len(summary["layers"])}
    for chart in charts:
        assert chart["w"] > 0 and chart["h"] > 0 and chart["marks"] > 0 and chart["label"], chart
    assert len(cells) == len(list(walk(summary["segments"])))
    assert all(w > 0 and h > 0 for w, h in cells)
    assert sorted(layer for layer, _, _ in links) == sorted(layer["name"] for layer in summary["layers"])
    assert all(n > 0 and width > 0 for _, n, width in links)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    out = ROOT / "out"  # for people: the last rendering, next to eval's default outputs (not committed)
    out.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "report.png", out / "report.png")
