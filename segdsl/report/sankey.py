"""The movement of one layer between two points as a Sankey diagram (inline SVG).

Input: (from label, to label, count) triples and the layer's tier order. Output: SVG text: the
old point's tiers on the left, the new point's on the right, one band per (from, to) pair whose
thickness is its count, each with a `<title>` giving the count and the share of its origin.
"""

from __future__ import annotations

from collections.abc import Iterable

from segdsl.report.history import APPEARED, DISAPPEARED
from segdsl.report.svg import CHAR_PX, STRONG, count, num, pct, svg_open, text, title

WIDTH = 960
NODE_W = 14
GAP = 10


def display(label: str | None) -> str:
    return "no tier" if label is None else label


def _order(labels: Iterable[str | None], tiers: list[str]) -> list[str | None]:
    """Tiers in the layer's order, then tiers the rules no longer have, then no tier, then the pseudo-labels."""
    rank = {name: i for i, name in enumerate(tiers)}

    def key(label: str | None) -> tuple:
        if label in (APPEARED, DISAPPEARED):
            return (3, label)
        if label is None:
            return (2, "")
        return (0, rank[label], "") if label in rank else (1, 0, label)

    return sorted(set(labels), key=key)


def sankey(layer: str, flows: Iterable[tuple[str | None, str | None, int]], tiers: list[str],
           old: str, new: str, height: float = 420) -> str:
    links = [(a, b, int(n)) for a, b, n in flows if n > 0]
    left = _order((a for a, _, _ in links), tiers)
    right = _order((b for _, b, _ in links), tiers)
    total = sum(n for _, _, n in links)
    label_w = max([len(display(x)) + 8 for x in left + right] + [12]) * CHAR_PX
    top, bottom = 28.0, 8.0
    room = height - top - bottom - GAP * max(len(left), len(right), 1)
    scale = room / total if total else 0.0
    x_left, x_right = label_w, WIDTH - label_w - NODE_W

    def place(nodes: list[str | None], side: int) -> dict[str | None, list[float]]:
        sums = {n: sum(c for a, b, c in links if (a if side == 0 else b) == n) for n in nodes}
        out, y = {}, top
        for n in nodes:
            out[n] = [y, sums[n] * scale, sums[n]]
            y += sums[n] * scale + GAP
        return out

    lpos, rpos = place(left, 0), place(right, 1)
    label = (f"Sankey diagram of layer {layer} from {old} (left) to {new} (right): {count(total)} entities; "
             "each band's thickness is the number of entities that moved from its left tier to its right tier")
    parts = [svg_open(WIDTH, height, label, "chart sankey", {"layer": layer}),
             text(x_left, 16, old, weight="bold"), text(x_right + NODE_W, 16, new, anchor="end", weight="bold")]
    colour = {n: STRONG[i % len(STRONG)] for i, n in enumerate(left)}
    l_used = {n: 0.0 for n in left}
    r_used = {n: 0.0 for n in right}
    ordered = sorted(links, key=lambda link: (left.index(link[0]), right.index(link[1])))
    for a, b, n in ordered:
        thick = n * scale
        y0 = lpos[a][0] + l_used[a]
        y1 = rpos[b][0] + r_used[b]
        l_used[a] += thick
        r_used[b] += thick
        x0, x1 = x_left + NODE_W, x_right
        xm = (x0 + x1) / 2
        d = (f"M{num(x0)},{num(y0)} C{num(xm)},{num(y0)} {num(xm)},{num(y1)} {num(x1)},{num(y1)} "
             f"L{num(x1)},{num(y1 + thick)} C{num(xm)},{num(y1 + thick)} {num(xm)},{num(y0 + thick)} "
             f"{num(x0)},{num(y0 + thick)} Z")
        share = pct(n / lpos[a][2] if lpos[a][2] else None)
        tip = f"{display(a)} → {display(b)}: {count(n)} ({share} of {display(a)})"
        parts.append(f'<path class="link" d="{d}" fill="{colour[a]}" fill-opacity="0.42" stroke="{colour[a]}" '
                     f'stroke-opacity="0.6" stroke-width="0.5">{title(tip)}</path>')
    for nodes, pos, x, side in ((left, lpos, x_left, 0), (right, rpos, x_right, 1)):
        for n in nodes:
            y, h, amount = pos[n]
            tip = f"{display(n)} at {old if side == 0 else new}: {count(int(amount))}"
            fill = colour.get(n, "#555555") if side == 0 else "#555555"
            parts.append(f'<g class="node">{title(tip)}<rect x="{num(x)}" y="{num(y)}" width="{NODE_W}" '
                         f'height="{num(max(h, 1))}" fill="{fill}"/>')
            words = f"{display(n)} {count(int(amount))}"
            if side == 0:
                parts.append(text(x - 6, y + max(h, 1) / 2 + 4, words, anchor="end"))
            else:
                parts.append(text(x + NODE_W + 6, y + max(h, 1) / 2 + 4, words))
            parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
