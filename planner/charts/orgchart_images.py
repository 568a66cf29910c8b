"""The org chart as SVG and PNG files, drawn straight from the layout.

Why not vl-convert (the export until issue 17): it took 11.4 s for the 94-post demo. Its Vega
renderer measures every label through its own text engine (about 10 ms a label on our 2-core
machine, three labels a box), its rasteriser lays each label out again, and the first call
of a process starts its JavaScript runtime (2 to 3 s). An org chart is boxes, straight lines
and three lines of text: drawn here from the chart frame the screen uses
(`planner.charts.orgchart.chart_frame`), with the same colours, the demo takes a fraction of a second
(benchmarks/results.md, "Org chart export").

The SVG carries each post's full title and details in a `<title>` (a hover tip in a browser);
the PNG is for pasting into a report, at twice the size for sharp print unless that would
exceed `MAX_PNG_PIXELS`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from planner.charts.orgchart import (
    CATEGORIES,
    CATEGORY_COLOURS,
    CATEGORY_STROKES,
    CHANGE_COLOURS,
    chart_frame,
    edge_frame,
)
from planner.structures.hierarchy import Hierarchy
from planner.structures.layout import Layout

PAD = 10.0
LEGEND_H = 30.0  # the legend row above the boxes
LINE_COLOUR = "#6b7580"
TEXT_COLOUR = "#1b2a2f"
# (field, offset from the box's centre, bold, size): the three lines the screen draws.
LINES = (("line1", -16.0, True, 11.0), ("line2", 0.0, False, 10.0), ("line3", 16.0, False, 10.0))
TEXT_WIDTH = 168.0  # a line of text inside a 180-px box, with a margin
MAX_PNG_PIXELS = 8_000_000  # encoding takes ~0.05 s per million pixels; the whole demo is ~30M at 2×
FONT_FAMILY = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
              Path("/usr/share/fonts/TTF"), Path("/Library/Fonts"), Path("C:/Windows/Fonts"))
_FONT_FILES = {False: ("DejaVuSans.ttf", "arial.ttf", "Arial.ttf"),
               True: ("DejaVuSans-Bold.ttf", "arialbd.ttf", "Arial Bold.ttf")}


@dataclass(frozen=True)
class Drawing:
    """What both files draw, in layout pixels (the legend row above, then the chart)."""

    width: float
    height: float
    boxes: pd.DataFrame  # x1, y1, x2, y2, fill, stroke, stroke_width, tip, line1..3, x, y
    edges: pd.DataFrame  # x, y, x2, y2
    legend: list[tuple[str, str, str]]  # (label, fill, stroke)


def drawing(lay: Layout, h: Hierarchy, *, changes: pd.DataFrame | None = None,
            published: bool = False) -> Drawing:
    """Boxes coloured as on screen (status fill; outline by status, or by change against the
    baseline when `changes` is given), shifted below a legend row. `published`: a published
    draft's structure (no statuses: one neutral fill, the legend only for changes)."""
    boxes = chart_frame(lay, h)
    edges = edge_frame(lay).astype(float)
    dx, dy = PAD, PAD + LEGEND_H
    fills = dict(zip(CATEGORIES, CATEGORY_COLOURS, strict=True))
    strokes = dict(zip(CATEGORIES, CATEGORY_STROKES, strict=True))
    out = pd.DataFrame({
        "x1": boxes["x1"].astype(float) + dx, "x2": boxes["x2"].astype(float) + dx,
        "y1": boxes["y1"].astype(float) + dy, "y2": boxes["y2"].astype(float) + dy,
        "x": boxes["x"].astype(float) + dx, "y": boxes["y"].astype(float) + dy,
        "fill": boxes["category"].map(fills).fillna("#ffffff"),
        "stroke": boxes["category"].map(strokes).fillna(LINE_COLOUR),
        "stroke_width": boxes["stroke_width"].astype(float),
        "line1": [_fit(t, True, LINES[0][3]) for t in
                  boxes["title"].where(boxes["kind"] != "summary", boxes["line1"]).fillna("")],
        "line2": [_fit(t, False, LINES[1][3]) for t in boxes["line2"]],
        "line3": [_fit(t, False, LINES[2][3]) for t in boxes["line3"]],
        "tip": [_tip(r) for r in boxes.itertuples()],
    }) if not boxes.empty else pd.DataFrame(columns=["x1", "x2", "y1", "y2", "x", "y", "fill",
                                                      "stroke", "stroke_width", "line1",
                                                      "line2", "line3", "tip"])
    shown = [c for c in CATEGORIES if c in set(boxes.get("category", []))]
    legend = [(c, fills[c], strokes[c]) for c in shown]
    if published:
        legend = []
        if not out.empty:
            out["fill"] = "#f4f6f7"
            out["stroke"] = LINE_COLOUR
    if changes is not None and not boxes.empty:
        change = changes["primary_change"].reindex(boxes["post_id"]).fillna("unchanged")
        out["stroke"] = change.map(CHANGE_COLOURS).fillna(LINE_COLOUR).to_numpy()
        present = set(change)
        legend += [(f"{c.capitalize()} post", "#ffffff", colour)
                   for c, colour in CHANGE_COLOURS.items() if c in present]
    if not edges.empty:
        edges[["x", "x2"]] += dx
        edges[["y", "y2"]] += dy
    width = max(lay.width, 200.0) + 2 * PAD
    height = max(lay.height, 0.0) + 2 * PAD + LEGEND_H
    return Drawing(width, height, out, edges, legend)


