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
exceed `MAX_PNG_PIXELS`. A view too large for that (up to the layout's 2,000 boxes) is scaled
down until its text would be smaller than the screen shows (`MIN_READABLE_PX`); the PNG then
draws each line as a grey bar of the text's width ("greeking", as the screen hides such text
until zoomed): rasterising 6,000 illegible labels took 1.2 of the export's 2.1 s at 50,000
posts (issue 16), and the SVG still carries every word.
"""

from __future__ import annotations

import io
from collections.abc import Callable
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
    MIN_READABLE_PX,
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
GREEK_COLOUR = "#b4bcc3"  # a line too small to read in the PNG, drawn as a bar
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
    boxes: pd.DataFrame  # x1, y1, x2, y2, fill, stroke, stroke_width, tip, line1..3, x, y,
    # and width1..3: each line's width in layout pixels
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
    fitted = {field: [_fit(t, bold, size) for t in texts] for (field, _, bold, size), texts in zip(
        LINES, (boxes["title"].where(boxes["kind"] != "summary", boxes["line1"]).fillna(""),
                boxes["line2"], boxes["line3"]), strict=True)} if not boxes.empty else {}
    out = pd.DataFrame({
        "x1": boxes["x1"].astype(float) + dx, "x2": boxes["x2"].astype(float) + dx,
        "y1": boxes["y1"].astype(float) + dy, "y2": boxes["y2"].astype(float) + dy,
        "x": boxes["x"].astype(float) + dx, "y": boxes["y"].astype(float) + dy,
        "fill": boxes["category"].map(fills).fillna("#ffffff"),
        "stroke": boxes["category"].map(strokes).fillna(LINE_COLOUR),
        "stroke_width": boxes["stroke_width"].astype(float),
        **{field: [t for t, _ in fitted[field]] for field, *_ in LINES},
        **{f"width{k}": [w for _, w in fitted[field]] for k, (field, *_) in
           enumerate(LINES, start=1)},
        "tip": [_tip(r) for r in boxes.itertuples()],
    }) if not boxes.empty else pd.DataFrame(columns=["x1", "x2", "y1", "y2", "x", "y", "fill",
                                                      "stroke", "stroke_width", "line1",
                                                      "line2", "line3", "width1", "width2",
                                                      "width3", "tip"])
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


def _fit(text: object, bold: bool, size: float) -> tuple[str, float]:
    """`text` cut with "…" to fit a box at this size, measured with the font the PNG uses (as
    wide as any the SVG may fall back to), so neither file spills text over a box's edge; and
    its width."""
    text = " ".join(str(text).split())
    font = _font(bold, round(size))
    width = font.getlength(text)
    if width <= TEXT_WIDTH:
        return text, width
    lo, hi = 0, len(text)  # the longest prefix that fits with the ellipsis
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.getlength(text[:mid].rstrip() + "…") <= TEXT_WIDTH:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo].rstrip() + "…"
    return cut, font.getlength(cut)


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
    boxes = d.boxes
    if not boxes.empty:
        cols = {c: boxes[c].tolist() for c in ("x1", "y1", "x2", "y2", "fill", "stroke",
                                               "stroke_width", "x", "y")}
        for x1, y1, x2, y2, fill, stroke, stroke_w in zip(
                cols["x1"], cols["y1"], cols["x2"], cols["y2"], cols["fill"], cols["stroke"],
                cols["stroke_width"], strict=True):
            draw.rounded_rectangle([x1 * s, y1 * s, x2 * s, y2 * s], radius=4 * s, fill=fill,
                                   outline=stroke, width=max(round(stroke_w * s), 1))
        for k, (field, offset, bold, size) in enumerate(LINES, start=1):
            texts, widths = boxes[field].tolist(), boxes[f"width{k}"].tolist()
            readable = size * s >= MIN_READABLE_PX
            font = _font(bold, round(size * s))
            bar = max(size * s * 0.45, 1.0) / 2  # half the greeked bar's height
            for x, y, text, width in zip(cols["x"], cols["y"], texts, widths, strict=True):
                if not text:
                    continue
                cy = (y + offset) * s
                if readable:
                    draw.text((x * s, cy), str(text), fill=TEXT_COLOUR, font=font, anchor="mm")
                else:
                    half = float(width) * s / 2
                    draw.rectangle([x * s - half, cy - bar, x * s + half, cy + bar],
                                   fill=GREEK_COLOUR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


Progress = Callable[[float, str], None]


def chart_images(lay: Layout, h: Hierarchy, *, changes: pd.DataFrame | None = None,
                 published: bool = False, progress: Progress | None = None) -> tuple[str, bytes]:
    """The whole laid-out chart as SVG text and PNG bytes, at full size.

    `progress`, if given, is told each stage as (fraction done, 0 to 1, a short sentence), so
    a page can say what a large export is doing; it ends with 1.0.
    """
    report = progress or _silent
    report(0.0, f"Laying out {len(lay.boxes):,} boxes…")
    d = drawing(lay, h, changes=changes, published=published)
    report(0.3, "Drawing the SVG…")
    text = svg(d)
    report(0.4, "Rendering the PNG…")
    image = png(d)
    report(1.0, f"Drew {len(lay.boxes):,} boxes.")
    return text, image


def _silent(fraction: float, message: str) -> None:
    """The progress callback of a caller that does not ask for one."""


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A system TrueType font, else Pillow's own (always there, never missing a glyph we use)."""
    for folder in _FONT_DIRS:
        for name in _FONT_FILES[bold]:
            path = folder / name
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)

