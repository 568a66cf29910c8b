"""Comparing structures: the cost bridge, the figures side by side, and the charts of both.

Everything here is pure: it takes frames the domain already produced (costing's `by_post`,
hierarchy.difference's frame, EnvelopePosition) and returns frames or Altair charts; the page
displays them (STYLE.md habit 1). Money stays integer pence until a chart or a label needs
pounds.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from planner.charts.establishment import AMBER, GREY, TEAL, TEXT, grade_order_for

# The bridge's steps, in the order the waterfall draws them.
START, END = "start", "end"
STEP_DELETED = "Deleted posts"
STEP_NEW = "New posts"
STEP_REGRADED = "Regrades"
STEP_RESIZED = "FTE changes"
STEP_INTERIMS = "Interims replaced by permanent staff"
STEP_OTHER = "Other changes"
STEPS = (STEP_DELETED, STEP_NEW, STEP_REGRADED, STEP_RESIZED, STEP_INTERIMS, STEP_OTHER)
BRIDGE_COLUMNS = ["step", "kind", "amount", "start", "end"]
RED = "#b3261e"
STRUCTURE_COLOURS = (TEAL, AMBER, "#5b6f9e", "#8a5a83")
CHART_HEIGHT = 260
# Changes that make a continuing post "changed" (new and deleted are counted apart).
CHANGED = ("moved", "regraded", "resized")


def _changes(cells: pd.Series) -> list[set[str]]:
    """Each cell's changes as a set, split once per distinct cell (a handful at 50,000 posts);
    the same set object is shared by the rows with the same cell: never change one."""
    codes, uniques = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=False)
    sets = [set(str(c).split("; ")) for c in uniques]
    return [sets[i] for i in codes.tolist()]


def cost_bridge(difference: pd.DataFrame, base_cost: pd.DataFrame, other_cost: pd.DataFrame,
                *, base_name: str = "Baseline", other_name: str = "Option") -> pd.DataFrame:
    """From `base`'s full-year cost to `other`'s, step by kind of change, in pence.

    `difference` is Comparison.frame (hierarchy.difference with `baseline_post_id`);
    `base_cost` and `other_cost` are StructureCost.by_post of the two structures. Each base
    post is either deleted or continued, and each other post either new or continuing one
    base post, so every post's cost lands in exactly one step and the steps sum exactly to
    other − base. Continued posts are grouped by the base post they continue (a split post
    counts once against its original), and a group's change is put in the first step that
    applies: interim cover gone (the interim replaced by a permanent appointment), then
    regraded, then resized; anything else (a move to another partner's terms, a split) is
    "Other changes".

    Rows: the base total (kind `start`), one per step (kind `increase`/`decrease`/`none`), the
    other total (kind `end`); `start`/`end` are the bar's ends for a waterfall.
    """
    base_total = pd.Series(base_cost["total"].to_numpy(np.int64),
                           index=base_cost["post_id"].astype(str).to_numpy(object))
    other_total = pd.Series(other_cost["total"].to_numpy(np.int64),
                            index=other_cost["post_id"].astype(str).to_numpy(object))
    base_interim = pd.Series(base_cost["interim_cost"].to_numpy(np.int64),
                             index=base_total.index)
    other_interim = pd.Series(other_cost["interim_cost"].to_numpy(np.int64),
                              index=other_total.index)
    changes = _changes(difference["change"])
    is_deleted = np.array(["deleted" in c for c in changes], dtype=bool)
    is_new = np.array(["new" in c for c in changes], dtype=bool)
    ids = difference["post_id"].astype(str).to_numpy(object)
    amounts = dict.fromkeys(STEPS, 0)
    amounts[STEP_DELETED] = -int(base_total.reindex(ids[is_deleted]).fillna(0).sum())
    amounts[STEP_NEW] = int(other_total.reindex(ids[is_new]).fillna(0).sum())

    kept = ~is_deleted & ~is_new
    cont = pd.DataFrame({
        "base": difference["baseline_post_id"].astype(str).to_numpy(object)[kept],
        "cost": other_total.reindex(ids[kept]).fillna(0).to_numpy(np.int64),
        "interim": other_interim.reindex(ids[kept]).fillna(0).to_numpy(np.int64),
        "regraded": [("regraded" in c) for c, k in zip(changes, kept, strict=True) if k],
        "resized": [("resized" in c) for c, k in zip(changes, kept, strict=True) if k],
    })
    groups = cont.groupby("base", sort=False).agg(
        cost=("cost", "sum"), interim=("interim", "sum"), regraded=("regraded", "any"),
        resized=("resized", "any"))
    delta = groups["cost"].to_numpy(np.int64) - base_total.reindex(groups.index).fillna(0) \
        .to_numpy(np.int64)
    lost_cover = (base_interim.reindex(groups.index).fillna(0).to_numpy(np.int64) > 0) & \
        (groups["interim"].to_numpy(np.int64) == 0)
    step = np.select([lost_cover, groups["regraded"].to_numpy(bool),
                      groups["resized"].to_numpy(bool)],
                     [STEP_INTERIMS, STEP_REGRADED, STEP_RESIZED], STEP_OTHER)
    for name in (STEP_INTERIMS, STEP_REGRADED, STEP_RESIZED, STEP_OTHER):
        amounts[name] = int(delta[step == name].sum())

    start = int(base_total.sum())
    rows: list[dict[str, Any]] = [{"step": base_name, "kind": START, "amount": start,
                                   "start": 0, "end": start}]
    level = start
    for name in STEPS:
        amount = amounts[name]
        kind = "increase" if amount > 0 else "decrease" if amount < 0 else "none"
        rows.append({"step": name, "kind": kind, "amount": amount, "start": level,
                     "end": level + amount})
        level += amount
    rows.append({"step": other_name, "kind": END, "amount": level, "start": 0, "end": level})
    return pd.DataFrame(rows, columns=BRIDGE_COLUMNS)


def pounds(pence: Any) -> str:
    """Whole pounds for a label: 123456789 -> '£1,234,568', -5000 -> '−£50'."""
    value = int(round(int(pence) / 100))
    return f"{'−' if value < 0 else ''}£{abs(value):,}"


def signed_pounds(pence: Any) -> str:
    """A change: '+£1,200', '−£50', '£0'."""
    text = pounds(pence)
    return f"+{text}" if int(pence) > 0 and not text.startswith("+") else text


CUSTOMER_POSTS_TEXT = {
    "income": "A customer's posts are charged to it: what it is charged counts as income "
              "against the envelope (net spend = gross spend − customer income).",
    "outside": "A customer's posts are outside the envelope: shown below the line, not held "
               "against the councils' envelope.",
}
STATEMENT_COLUMNS = ["line", "amount", "kind"]


def headroom_headline(position: Any) -> str:
    """The headroom as a budget holder reads it: "Over for 2 partners: Lewisham −£46,878,
    Southwark −£50,801" when any council is over its envelope (never a reassuring positive
    total that hides them), else "Headroom £185,594", or "No envelope set"."""
    over = position.over
    if over:
        word = "partner" if len(over) == 1 else "partners"
        return (f"Over for {len(over)} {word}: "
                + ", ".join(f"{name} {pounds(h)}" for name, h in over))
    if position.headroom is None:
        return "No envelope set"
    if position.headroom < 0:
        return f"Over by {pounds(-position.headroom)}"
    return f"Headroom {pounds(position.headroom)}"


def covers_text(position: Any) -> str:
    """One sentence saying what the headroom covers, customers outside it named."""
    customers = position.customers
    who = ", ".join(customers)
    base = ("Headroom is the councils' envelope less what it pays for: the councils' shares "
            "of shared posts and the posts charged to one council.")
    if not customers:
        return base
    if position.customer_posts == "income":
        return (f"{base} Posts charged to customers ({who}) are in gross spend and their "
                "charges are income against it, so they leave headroom unchanged.")
    return f"{base} Posts charged to customers ({who}) are outside the envelope."


def envelope_statement(position: Any) -> pd.DataFrame:
    """Spend as it is made up, down to the headroom, in pence (EnvelopePosition).

    Lines (`kind`: part, total, over, below): the councils' shares of shared posts, their own
    posts, what customers are charged, cost no council holds; gross (or within-envelope)
    spend; customer income; net spend; envelope; headroom, and where it differs from the sum
    of the councils' headroom, the reconciling line. Customers outside the envelope come
    below the line. Every total is the sum of the lines above it, to the penny.
    """
    rows: list[tuple[str, int | None, str]] = []
    customers = ", ".join(position.customers)
    income = position.customer_posts == "income"
    rows.append(("Councils' shares of shared posts", position.shared_cost, "part"))
    rows.append(("Councils' own posts", position.own_cost, "part"))
    if position.unallocated_cost:
        rows.append(("Held by no current council", position.unallocated_cost, "part"))
    if income and position.customer_cost:
        rows.append((f"Charged to customers ({customers})", position.customer_cost, "part"))
        rows.append(("Gross spend", position.spend, "total"))
        rows.append((f"Less customer income ({customers})", -position.customer_cost, "part"))
        rows.append(("Net spend", position.net_spend, "total"))
    else:
        rows.append(("Spend within the envelope", position.net_spend, "total"))
    rows.append(("Envelope", position.envelope, "total"))
    if position.headroom is not None:
        over = bool(position.over) or position.headroom < 0
        if position.reconciling:
            rows.append(("Councils' headroom (sum)", position.partner_headroom,
                         "over" if over else "part"))
            rows.append(("Envelope held by no council, less cost held by no council",
                         position.reconciling, "part"))
        rows.append(("Headroom (envelope − net spend)" if income and position.customer_cost
                     else "Headroom (envelope − spend)", position.headroom,
                     "over" if over else "total"))
    if not income and position.customer_cost:
        rows.append((f"Outside the envelope: posts charged to customers ({customers})",
                     position.customer_cost, "below"))
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def _look(chart: Any, title: str, *, height: int = CHART_HEIGHT) -> Any:
    return (
        chart.properties(
            title=alt.TitleParams(title, anchor="start", fontSize=14, fontWeight=600, offset=12),
            height=height, width="container",
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
        .configure_axis(labelFontSize=12, titleFontSize=12, grid=False)
        .configure_view(strokeWidth=0)
        .configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom")
    )


def bridge_chart(bridge: pd.DataFrame) -> alt.LayerChart:
    """The waterfall: the base total, each step floating from the running total, the other total.

    Totals are teal, savings a lighter teal and increases red, as a budget holder reads them.
    """
    data = bridge.copy()
    data["from"] = data["start"] / 100
    data["to"] = data["end"] / 100
    data["label"] = [pounds(a) if k in (START, END) else signed_pounds(a)
                     for a, k in zip(data["amount"], data["kind"], strict=True)]
    data["top"] = data[["from", "to"]].max(axis=1)
    # Axis labels wrapped at about 14 characters ("|" marks the breaks, see labelExpr).
    data["axis"] = ["|".join(textwrap.wrap(str(s), 14)) for s in data["step"]]
    order = data["axis"].tolist()
    # A waterfall's steps are small beside its totals: start the axis a little below the
    # lowest running total (the totals' bars are cut there) so the steps can be seen.
    levels = pd.concat([data["to"], data["from"].iloc[1:-1]])  # every running total
    low, high = float(levels.min()), float(levels.max())
    pad = max((high - low) * 0.6, high * 0.002, 1.0)
    domain = [max(0.0, low - pad), high + pad * 0.5]
    colour = alt.Color("kind:N", legend=None, scale=alt.Scale(
        domain=[START, END, "increase", "decrease", "none"],
        range=[TEAL, TEAL, RED, "#6fa89f", GREY]))
    x = alt.X("axis:N", sort=order, title=None,
              axis=alt.Axis(labelAngle=0, labelLimit=140, labelExpr="split(datum.label, '|')"))
    bars = alt.Chart(data).mark_bar(size=44, clip=True).encode(
        x=x, y=alt.Y("from:Q", title="Full-year cost (£)",
                     scale=alt.Scale(domain=domain, zero=False, nice=False),
                     axis=alt.Axis(format="~s")),
        y2="to:Q", color=colour,
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("label:N", title="Amount")])
    labels = alt.Chart(data).mark_text(dy=-8, color=TEXT, fontSize=12).encode(
        x=x, y="top:Q", text="label:N")
    return _look(alt.layer(bars, labels), "From the baseline's cost to the option's",
                 height=300)


def grade_mix(costs: Mapping[str, pd.DataFrame], grades: Sequence[str]) -> pd.DataFrame:
    """FTE per grade per structure (grades in pay order), from each StructureCost.by_post."""
    parts = [by_post.groupby("grade", sort=False)["fte"].sum().rename("fte").reset_index()
             .assign(structure=name) for name, by_post in costs.items()]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["grade", "fte", "structure"])
    frame["fte"] = frame["fte"].astype(float).round(2)
    order = grade_order_for(grades, frame["grade"].tolist())
    frame["grade"] = pd.Categorical(frame["grade"], categories=order, ordered=True)
    return frame.sort_values(["grade", "structure"]).reset_index(drop=True)[
        ["structure", "grade", "fte"]]


def grade_mix_chart(mix: pd.DataFrame, structures: Sequence[str]) -> alt.Chart:
    """Grouped bars: the FTE in each grade, one bar per structure, in pay order."""
    data = mix.assign(grade=mix["grade"].astype(str))
    order = [str(g) for g in mix["grade"].cat.categories] if hasattr(mix["grade"], "cat") \
        else sorted(data["grade"].unique())
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("grade:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45)),
        xOffset=alt.XOffset("structure:N", sort=list(structures)),
        y=alt.Y("fte:Q", title="FTE"),
        color=alt.Color("structure:N", title=None, sort=list(structures), scale=alt.Scale(
            domain=list(structures), range=list(STRUCTURE_COLOURS[:len(structures)]))),
        tooltip=[alt.Tooltip("structure:N", title="Structure"),
                 alt.Tooltip("grade:N", title="Grade"), alt.Tooltip("fte:Q", title="FTE")])
    return _look(chart, "Grade mix (FTE)")


def partner_positions(positions: Mapping[str, Any]) -> pd.DataFrame:
    """Each structure's spend and envelope by partner (EnvelopePosition.by_partner), in pence."""
    cols = ["structure", "partner", "spend", "envelope", "headroom", "months"]
    parts = [pos.by_partner[["partner", "spend", "envelope", "headroom"]]
             .assign(structure=name, months=pos.months) for name, pos in positions.items()]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def partner_chart(frame: pd.DataFrame, structures: Sequence[str]) -> alt.LayerChart:
    """Spend by partner per structure (bars), each partner's envelope as a tick over its bar."""
    data = frame.copy()
    data["spend_pounds"] = data["spend"].astype("int64") / 100
    data["envelope_pounds"] = data["envelope"].astype("Float64").astype(float) / 100
    data["spend_label"] = data["spend"].map(pounds)
    data["envelope_label"] = [pounds(v) if pd.notna(v) else "not set" for v in data["envelope"]]
    data["over"] = [bool(pd.notna(h) and h < 0) for h in data["headroom"]]
    data["over_label"] = [("over by " + pounds(-h) if h < 0 else pounds(h)) if pd.notna(h)
                          else "no envelope" for h in data["headroom"]]
    x = alt.X("partner:N", title=None, axis=alt.Axis(labelAngle=0))
    offset = alt.XOffset("structure:N", sort=list(structures))
    tooltip = [alt.Tooltip("structure:N", title="Structure"),
               alt.Tooltip("partner:N", title="Partner"),
               alt.Tooltip("spend_label:N", title="Spend"),
               alt.Tooltip("envelope_label:N", title="Envelope")]
    bars = alt.Chart(data).mark_bar().encode(
        x=x, xOffset=offset, y=alt.Y("spend_pounds:Q", title="£ for the envelope's months",
                                     axis=alt.Axis(format="~s")),
        color=alt.Color("structure:N", title=None, sort=list(structures), scale=alt.Scale(
            domain=list(structures), range=list(STRUCTURE_COLOURS[:len(structures)]))),
        # A partner over its envelope is outlined in red, as the tables colour it.
        stroke=alt.condition("datum.over", alt.value(RED), alt.value(None)),
        strokeWidth=alt.condition("datum.over", alt.value(3), alt.value(0)),
        tooltip=[*tooltip, alt.Tooltip("over_label:N", title="Headroom")])
    ticks = alt.Chart(data[data["envelope_pounds"].notna()]).mark_tick(
        thickness=3, color=TEXT).encode(
        x=x, xOffset=offset, y="envelope_pounds:Q", tooltip=tooltip)
    return _look(alt.layer(bars, ticks),
                 "Cost by partner against the envelope (black tick; red outline: over)")