def _fit(text: object, bold: bool, size: float) -> str:
    """`text` cut with "…" to fit a box at this size, measured with the font the PNG uses (as
    wide as any the SVG may fall back to), so neither file spills text over a box's edge."""
    text = " ".join(str(text).split())
    font = _font(bold, round(size))
    if font.getlength(text) <= TEXT_WIDTH:
        return text
    lo, hi = 0, len(text)  # the longest prefix that fits with the ellipsis
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.getlength(text[:mid].rstrip() + "…") <= TEXT_WIDTH:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _legend_step(label: str) -> float:
    """How far the next legend entry starts after this one (swatch, gap, label, gap)."""
    return 20 + _font(False, 11).getlength(label) + 18


def _tip(row: object) -> str:
    """The hover text of a box in the SVG: the full title, grade, FTE and post-holders."""
    if getattr(row, "kind", "") == "summary":
        return str(getattr(row, "label", ""))
    holders = str(getattr(row, "incumbents", "") or "").replace("; ", ", ")
    return "\n".join(p for p in (str(row.title), str(row.line2), holders or str(row.line3)) if p)


def svg(d: Drawing) -> str:
    """The drawing as standalone SVG text (fonts named, not embedded)."""
    w, h = round(d.width), round(d.height)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">',
           f'<rect width="{w}" height="{h}" fill="#ffffff"/>']
    x = PAD
    for label, fill, stroke in d.legend:
        out.append(f'<rect x="{x:.1f}" y="{PAD + 4:.1f}" width="14" height="14" rx="3" '
                   f'fill="{fill}" stroke="{stroke}"/>')
        out.append(f'<text x="{x + 20:.1f}" y="{PAD + 15:.1f}" font-size="11" '
                   f'fill="{TEXT_COLOUR}">{escape(label)}</text>')
        x += _legend_step(label)
    out.append(f'<g stroke="{LINE_COLOUR}" stroke-width="1.2">')
    out += [f'<line x1="{e.x:.1f}" y1="{e.y:.1f}" x2="{e.x2:.1f}" y2="{e.y2:.1f}"/>'
            for e in d.edges.itertuples()]
    out.append("</g>")
    for b in d.boxes.itertuples():
        out.append(f"<g><title>{escape(b.tip)}</title>")
        out.append(f'<rect x="{b.x1:.1f}" y="{b.y1:.1f}" width="{b.x2 - b.x1:.1f}" '
                   f'height="{b.y2 - b.y1:.1f}" rx="4" fill="{b.fill}" stroke="{b.stroke}" '
                   f'stroke-width="{b.stroke_width:g}"/>')
        for field, offset, bold, size in LINES:
            text = getattr(b, field)
            if text:
                weight = ' font-weight="bold"' if bold else ""
                out.append(f'<text x="{b.x:.1f}" y="{b.y + offset:.1f}" font-size="{size:g}"'
                           f'{weight} fill="{TEXT_COLOUR}" text-anchor="middle" '
                           f'dominant-baseline="central">{escape(str(text))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def png_scale(d: Drawing, wanted: float = 2.0) -> float:
    """`wanted`, or less so the image stays under MAX_PNG_PIXELS."""
    area = d.width * d.height
    return min(wanted, (MAX_PNG_PIXELS / area) ** 0.5) if area else wanted


def png(d: Drawing, scale: float = 2.0) -> bytes:
    """The drawing as PNG bytes (Pillow; `scale` pixels per layout pixel, see `png_scale`)."""
    s = png_scale(d, scale)
    image = Image.new("RGB", (max(round(d.width * s), 1), max(round(d.height * s), 1)), "white")
    draw = ImageDraw.Draw(image)
    x = PAD
    for label, fill, stroke in d.legend:
        draw.rounded_rectangle([x * s, (PAD + 4) * s, (x + 14) * s, (PAD + 18) * s],
                               radius=3 * s, fill=fill, outline=stroke, width=max(round(s), 1))
        draw.text(((x + 20) * s, (PAD + 11) * s), label, fill=TEXT_COLOUR,
                  font=_font(False, round(11 * s)), anchor="lm")
        x += _legend_step(label)
    line_w = max(round(1.2 * s), 1)
    for e in d.edges.itertuples():
        draw.line([(e.x * s, e.y * s), (e.x2 * s, e.y2 * s)], fill=LINE_COLOUR, width=line_w)
    for b in d.boxes.itertuples():
        draw.rounded_rectangle([b.x1 * s, b.y1 * s, b.x2 * s, b.y2 * s], radius=4 * s,
                               fill=b.fill, outline=b.stroke,
                               width=max(round(b.stroke_width * s), 1))
        for field, offset, bold, size in LINES:
            text = getattr(b, field)
            if text:
                draw.text((b.x * s, (b.y + offset) * s), str(text), fill=TEXT_COLOUR,
                          font=_font(bold, round(size * s)), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def chart_images(lay: Layout, h: Hierarchy, *, changes: pd.DataFrame | None = None,
                 published: bool = False) -> tuple[str, bytes]:
    """The whole laid-out chart as SVG text and PNG bytes, at full size."""
    d = drawing(lay, h, changes=changes, published=published)
    return svg(d), png(d)


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A system TrueType font, else Pillow's own (always there, never missing a glyph we use)."""
    for folder in _FONT_DIRS:
        for name in _FONT_FILES[bold]:
            path = folder / name
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)

