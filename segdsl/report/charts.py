"""The report's charts as inline SVG: the segment treemap, bars, and the overlap heatmap.

Input: parts of `segments.json` (and an `Overlap`). Output: SVG text, drawn without JavaScript;
every mark carries a `<title>` (the browser's hover tooltip) and every chart an aria-label.
"""

from __future__ import annotations

from segdsl.report.inputs import Overlap
from segdsl.report.svg import (CHAR_PX, PALETTE, STRONG, count, esc, fit, mix, num, pct, svg_open, text,
                               text_on, title)

WIDTH = 960


# --- treemap -------------------------------------------------------------------------------


def squarify(weights: list[float], x: float, y: float, w: float, h: float) -> list[tuple[float, float, float, float]]:
    """Rectangles with areas proportional to the weights (squarified treemap), in the weights' order."""
    total = sum(weights)
    if total <= 0 or w <= 0 or h <= 0:
        return [(x, y, 0.0, 0.0) for _ in weights]
    scale = w * h / total
    order = sorted(range(len(weights)), key=lambda i: -weights[i])  # stable: ties keep file order
    out: dict[int, tuple[float, float, float, float]] = {}

    def worst(row: list[int], short: float) -> float:
        areas = [weights[i] * scale for i in row]
        s = sum(areas)
        return max(max(short * short * a / (s * s), s * s / (short * short * a)) for a in areas)

    while order:
        short = min(w, h)
        row = [order[0]]
        while len(row) < len(order) and worst(row + [order[len(row)]], short) <= worst(row, short):
            row.append(order[len(row)])
        area = sum(weights[i] for i in row) * scale
        if w >= h:  # a column at the left
            col = area / h if h else 0.0
            cy = y
            for i in row:
                ih = weights[i] * scale / col if col else 0.0
                out[i] = (x, cy, col, ih)
                cy += ih
            x, w = x + col, w - col
        else:  # a row at the top
            rh = area / w if w else 0.0
            cx = x
            for i in row:
                iw = weights[i] * scale / rh if rh else 0.0
                out[i] = (cx, y, iw, rh)
                cx += iw
            y, h = y + rh, h - rh
        order = order[len(row):]
    return [out[i] for i in range(len(weights))]


MIN_SHARE = 0.02
"""An empty or tiny segment still gets this share of its siblings' area, so that it is visible."""


def treemap(summary: dict, height: float = 520) -> str:
    """Every segment a rectangle, children nested inside their parent; area ~ count."""
    parts: list[str] = []
    total = int(summary.get("count") or 0)

    def place(nodes: list[dict], whole: int, box: tuple[float, float, float, float], depth: int,
              hue: int | None) -> None:
        counts = [int(n.get("count") or 0) for n in nodes]
        floor = max(max(counts, default=0), whole, 1) * MIN_SHARE
        weights = [max(c, floor) for c in counts]
        rest = whole - sum(counts)
        if rest > 0:  # the parent's members in none of these: left blank
            weights.append(rest)
        rects = squarify(weights, *box)
        for index, (node, (x, y, w, h)) in enumerate(zip(nodes, rects)):
            colour_index = index if hue is None else hue
            fill = mix(PALETTE[colour_index % len(PALETTE)], min(0.6, 0.18 * depth))
            parts.append(_cell(node, x, y, w, h, fill, depth))
            children = node.get("segments") or []
            if children:
                header = min(18.0, h * 0.3)
                pad = min(3.0, w * 0.1, h * 0.1)
                place(children, int(node.get("count") or 0),
                      (x + pad, y + header, max(w - 2 * pad, 0.2), max(h - header - pad, 0.2)), depth + 1,
                      colour_index)

    place(summary.get("segments") or [], total, (1, 1, WIDTH - 2, height - 2), 0, None)
    label = (f"Treemap of the segment tree: {len(parts)} segments, each a rectangle whose area is its count; "
             "children are drawn inside their parent")
    return (svg_open(WIDTH, height, label, "chart treemap")
            + f'<rect x="0.5" y="0.5" width="{num(WIDTH - 1)}" height="{num(height - 1)}" fill="#ffffff" '
              'stroke="#666666"/>' + "".join(parts) + "</svg>")