@dataclass(frozen=True)
class StructureFigures:
    """One structure's column in the side-by-side comparison (money in pence)."""

    name: str
    kind: str
    posts: int
    fte: float
    people: int
    layers: int
    median_span: float | None
    full_year_cost: int
    envelope_months: int
    spend: int
    envelope: int | None
    headroom: int | None
    new: int
    deleted: int
    changed: int
    saving: int
    customer_cost: int = 0  # posts charged to customers (income, or outside the envelope)
    net_spend: int = 0  # what the envelope pays for: spend − customer_cost
    customer_posts: str = "income"
    headline: str = ""  # headroom_headline: "Over for 2 partners: …" or "Headroom £…"
    over: tuple[tuple[str, int], ...] = ()  # councils over their envelope
    reconciling: int = 0  # total headroom − the councils' headroom


def structure_figures(*, name: str, kind: str, by_post: pd.DataFrame, lines: pd.DataFrame,
                      position: Any, layers: int, median_span: float | None,
                      difference: pd.DataFrame | None, baseline_cost: int) -> StructureFigures:
    """The figures for one structure against the baseline (`difference` None for the baseline
    itself). People are the people costed in its posts (options carry the baseline's
    occupants, DESIGN.md), counted once however many posts they hold."""
    counts = {"new": 0, "deleted": 0, "changed": 0}
    if difference is not None:
        cells = _changes(difference["change"])
        counts = {"new": sum("new" in c for c in cells),
                  "deleted": sum("deleted" in c for c in cells),
                  "changed": sum(bool(c.intersection(CHANGED)) for c in cells)}
    total = int(by_post["total"].sum())
    return StructureFigures(
        name=name, kind=kind, posts=len(by_post), fte=round(float(by_post["fte"].sum()), 2),
        people=int(lines["person_id"].nunique()) if len(lines) else 0, layers=layers,
        median_span=median_span, full_year_cost=total, envelope_months=position.months,
        spend=position.spend, envelope=position.envelope, headroom=position.headroom,
        saving=baseline_cost - total, customer_cost=position.customer_cost,
        net_spend=position.net_spend, customer_posts=position.customer_posts,
        headline=headroom_headline(position), over=tuple(position.over),
        reconciling=position.reconciling, **counts)


