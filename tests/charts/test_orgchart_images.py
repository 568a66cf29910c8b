"""The org chart's SVG and PNG files: drawn from the layout, the text inside the boxes, the
full details on hover in the SVG, and the colours of the screen."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pandas as pd
from PIL import Image

from planner.charts import orgchart_images as images
from planner.structures.hierarchy import build, difference
from planner.structures.layout import layout
from tests.charts.test_orgchart import frame

NS = {"s": "http://www.w3.org/2000/svg"}


def _svg_tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_svg_has_a_box_per_post_with_its_full_title_on_hover():
    """Catches: an export missing posts, or one where a cut title is all a reader can get."""
    h = build(frame())
    svg, _ = images.chart_images(layout(h), h)
    root = _svg_tree(svg)
    tips = [t.text for t in root.iterfind("s:g/s:title", NS)]
    assert len(tips) == 5
    assert any(t.startswith("A very long title that will not fit into a box at all") for t in tips)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Head of Digital Services" in texts and "Interim: Dee Evans" in texts
    cut = next(t for t in texts if t and t.startswith("A very long"))
    assert cut.endswith("…")


def test_every_line_fits_its_box():
    """Catches: text spilling over a box's edge in the files (fonts wider than the screen's)."""
    h = build(frame())
    d = images.drawing(layout(h), h)
    for col, (_, _, bold, size) in zip(("line1", "line2", "line3"), images.LINES, strict=True):
        font = images._font(bold, round(size))
        assert all(font.getlength(t) <= images.TEXT_WIDTH for t in d.boxes[col])


def test_png_is_the_drawing_at_twice_the_size():
    h = build(frame())
    d = images.drawing(layout(h), h)
    _, png = images.chart_images(layout(h), h)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (round(d.width * 2), round(d.height * 2))


def test_a_huge_chart_is_drawn_smaller_not_refused():
    d = images.Drawing(20_000, 5_000, pd.DataFrame(), pd.DataFrame(), [])
    scale = images.png_scale(d)
    assert scale < 2 and 20_000 * 5_000 * scale**2 <= images.MAX_PNG_PIXELS * 1.0001


def test_colours_follow_status_or_change_as_on_screen():
    """Catches: files coloured differently from the chart the user saw."""
    base = frame()
    other = base.copy()
    other.loc[other.post_id == "O1", "grade"] = "PO4"
    h = build(other)
    plain = images.drawing(layout(h), h).boxes
    assert set(plain["fill"]) <= set(images.CATEGORY_COLOURS)
    changes = difference(base, other).set_index("post_id")
    marked = images.drawing(layout(h), h, changes=changes)
    strokes = dict(zip(marked.boxes["tip"].str.split("\n").str[0], marked.boxes["stroke"],
                       strict=True))
    assert strokes["Network Engineer"] == images.CHANGE_COLOURS["regraded"]
    assert ("Regraded post", "#ffffff", images.CHANGE_COLOURS["regraded"]) in marked.legend


def test_progress_is_told_each_stage_ending_at_one():
    """Catches: an export that says nothing while it works, or whose progress goes backwards
    or never reaches the end (the page's status would stay running)."""
    h = build(frame())
    lay = layout(h)
    told: list[tuple[float, str]] = []
    images.chart_images(lay, h, progress=lambda f, m: told.append((f, m)))
    fractions = [f for f, _ in told]
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert fractions[0] >= 0 and fractions[-1] == 1.0
    messages = [m for _, m in told]
    assert messages[0] == f"Laying out {len(lay.boxes):,} boxes…"
    assert "Drawing the SVG…" in messages and "Rendering the PNG…" in messages


def test_text_too_small_to_read_is_greeked_in_the_png(monkeypatch):
    """Catches: a PNG scaled far down still rasterising every illegible label (1.2 of 2.1 s
    at 50,000 posts, issue 16); readable text must still be drawn as text."""
    h = build(frame())
    d = images.drawing(layout(h), h)
    drawn: list[str] = []
    original = images.ImageDraw.ImageDraw.text

    def counting(self, xy, text, *args, **kwargs):
        drawn.append(text)
        return original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(images.ImageDraw.ImageDraw, "text", counting)
    images.png(d, scale=2.0)
    labels = [t for col in ("line1", "line2", "line3") for t in d.boxes[col] if t]
    assert set(labels) <= set(drawn)
    drawn.clear()
    image = Image.open(io.BytesIO(images.png(d, scale=0.3)))
    legend = {label for label, _, _ in d.legend}  # a few words: still drawn as text
    assert set(drawn) <= legend
    grey = Image.new("RGB", (1, 1), images.GREEK_COLOUR).getpixel((0, 0))
    assert grey in {c for _, c in image.getcolors(maxcolors=100_000)}


def test_line_widths_are_the_fitted_texts_widths():
    h = build(frame())
    d = images.drawing(layout(h), h)
    for k, (field, _, bold, size) in enumerate(images.LINES, start=1):
        font = images._font(bold, round(size))
        for text, width in zip(d.boxes[field], d.boxes[f"width{k}"], strict=True):
            assert width == font.getlength(text)