def _cell(node: dict, x: float, y: float, w: float, h: float, fill: str, depth: int) -> str:
    tip = (f"{node['path']}: {count(int(node.get('count') or 0))} "
           f"({pct(node.get('share_of_parent'))} of parent, {pct(node.get('share_of_all'))} of all)")
    out = [f'<g class="cell" data-path="{esc(node["path"])}">{title(tip)}',
           f'<rect x="{num(x)}" y="{num(y)}" width="{num(max(w, 0.2))}" height="{num(max(h, 0.2))}" '
           f'fill="{fill}" stroke="#333333" stroke-width="{"1" if depth == 0 else "0.6"}"/>']
    name = fit(node["name"], w - 6)
    if name and h >= 15:
        out.append(text(x + 3, y + 13, name, weight="bold" if depth == 0 else None))
        amount = fit(count(int(node.get("count") or 0)), w - 6)
        if amount and h >= 30 and not node.get("segments"):
            out.append(text(x + 3, y + 27, amount))
        elif amount and node.get("segments") and w - 6 >= (len(name) + len(amount) + 2) * CHAR_PX:
            out.append(text(x + w - 3, y + 13, amount, anchor="end"))
    out.append("</g>")
    return "".join(out)


# --- bars ----------------------------------------------------------------------------------


def bars(rows: list[tuple[str, int, float | None]], label: str, colour: int = 0) -> str:
    """Horizontal bars: (label, count, share) per row; bar length ~ count, the numbers written beside."""
    label_w = min(260.0, max((len(r[0]) for r in rows), default=4) * CHAR_PX + 12)
    value_w = 130.0
    bar_w = WIDTH - label_w - value_w
    row_h = 24
    height = row_h * max(len(rows), 1) + 8
    top = max((r[1] for r in rows), default=0) or 1
    parts = [svg_open(WIDTH, height, label, "chart bars")]
    for i, (name, n, share) in enumerate(rows):
        y = 4 + i * row_h
        length = bar_w * n / top
        tip = f"{name}: {count(n)} ({pct(share)})"
        parts.append(f'<g class="bar">{title(tip)}')
        parts.append(text(label_w - 8, y + 16, fit(name, label_w - 12) or "…", anchor="end"))
        parts.append(f'<rect x="{num(label_w)}" y="{num(y + 3)}" width="{num(max(length, 1))}" height="18" '
                     f'fill="{STRONG[colour % len(STRONG)]}"/>')
        parts.append(text(label_w + length + 6, y + 16, f"{count(n)} · {pct(share)}"))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


# --- overlap heatmap -------------------------------------------------------------------------

LOW, HIGH = (0xf4, 0xf8, 0xfc), (0x08, 0x30, 0x6b)


def _shade(fraction: float) -> str:
    rgb = [round(lo + (hi - lo) * fraction) for lo, hi in zip(LOW, HIGH)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def heatmap(ov: Overlap) -> str:
    """One cell per pair of top-level segments: entities in both; shade ~ share of the smaller one."""
    n = len(ov.paths)
    cell = 72.0
    label_w = min(260.0, max((len(p) for p in ov.paths), default=4) * CHAR_PX + 12)
    top = label_w * 0.72 + 12  # column labels are turned 45 degrees
    width = label_w + cell * n + top  # room for the last column's turned label
    height = top + cell * n + 8
    label = (f"Overlap heatmap of the {n} top-level segments: each cell is the number of entities in both "
             "the row's and the column's segment; darker means a larger share of the smaller segment")
    parts = [svg_open(width, height, label, "chart heatmap")]
    for j, path in enumerate(ov.paths):
        x = label_w + cell * j + cell / 2
        parts.append(f'<text x="{num(x)}" y="{num(top - 6)}" transform="rotate(-45 {num(x)} {num(top - 6)})" '
                     f'fill="#111111">{esc(fit(path, label_w) or "…")}</text>')
    for i, row in enumerate(ov.paths):
        y = top + cell * i
        parts.append(text(label_w - 8, y + cell / 2 + 4, fit(row, label_w - 12) or "…", anchor="end"))
        for j, col in enumerate(ov.paths):
            both = ov.counts[i][j]
            smaller = min(ov.counts[i][i], ov.counts[j][j])
            fraction = both / smaller if smaller else 0.0
            fill = _shade(fraction)
            x = label_w + cell * j
            tip = (f"{row} and {col}: {count(both)} entities in both "
                   f"({pct(both / ov.counts[i][i] if ov.counts[i][i] else None)} of {row}, "
                   f"{pct(both / ov.counts[j][j] if ov.counts[j][j] else None)} of {col})")
            parts.append(f'<g class="pair">{title(tip)}<rect x="{num(x)}" y="{num(y)}" width="{num(cell)}" '
                         f'height="{num(cell)}" fill="{fill}" stroke="#ffffff"/>'
                         + text(x + cell / 2, y + cell / 2 + 4, count(both), anchor="middle", fill=text_on(fill))
                         + "</g>")
    parts.append("</svg>")
    return "".join(parts)
