"""The org chart as an Altair chart, drawn from a `planner.structures.layout.Layout`.

Built here and returned (STYLE.md habit 1): the page only displays it. The data sent to the
browser is the layout's boxes and connector segments, so it is bounded by the layout's box
budget (2,000 by default) whatever the size of the establishment, and Altair's 5,000-row limit
can never be reached.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from planner.structures.hierarchy import Hierarchy, natural_key
from planner.structures.layout import BOX_H, Layout, format_fte

# What a box's colour says, in legend order. TUPE is shown separately from other filled posts
# because those post-holders carry protected terms into any restructure (DOMAIN.md, TUPE).
CATEGORIES = ("Filled", "Filled by TUPE transferee", "Covered by interim", "Vacant",
              "Collapsed team")
CATEGORY_COLOURS = ("#cfe6e2", "#d9cdea", "#f6deb3", "#eceef0", "#ffffff")
CATEGORY_STROKES = ("#1f5f5b", "#5b3f8c", "#b07a1f", "#8a939c", "#8a939c")
CHANGE_COLOURS = {"new": "#2e7d32", "deleted": "#c62828", "moved": "#1565c0",
                  "regraded": "#6a1b9a", "resized": "#ef6c00", "unchanged": "#8a939c"}
TITLE_CHARS = 30
LINE_CHARS = 32
MAX_VIEW_WIDTH = 960  # the main column of a 1440-px screen beside the sidebar
MAX_VIEW_HEIGHT = 600  # the chart and the controls above it fit a laptop screen
PAD = 10.0  # layout units around the boxes
TEXT_LIMIT = 170  # a line of text is cut (…) at this width, in layout units (boxes are 180)
TIP_TEXT = ("grade", "status", "incumbents", "interim", "origin", "division", "team")
MIN_READABLE_PX = 6  # smaller text is hidden until the user zooms in
# (field, offset from the box's centre, weight, size), in layout units at full size.
TEXT_LINES = (("line1", -16, "bold", 11), ("line2", 0, "normal", 10), ("line3", 16, "normal", 10))
# The least zoom at which every line of text is shown (with a little to spare).
READABLE_RATIO = 1.1 * MIN_READABLE_PX / min(size for *_, size in TEXT_LINES)


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _first(names: str) -> str:
    parts = [p for p in str(names).split("; ") if p]
    if not parts:
        return ""
    return parts[0] + (f" +{len(parts) - 1}" if len(parts) > 1 else "")


def chart_frame(lay: Layout, h: Hierarchy) -> pd.DataFrame:
    """One row per box with the three lines of text, the colour category and tooltip fields."""
    boxes = lay.boxes.copy()
    if boxes.empty:
        return boxes.assign(category=[], line1=[], line2=[], line3=[])
    extra_cols = [c for c in ("interim", "tupe", "origin", "division", "team") if c in h.posts]
    extra = h.posts[extra_cols].reindex(boxes["post_id"].where(boxes["kind"] != "summary"))
    extra.index = boxes.index
    for col in extra_cols:
        default = False if col == "tupe" else ""
        boxes[col] = extra[col].where(extra[col].notna(), default)
    for col in ("interim", "origin", "division", "team"):
        if col not in boxes:
            boxes[col] = ""
    if "tupe" not in boxes:
        boxes["tupe"] = False
    status = boxes["status"].fillna("")
    is_summary = boxes["kind"] == "summary"
    tupe = boxes["tupe"].astype(bool)
    category = status.where(status.isin(CATEGORIES), "Vacant")
    category = category.mask((status == "Filled") & tupe, "Filled by TUPE transferee")
    boxes["category"] = category.mask(is_summary, "Collapsed team")

    who = boxes["incumbents"].fillna("").map(_first)
    interim = boxes["interim"].fillna("").map(_first)
    line3 = who.where(who != "", ("Interim: " + interim).where(interim != "", "Vacant"))
    fte = boxes["fte"].map(lambda v: format_fte(float(v)) if pd.notna(v) and v != "" else "")
    boxes["line1"] = boxes["title"].fillna("").map(lambda t: _clip(t, TITLE_CHARS))
    boxes["line2"] = (boxes["grade"].fillna("") + " · " + fte + " FTE · " + boxes["post_id"])
    boxes["line3"] = line3.map(lambda t: _clip(t, LINE_CHARS))
    summary_lines = boxes["label"].fillna("")
    boxes.loc[is_summary, "line1"] = summary_lines[is_summary]
    boxes.loc[is_summary, "line2"] = "Choose the team under ‘Open teams’"
    boxes.loc[is_summary, "line3"] = ""
    boxes["stroke_width"] = boxes["is_focus"].map(lambda f: 3 if f else 1)
    return boxes


def edge_frame(lay: Layout) -> pd.DataFrame:
    return lay.edges[["x", "y", "x2", "y2"]].copy()


def view_fit(width: float, height: float, max_width: float = MAX_VIEW_WIDTH,
             max_height: float = MAX_VIEW_HEIGHT, pad: float = PAD) -> tuple[float, float, float]:
    """(view width, view height, pixels per layout unit) that show the whole layout at once.

    The same ratio on both axes (boxes keep their shape), never above 1 (a small tree is drawn
    at full size, not blown up), and small enough that the layout plus `pad` fits the width.
    A tall layout (a manager's dozen reports stacked) grows the view downwards rather than
    shrinking its text below MIN_READABLE_PX: a chart of blank boxes tells nobody anything.
    """
    span_w, span_h = width + 2 * pad, height + 2 * pad
    ratio = min(1.0, max_width / span_w, max(max_height / span_h, READABLE_RATIO))
    return span_w * ratio, span_h * ratio, ratio


def org_chart(lay: Layout, h: Hierarchy, *, changes: pd.DataFrame | None = None,
              published: bool = False) -> alt.LayerChart:
    """Boxes coloured by status (or by change against another structure), elbow connectors,
    tooltips with the full title, and pan/zoom (drag and scroll, double-click to reset).

    On first draw the view's domain covers every box (`view_fit`): the whole focused subtree is
    seen at once, scaled down if it is large. The text scales with the zoom (its size, offset
    and truncation width are expressions of the x scale's current domain), so zooming in on a
    part reads like the full-size chart; text too small to read is hidden until zoomed.
    `changes` (from `hierarchy.difference`, indexed by post_id with `primary_change`) switches
    the box outlines to difference colouring. `published` draws a published draft's structure
    (planner.publishing): no status legend and no post holders in the tooltip, the change
    instead (a draft holds no one's name).
    """
    boxes = chart_frame(lay, h)
    for col in TIP_TEXT:  # a blank line in the hover tip reads as missing data
        boxes[col] = boxes[col].astype(str).str.strip().replace("", "–")
    edges = edge_frame(lay)
    width = max(lay.width, 200.0)
    height = max(lay.height, BOX_H)
    view_w, view_h, _ = view_fit(width, height)
    x_scale = alt.Scale(domain=[-PAD, width + PAD], nice=False, zero=False)
    y_scale = alt.Scale(domain=[height + PAD, -PAD], nice=False, zero=False)
    no_axis = None
    # Screen pixels per layout unit, now: the view's width over the x scale's current span.
    zoom = "(width / span(domain('x')))"

    if changes is not None and not boxes.empty:
        change = changes["primary_change"].reindex(boxes["post_id"]).fillna("unchanged")
        boxes["change"] = change.to_numpy()
        stroke = alt.Color("change:N", title="Change",
                           scale=alt.Scale(domain=list(CHANGE_COLOURS),
                                           range=list(CHANGE_COLOURS.values())))
    else:
        stroke = alt.Color("category:N", legend=None,
                           scale=alt.Scale(domain=list(CATEGORIES), range=list(CATEGORY_STROKES)))

    base = alt.Chart(boxes)
    rules = alt.Chart(edges).mark_rule(color="#6b7580", strokeWidth=1.2).encode(
        x=alt.X("x:Q", scale=x_scale, axis=no_axis), y=alt.Y("y:Q", scale=y_scale, axis=no_axis),
        x2="x2:Q", y2="y2:Q")
    tooltip = [
        alt.Tooltip("post_id:N", title="Post"), alt.Tooltip("title:N", title="Title"),
        alt.Tooltip("grade:N", title="Grade"), alt.Tooltip("fte:N", title="FTE"),
        alt.Tooltip("status:N", title="Status"), alt.Tooltip("incumbents:N", title="Post holders"),
        alt.Tooltip("interim:N", title="Interim / agency"), alt.Tooltip("origin:N", title="Origin"),
        alt.Tooltip("division:N", title="Division"), alt.Tooltip("team:N", title="Team"),
        alt.Tooltip("direct_reports:Q", title="Direct reports"),
        alt.Tooltip("below_posts:Q", title="Posts below"),
        alt.Tooltip("below_fte:Q", title="FTE below", format=".1f"),
    ]
    if published:
        held = {"status", "incumbents", "interim", "origin"}
        tooltip = [t for t in tooltip if t.to_dict()["field"] not in held]
        tooltip.insert(4, alt.Tooltip("incumbents:N", title="Change"))
    fill = (alt.value("#f4f6f7") if published else
            alt.Color("category:N", title="Status",
                      scale=alt.Scale(domain=list(CATEGORIES), range=list(CATEGORY_COLOURS)),
                      legend=alt.Legend(orient="top", symbolStrokeColor="#6b7580",
                                        symbolStrokeWidth=1)))
    rects = base.mark_rect(cornerRadius=4).encode(
        x=alt.X("x1:Q", scale=x_scale, axis=no_axis), x2="x2:Q",
        y=alt.Y("y1:Q", scale=y_scale, axis=no_axis), y2="y2:Q",
        fill=fill,
        stroke=stroke,
        strokeWidth=alt.StrokeWidth("stroke_width:Q", legend=None, scale=None),
        tooltip=tooltip,
    )
    texts = []
    for field, dy, weight, size in TEXT_LINES:
        texts.append(base.mark_text(
            dy=alt.expr(f"{dy} * {zoom}"), fontWeight=weight, fontSize=alt.expr(f"{size} * {zoom}"),
            limit=alt.expr(f"{TEXT_LIMIT} * {zoom}"), color="#1b2a2f",
            opacity=alt.expr(f"{size} * {zoom} < {MIN_READABLE_PX} ? 0 : 1")).encode(
            x=alt.X("x:Q", scale=x_scale, axis=no_axis),
            y=alt.Y("y:Q", scale=y_scale, axis=no_axis),
            text=f"{field}:N", tooltip=tooltip))
    chart = alt.layer(rules, rects, *texts).properties(
        width=round(view_w), height=round(view_h),
    ).configure_view(strokeWidth=0)
    return chart.interactive()


def spans_chart(histogram: pd.DataFrame) -> alt.Chart:
    """Managers by number of direct reports, narrow and wide spans picked out."""
    return alt.Chart(histogram, title="Spans of control").mark_bar().encode(
        x=alt.X("direct_reports:O", title="Direct reports", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("managers:Q", title="Managers"),
        color=alt.Color("band:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=["narrow", "within range", "wide"],
                                        range=["#d49a3a", "#1f5f5b", "#c62828"])),
        tooltip=["direct_reports", "managers", "band"],
    ).properties(height=180, width="container",
                 autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def layers_chart(per_layer: pd.DataFrame) -> alt.Chart:
    """Posts in each layer below the top, the shape of the hierarchy at a glance."""
    return alt.Chart(per_layer, title="Posts per layer").mark_bar(color="#1f5f5b").encode(
        y=alt.Y("layer:O", title="Layer"), x=alt.X("posts:Q", title="Posts"),
        tooltip=["layer", "posts"],
    ).properties(height=max(100, 26 * len(per_layer)), width="container",
                 autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def search(h: Hierarchy, query: str, limit: int = 50) -> list[str]:
    """Post ids whose id, title or post-holder contains every word of `query`.

    Managers first (a focus with reports is what people look for), then by layer and id.
    """
    posts = h.posts
    if posts.empty:
        return []
    words = [w for w in query.lower().split() if w]
    hay = (posts.index.to_series().astype(str) + " " + posts.get("title", "").astype(str) + " "
           + posts.get("incumbents", "").astype(str) + " "
           + posts.get("interim", "").astype(str)).str.lower()
    mask = pd.Series(True, index=posts.index)
    for w in words:
        mask &= hay.str.contains(w, regex=False)
    found = posts[mask]
    order = sorted(found.index, key=lambda p: (
        -min(int(found.at[p, "direct_reports"]), 1),
        int(found.at[p, "layer"]) if pd.notna(found.at[p, "layer"]) else 99, natural_key(p)))
    return order[:limit]


def describe(h: Hierarchy, post_id: str) -> str:
    """"ICT-007 · Head of Infrastructure · Marcus Obi": how a post is offered in a picker."""
    posts = h.posts  # cell by cell: a picker describes hundreds of posts on every rerun

    def cell(col: str) -> object:
        return posts.at[post_id, col] if col in posts.columns else ""

    interim = cell("interim")
    who = _first(cell("incumbents")) or ("Interim: " + _first(interim) if interim else "Vacant")
    return f"{post_id} · {_clip(cell('title'), 50)} · {who}"


def collapsed_teams(lay: Layout, h: Hierarchy) -> list[tuple[str, str]]:
    """(summary key, label) of the teams the current view shows as one box."""
    boxes = lay.boxes
    if boxes.empty:
        return []
    summary = boxes[(boxes["kind"] == "summary") & (boxes["reason"] == "large team")]
    out = []
    for key, parent in zip(summary["key"], summary["post_id"], strict=True):
        manager = parent if parent in h.posts.index else key.split(":", 1)[-1]
        title = h.posts.at[manager, "title"] if manager in h.posts.index else manager
        out.append((key, f"{manager} · {_clip(str(title), 40)}"))
    return out


def default_focus(h: Hierarchy) -> str | None:
    tops: Sequence[str] = h.tops
    return tops[0] if len(tops) == 1 else None


def manager_table(managers: pd.DataFrame, h: Hierarchy) -> pd.DataFrame:
    """Narrow or wide managers as the panel lists them: post, title, reports."""
    if managers.empty:
        return pd.DataFrame({"Post": [], "Title": [], "Reports": []})
    return pd.DataFrame({
        "Post": managers["post_id"],
        "Title": managers.get("title", pd.Series("", index=managers.index)).map(
            lambda t: _clip(str(t), 40)),
        "Reports": managers["direct_reports"].astype(int),
    })