DIFFERENCE_COLUMNS = ["post_id", "baseline_post_id", "change", "title_before", "title_after",
                      "grade_before", "grade_after", "fte_before", "fte_after",
                      "reports_to_before", "reports_to_after", "team_before", "team_after",
                      "cost_before", "cost_after", "cost_change"]


def difference_table(difference: pd.DataFrame, base_cost: pd.DataFrame,
                     other_cost: pd.DataFrame, *, changed_only: bool = True) -> pd.DataFrame:
    """Post by post: what changed and its full-year cost before and after (pence).

    Continued posts carry the cost of their base post before (so a split post shows its
    original's cost on each half, and the bridge, not this table, is the place for totals).
    """
    base = pd.Series(base_cost["total"].to_numpy(np.int64),
                     index=base_cost["post_id"].astype(str).to_numpy(object))
    other = pd.Series(other_cost["total"].to_numpy(np.int64),
                      index=other_cost["post_id"].astype(str).to_numpy(object))
    out = difference.copy()
    deleted = out["change"] == "deleted"
    before_key = out["baseline_post_id"].astype(str).to_numpy(object)
    out["cost_before"] = base.reindex(before_key).astype("Int64").to_numpy()
    after = other.reindex(out["post_id"].astype(str).to_numpy(object)).astype("Int64")
    out["cost_after"] = after.where(~deleted.to_numpy(), pd.NA).to_numpy()
    out["cost_change"] = (out["cost_after"].fillna(0).astype("int64")
                          - out["cost_before"].fillna(0).astype("int64"))
    if changed_only:
        out = out[out["change"] != "unchanged"]
    keep = [c for c in DIFFERENCE_COLUMNS if c in out.columns]
    return out[keep].reset_index(drop=True)
