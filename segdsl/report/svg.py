"""Small helpers shared by the charts: escaping, number formats, colours, text fitting.

Input: numbers and strings. Output: pieces of SVG text. Every number is printed with a fixed
format so that the same input gives byte-identical output.
"""

from __future__ import annotations

from html import escape

FONT_PX = 12
CHAR_PX = 7.0
"""A generous average glyph width at FONT_PX in a sans-serif font, to decide whether a label fits."""

PALETTE = ("#cfe3f5", "#f9dcc0", "#cdeccf", "#f4cfe0", "#e3d9f3", "#f6efb8", "#d3eeee", "#e8dccb")
"""Light fills (Okabe-Ito hues, lightened) under dark text: contrast above 12:1 with #111."""

STRONG = ("#0b5c9e", "#b35900", "#1d7a33", "#a3245e", "#5b3d99", "#7a6a00", "#0f6f6f", "#6b4a2b")
"""The same hues, dark: the Sankey's bands and the bars; white text on them is above 4.5:1."""

TEXT = "#111111"


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def num(value: float) -> str:
    """A coordinate: one decimal, no trailing `.0`, never `-0`."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text in ("-0", "0") else text


def count(n: int) -> str:
    return f"{n:,}"


def pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def fit(text: str, width: float, font_px: float = FONT_PX) -> str | None:
    """The text, shortened with an ellipsis to fit `width`; None when fewer than three characters fit."""
    room = int(width // (CHAR_PX * font_px / FONT_PX))
    if room >= len(text):
        return text
    if room < 3:
        return None
    return text[: room - 1] + "…"


def title(text: str) -> str:
    return f"<title>{esc(text)}</title>"


def svg_open(width: float, height: float, label: str, css_class: str, data: dict[str, str] | None = None) -> str:
    extra = "".join(f'data-{name}="{esc(value)}" ' for name, value in (data or {}).items())
    return (f'<svg {extra}class="{css_class}" role="img" aria-label="{esc(label)}" width="{num(width)}" '
            f'height="{num(height)}" viewBox="0 0 {num(width)} {num(height)}" '
            f'xmlns="http://www.w3.org/2000/svg">{title(label)}')


def text(x: float, y: float, body: str, anchor: str = "start", weight: str | None = None,
         fill: str = TEXT) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}" fill="{fill}"{bold}>'
            f"{esc(body)}</text>")


def mix(hex_color: str, white_share: float) -> str:
    """The colour mixed with white; used for deeper nesting levels of the treemap."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c + (255 - c) * white_share) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def luminance(hex_color: str) -> float:
    """WCAG relative luminance."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(hex_color[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_on(fill: str) -> str:
    """Black or white text, whichever contrasts more with the fill: at least 4.58:1 on any fill."""
    lum = luminance(fill)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"
