"""The report page: charts first, then the tables, in one HTML file with its CSS inlined.

Input: the eval outputs, the overlap of top-level segments, and optionally the movement flows.
Output: the HTML text. Nothing on the page depends on the clock or the machine, so the same
inputs give byte-identical pages; the page loads nothing (no scripts, fonts or stylesheets).
"""

from __future__ import annotations

from segdsl.report import charts
from segdsl.report.history import APPEARED, DISAPPEARED, Flows
from segdsl.report.inputs import Outputs, Overlap
from segdsl.report.sankey import display, sankey
from segdsl.report.svg import count, esc, pct

TOP_KEYS = 15

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#111;
background:#fff;margin:0 auto;max-width:1000px;padding:16px 20px 48px;line-height:1.45}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:2rem 0 .4rem;border-bottom:1px solid #999}
h3{font-size:1.05rem;margin:1.2rem 0 .3rem}p.note{color:#333;margin:.2rem 0 .6rem;font-size:.92rem}
svg{display:block;max-width:100%;height:auto;font-size:12px;font-family:inherit}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:.6rem 0;font-size:.92rem}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.4rem 0 1rem}
th,td{border:1px solid #999;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#e8e8e8}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
nav a{color:#0645ad;margin-right:12px}a{color:#0645ad}
"""


def render(outputs: Outputs, overlap: Overlap, flows: Flows | None = None) -> str:
    s = outputs.summary
    entity = s.get("entity") or "entities"
    head = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>segdsl report: {esc(entity)} at {esc(s.get('as_of', ''))}</title>\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n")
    sections = [_header(s, flows), _charts(s, overlap, flows), _tables(s, flows)]
    return head + "\n".join(sections) + "\n</body>\n</html>\n"


def _header(s: dict, flows: Flows | None) -> str:
    meta = [("Entities", f"{count(int(s.get('count') or 0))} {s.get('entity', '')} (key {s.get('key', '')})"),
            ("As of", s.get("as_of", "")),
            ("Rules revision", (s.get("rules") or {}).get("git_revision") or "not in git"),
            ("Rules hash", s.get("rules_hash") or "not recorded"),
            ("segdsl version", s.get("segdsl_version", ""))]
    if flows is not None:
        meta.append(("Movement", f"{when(flows.old)} → {when(flows.new)}"))
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in meta)
    links = [("tree", "Segment tree"), ("layers", "Layers"), ("microsegments", "Microsegments"),
             ("overlap", "Overlap")] + ([("movement", "Movement")] if flows is not None else []) + [
             ("tables", "Tables")]
    nav = "".join(f'<a href="#{a}">{esc(b)}</a>' for a, b in links)
    return (f"<header>\n<h1>Segments of {esc(s.get('entity', ''))}</h1>\n<dl class=\"meta\">{items}</dl>\n"
            f"<nav aria-label=\"Sections\">{nav}</nav>\n</header>")


def _charts(s: dict, overlap: Overlap, flows: Flows | None) -> str:
    out = ['<main>',
           '<section id="tree"><h2>Segment tree</h2>',
           '<p class="note">Each segment is a rectangle whose area is its count; micro segments sit inside '
           "their parent. Where the children's counts add up to less than the parent's, the difference is "
           "left as the parent's own colour (white at the top level); where they add up to more (a member "
           "can be in several), they share the parent's area in proportion. Empty segments keep a small "
           'rectangle so that they stay visible. Hover for counts and shares.</p>',
           charts.treemap(s), "</section>",
           '<section id="layers"><h2>Layers</h2>',
           '<p class="note">Each layer\'s tiers, in the layer\'s order (first matching tier wins); the share is '
           "of the layer's rows (its <code>within</code> segment, or all entities).</p>"]
    for i, layer in enumerate(s.get("layers") or []):
        rows = [(t["name"], int(t["count"]), t.get("share")) for t in layer["tiers"]]
        if layer.get("unassigned"):
            whole = int(layer.get("count") or 0)
            rows.append(("no tier", int(layer["unassigned"]), layer["unassigned"] / whole if whole else None))
        scope = f" within {layer['within']}" if layer.get("within") else ""
        out.append(f"<h3>{esc(layer['name'])}{esc(scope)}</h3>")
        out.append(charts.bars(rows, f"Bar chart of layer {layer['name']}{scope}: entities per tier", i))
    out.append("</section>")
    out.append('<section id="microsegments"><h2>Microsegments</h2>'
               f'<p class="note">The {TOP_KEYS} largest keys of each microsegment (its layers\' tiers joined '
               "by <code>/</code>); all keys are in the tables below.</p>")
    for i, ms in enumerate(s.get("microsegments") or []):
        keys = (ms.get("keys") or [])[:TOP_KEYS]
        rows = [(k["key"], int(k["count"]), k.get("share")) for k in keys]
        scope = f" within {ms['within']}" if ms.get("within") else ""
        out.append(f"<h3>{esc(ms['name'])} ({esc(' × '.join(ms.get('layers') or []))}){esc(scope)}</h3>")
        if rows:
            out.append(charts.bars(rows, f"Bar chart of the {len(rows)} largest keys of microsegment "
                                         f"{ms['name']}", i + 3))
        else:
            out.append('<p class="note">No entity has a key.</p>')
    out.append("</section>")
    out.append('<section id="overlap"><h2>Overlap of top-level segments</h2>'
               '<p class="note">Entities in both the row\'s and the column\'s segment (the diagonal is each '
               "segment's count); darker cells are a larger share of the smaller of the two.</p>")
    out.append(charts.heatmap(overlap) if overlap.paths else '<p class="note">No segments.</p>')
    out.append("</section>")
    if flows is not None:
        out.append(_movement(s, flows))
    out.append("</main>")
    return "\n".join(out)


def when(value) -> str:
    """A point as people write it: the date alone at midnight."""
    return value.date().isoformat() if value.time() == value.min.time() else value.isoformat()


def _layer_order(s: dict, flows: Flows) -> list[str]:
    """The history's layers in the rules' order, then any the rules no longer have."""
    known = [layer["name"] for layer in s.get("layers") or [] if layer["name"] in flows.layers]
    return known + sorted(name for name in flows.layers if name not in known)


def _movement(s: dict, flows: Flows) -> str:
    old, new = when(flows.old), when(flows.new)
    tiers = {layer["name"]: [t["name"] for t in layer["tiers"]] for layer in s.get("layers") or []}
    out = ['<section id="movement"><h2>Movement</h2>',
           f'<p class="note">Per layer, where the entities of {esc(old)} (left) stood at {esc(new)} (right). '
           f"A band's thickness is its number of entities; <em>{esc(APPEARED)}</em> and <em>{esc(DISAPPEARED)}</em> "
           "are entities present at only one of the two points.</p>"]
    out += [f'<p class="note">{esc(note)}</p>' for note in flows.notes]
    if not flows.layers:
        out.append('<p class="note">The history has no layer at these points.</p>')
    for layer in _layer_order(s, flows):
        items = flows.layers[layer]
        out.append(f"<h3>{esc(layer)}</h3>")
        out.append(sankey(layer, [(f.from_label, f.to_label, f.count) for f in items], tiers.get(layer, []),
                          old, new))
    out.append("</section>")
    return "\n".join(out)


def _table(headers: list[str], rows: list[list[tuple[str, bool]]], caption: str, css_id: str = "") -> str:
    ident = f' id="{css_id}"' if css_id else ""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{v}</td>' if numeric else f"<td>{v}</td>"
                                    for v, numeric in row) + "</tr>\n" for row in rows)
    return (f"<table{ident}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>\n{body}</tbody></table>")


def _walk(nodes: list[dict]):
    for node in nodes:
        yield node
        yield from _walk(node.get("segments") or [])


def _tables(s: dict, flows: Flows | None) -> str:
    out = ['<section id="tables"><h2>Tables</h2>', "<h3>Segments</h3>"]
    rows = []
    for node in _walk(s.get("segments") or []):
        rule = node.get("rule")
        rows.append([(f"<code>{esc(node['path'])}</code>", False),
                     (f"<code>{esc(rule)}</code>" if rule else "–", False),
                     (esc(node.get("owner") or "–"), False), (esc(node.get("description") or "–"), False),
                     (count(int(node.get("count") or 0)), True), (pct(node.get("share_of_parent")), True),
                     (pct(node.get("share_of_all")), True),
                     (f"<code>{esc(node.get('definition_hash') or '–')}</code>", False)])
    out.append(_table(["Path", "Rule", "Owner", "Description", "Count", "Share of parent", "Share of all",
                       "Definition hash"], rows, "Every segment, parents before their micro segments",
                      "segments-table"))
    for layer in s.get("layers") or []:
        scope = f" within {layer['within']}" if layer.get("within") else ""
        out.append(f"<h3>Layer {esc(layer['name'])}{esc(scope)}</h3>")
        rows = [[(esc(t["name"]), False), (f"<code>{esc(t['rule'])}</code>" if t.get("rule") else "else", False),
                 (count(int(t["count"])), True), (pct(t.get("share")), True)] for t in layer["tiers"]]
        if layer.get("unassigned"):
            rows.append([("no tier", False), ("–", False), (count(int(layer["unassigned"])), True), ("", True)])
        out.append(_table(["Tier", "Rule", "Count", "Share"], rows,
                          f"Definition hash {layer.get('definition_hash') or '–'}"))
    for ms in s.get("microsegments") or []:
        out.append(f"<h3>Microsegment {esc(ms['name'])}</h3>")
        rows = [[(f"<code>{esc(k['key'])}</code>", False), (count(int(k["count"])), True), (pct(k.get("share")), True)]
                for k in ms.get("keys") or []]
        if ms.get("unassigned"):
            rows.append([("no key", False), (count(int(ms["unassigned"])), True), ("", True)])
        out.append(_table(["Key", "Count", "Share"], rows, f"Layers {' × '.join(ms.get('layers') or [])}"))
    if flows is not None:
        for layer in _layer_order(s, flows):
            items = flows.layers[layer]
            totals: dict[str | None, int] = {}
            for f in items:
                totals[f.from_label] = totals.get(f.from_label, 0) + f.count
            out.append(f"<h3>Movement of layer {esc(layer)}</h3>")
            rows = [[(esc(display(f.from_label)), False), (esc(display(f.to_label)), False),
                     (count(f.count), True), (pct(f.count / totals[f.from_label] if totals[f.from_label] else None),
                                              True)] for f in items]
            out.append(_table(["From", "To", "Count", "Share of from"], rows,
                              f"{when(flows.old)} → {when(flows.new)}"))
    out.append("</section>")
    return "\n".join(out)
