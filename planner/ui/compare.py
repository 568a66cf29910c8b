"""The compare page's wiring: cached costings and comparisons, and their display frames.

Every cached function is keyed on (database URL, structure ids, their versions, role): each
change to a structure bumps its version, so a cached result is never stale, and choosing one
more structure recomputes only that structure (STYLE.md habit 10's "clear caches" is then
only needed to free memory). The role is in the key so a role that sees less is never served
a richer role's copy; the actor itself (`_actor`) is not hashed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from planner.charts import compare as cc
from planner.core.auth import Actor
from planner.core.spreadsheets import Sheet, xlsx_bytes
from planner.establishment.reference import grade_table
from planner.establishment.register import WITHOUT_EMPLOYEE, without_employee_sentence
from planner.structures.comparison import Comparison, compare_structures
from planner.structures.costing import (
    StructureCost,
    VacancyReport,
    cost_structure,
    vacancies_and_interims,
)
from planner.structures.hierarchy import load as load_hierarchy
from planner.structures.options import list_structures
from planner.ui import format as fmt
from planner.ui import orgchart
from planner.ui.session import database_url, reading

MAX_COMPARED = 4
SELECT_KEY = "compare_structures"
OTHER_KEY = "compare_bridge_option"


@dataclass(frozen=True)
class StructureRef:
    """A structure as the pickers offer it: id, version (the cache key), name, kind."""

    id: int
    version: int
    name: str
    kind: str
    status: str
    description: str = ""


def structures(actor: Actor) -> list[StructureRef]:
    """Baseline first, then options by creation: cheap (one grouped query), so never cached."""
    with reading() as session:
        frame = list_structures(session=session, actor=actor)
    return refs_of(frame)


def refs_of(frame: pd.DataFrame) -> list[StructureRef]:
    """list_structures' rows as StructureRefs, in its order (baseline first)."""
    return [StructureRef(int(r.id), int(r.version), str(r.name), str(r.kind), str(r.status),
                         str(r.description or "")) for r in frame.itertuples(index=False)]


@st.cache_resource(show_spinner=False, max_entries=8)
def costing(url: str, structure_id: int, version: int, role: str,
            _actor: Actor) -> StructureCost:
    """One structure costed for a year (see planner.structures.costing); cached per version."""
    with reading() as session:
        return cost_structure(session=session, actor=_actor, structure_id=structure_id)


def shape(actor: Actor, ref: StructureRef) -> tuple[int, float | None]:
    """(layers, median span of control) of one structure. The establishment's come from the
    hierarchy the Org chart page keeps (its landing view); an option's hierarchy is built for
    these two figures, which are kept, and let go: keeping a whole second hierarchy for them
    was 20 MB of the server at 50,000 posts (issue 16)."""
    if ref.kind == "baseline":
        chartable = orgchart.load_hierarchy(actor, ref.id)
        if chartable is None:
            return 0, None
        return chartable.hierarchy.layers, chartable.hierarchy.span_stats()["median"]
    return _shape(database_url(), ref.id, ref.version, actor.role, actor)


@st.cache_resource(show_spinner=False, max_entries=16)
def _shape(url: str, structure_id: int, version: int, role: str,
           _actor: Actor) -> tuple[int, float | None]:
    with reading() as session:
        tree = load_hierarchy(session=session, actor=_actor, structure_id=structure_id)
    return tree.layers, tree.span_stats()["median"]


@st.cache_resource(show_spinner=False, max_entries=4)
def comparison(url: str, base_id: int, base_version: int, other_id: int, other_version: int,
               role: str, _actor: Actor) -> Comparison:
    """How `other` differs from `base`, post by post (people in deleted posts included)."""
    with reading() as session:
        return compare_structures(session=session, actor=_actor, base=base_id, other=other_id)


@st.cache_resource(show_spinner=False, max_entries=4)
def vacancies(url: str, structure_id: int, version: int, role: str,
              _actor: Actor) -> VacancyReport:
    cost = costing(url, structure_id, version, role, _actor)
    with reading() as session:
        return vacancies_and_interims(session=session, actor=_actor, structure_id=structure_id,
                                      cost=cost)


@st.cache_data(show_spinner=False, max_entries=4)
def grades(url: str) -> list[str]:
    with reading() as session:
        return list(grade_table(session))


def clear_caches() -> None:
    for fn in (costing, comparison, vacancies, grades):
        fn.clear()


def cost_of(actor: Actor, ref: StructureRef) -> StructureCost:
    return costing(database_url(), ref.id, ref.version, actor.role, actor)


def comparison_of(actor: Actor, base: StructureRef, other: StructureRef) -> Comparison:
    return comparison(database_url(), base.id, base.version, other.id, other.version,
                      actor.role, actor)


def vacancies_of(actor: Actor, ref: StructureRef) -> VacancyReport:
    return vacancies(database_url(), ref.id, ref.version, actor.role, actor)


def figures(actor: Actor, chosen: list[StructureRef], baseline: StructureRef
            ) -> list[cc.StructureFigures]:
    """Each chosen structure's figures against the baseline."""
    base_cost = cost_of(actor, baseline).full_year_total
    out = []
    for ref in chosen:  # at most four structures, not posts
        cost = cost_of(actor, ref)
        layers, median = shape(actor, ref)
        diff = None if ref.id == baseline.id else comparison_of(actor, baseline, ref).frame
        out.append(cc.structure_figures(
            name=ref.name, kind=ref.kind, by_post=cost.by_post, lines=cost.lines,
            position=cost.envelope(), layers=layers, median_span=median, difference=diff,
            baseline_cost=base_cost))
    return out


OVER_ROW = "Councils over their envelope"
CUSTOMER_ROW = {"income": "Less customer income (posts charged to customers)",
                "outside": "Outside the envelope: posts charged to customers"}
FIGURE_ROWS = ("Full-year cost", "Spend for the envelope's months", CUSTOMER_ROW["income"],
               "Net spend (what the envelope pays for)", "Envelope", "Headroom",
               OVER_ROW, "Saving vs baseline (full year)", "Posts", "FTE", "People", "Layers",
               "Median span", "New posts", "Deleted posts", "Changed posts")


def figures_table(rows: list[cc.StructureFigures]) -> pd.DataFrame:
    """The side-by-side table: one row per figure, one column per structure, as text.

    Spend is shown as it is made up (gross, customers' posts, net) so envelope − net spend =
    headroom can be read off; the headroom is the headline, naming every council over its
    envelope ("Over for 2 partners: …") rather than a total that hides them, and a
    "reconciling" row appears when the total differs from the sum of the councils' headroom.
    """
    mode = rows[0].customer_posts if rows else "income"

    def column(f: cc.StructureFigures) -> list[str]:
        base = f.kind == "baseline"
        pounds = cc.pounds  # whole pounds: a comparison reads better without pence
        months = fmt.plural(f.envelope_months, "month")
        if f.headroom is None:
            headroom = "—"
        elif f.over:
            headroom = f"Over for {fmt.plural(len(f.over), 'partner')}"
        else:
            headroom = pounds(f.headroom) if f.headroom >= 0 else f"Over by {pounds(-f.headroom)}"
        return [
            pounds(f.full_year_cost),
            f"{pounds(f.spend)} ({months})",
            "—" if not f.customer_cost else (
                pounds(-f.customer_cost) if mode == "income" else pounds(f.customer_cost)),
            f"{pounds(f.net_spend)} ({months})",
            "not set" if f.envelope is None else pounds(f.envelope),
            headroom,
            "; ".join(f"{name} {pounds(h)}" for name, h in f.over) or (
                "—" if f.headroom is None else "none"),
            "—" if base else (pounds(f.saving) if f.saving >= 0
                              else f"costs {pounds(-f.saving)} more"),
            fmt.count(f.posts), fmt.fte(f.fte), fmt.count(f.people), fmt.count(f.layers),
            "—" if f.median_span is None else fmt.fte(f.median_span),
            "—" if base else fmt.count(f.new), "—" if base else fmt.count(f.deleted),
            "—" if base else fmt.count(f.changed),
        ]

    labels = list(FIGURE_ROWS)
    labels[2] = CUSTOMER_ROW.get(mode, labels[2])
    table = pd.DataFrame({"Figure": labels})
    for f in rows:
        table[f.name] = column(f)
    if any(f.reconciling for f in rows):
        extra = {"Figure": "Of which held by no council (reconciling)"}
        extra.update({f.name: cc.pounds(f.reconciling) for f in rows})
        at = labels.index("Headroom") + 1
        table = pd.concat([table.iloc[:at], pd.DataFrame([extra]), table.iloc[at:]],
                          ignore_index=True)
    return table


def with_rows_after(table: pd.DataFrame, figure: str, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (same columns) inserted after the row whose Figure is `figure`."""
    at = list(table["Figure"]).index(figure) + 1
    return pd.concat([table.iloc[:at], rows[list(table.columns)], table.iloc[at:]],
                     ignore_index=True)


def over_envelope(value: Any) -> str:
    """Styler rule: headroom text showing an overspend in red (no HTML, a cell style)."""
    text = str(value)
    return RED if text.startswith(("Over for", "Over by", "over by")) else ""


RED = "color: #b3261e; font-weight: 600"


def styled_figures(table: pd.DataFrame) -> Any:
    """The headroom and the councils over their envelope in red wherever they are over."""

    def row_style(row: pd.Series) -> list[str]:
        if row["Figure"] == OVER_ROW:
            return ["" if c == "Figure" or str(v) in ("none", "—") else RED
                    for c, v in row.items()]
        return [over_envelope(v) for v in row]

    return table.style.apply(row_style, axis=1)


def table_height(rows: int, *, most: int | None = None) -> int:
    """Pixels for `rows` rows and the header (35 px a row), so short tables never scroll."""
    height = 35 * (rows + 1) + 3
    return height if most is None else min(height, most)


DIFFERENCE_CONFIG: dict[str, Any] = {
    "post_id": st.column_config.TextColumn("Post", width=85, pinned=True),
    "baseline_post_id": st.column_config.TextColumn("Baseline post", width=95),
    "change": st.column_config.TextColumn("Change", width=140),
    "title_before": st.column_config.TextColumn("Title before", width=180),
    "title_after": st.column_config.TextColumn("Title after", width=180),
    "grade_before": st.column_config.TextColumn("Grade before", width=90),
    "grade_after": st.column_config.TextColumn("Grade after", width=90),
    "fte_before": st.column_config.TextColumn("FTE before", width=80),
    "fte_after": st.column_config.TextColumn("FTE after", width=80),
    "reports_to_before": st.column_config.TextColumn("Reports to before", width=110),
    "reports_to_after": st.column_config.TextColumn("Reports to after", width=110),
    "team_before": st.column_config.TextColumn("Team before", width=140),
    "team_after": st.column_config.TextColumn("Team after", width=140),
    "cost_before": st.column_config.NumberColumn("Cost before (£)", format="localized",
                                                 width=110),
    "cost_after": st.column_config.NumberColumn("Cost after (£)", format="localized", width=110),
    "cost_change": st.column_config.NumberColumn("Change (£)", format="localized", width=110),
}


def difference_display(table: pd.DataFrame) -> pd.DataFrame:
    """Pence to pounds (display only) and every text cell as text."""
    out = table.copy()
    for col in ("cost_before", "cost_after", "cost_change"):
        out[col] = (out[col].astype("Float64") / 100).round(2)
    for col in out.columns:
        if col not in ("cost_before", "cost_after", "cost_change"):
            out[col] = out[col].map(lambda v: "" if v is None or (isinstance(v, float)
                                                                  and pd.isna(v)) else str(v))
    return out


def difference_xlsx(table: pd.DataFrame, *, base: str, other: str) -> bytes:
    """The difference table as a workbook, money in pounds with pence, headed by the names
    (through planner.core.spreadsheets: a title or option name starting with = stays text)."""
    out = difference_display(table)
    out.columns = [_label(c) for c in out.columns]
    return xlsx_bytes({"difference": Sheet(
        frame=out, title=f"{other} compared with {base}, post by post (full-year cost, £)")})


_LABELS = {"post_id": "Post", "baseline_post_id": "Baseline post", "change": "Change",
           "title_before": "Title before", "title_after": "Title after",
           "grade_before": "Grade before", "grade_after": "Grade after",
           "fte_before": "FTE before", "fte_after": "FTE after",
           "reports_to_before": "Reports to before", "reports_to_after": "Reports to after",
           "team_before": "Team before", "team_after": "Team after",
           "cost_before": "Cost before (£)", "cost_after": "Cost after (£)",
           "cost_change": "Change (£)"}


def _label(column: str) -> str:
    return _LABELS.get(column, column)


VACANCY_CONFIG: dict[str, Any] = {
    "post_id": st.column_config.TextColumn("Post", width=85, pinned=True),
    "title": st.column_config.TextColumn("Title", width=200),
    "grade": st.column_config.TextColumn("Grade", width=65),
    "fte": st.column_config.NumberColumn("FTE", format="plain", width=55),
    "status": st.column_config.TextColumn("Status", width=140),
    "interims": st.column_config.TextColumn("Covered by", width=160),
    "interim_cost": st.column_config.NumberColumn("Interim a year (£)", format="localized",
                                                  width=120),
    "permanent_cost": st.column_config.NumberColumn("Permanent a year (£)", format="localized",
                                                    width=130),
    "saving": st.column_config.NumberColumn("Saving (£)", format="localized", width=100,
                                            help="Interim − permanent: what recruiting saves"),
}
VACANCY_COLUMNS = list(VACANCY_CONFIG)


def vacancy_display(report: VacancyReport) -> pd.DataFrame:
    """Vacancies, covered ones first, with interim vs permanent cost in pounds (display)."""
    out = report.vacancies.copy()
    for col in ("interim_cost", "permanent_cost", "saving"):  # whole pounds, display only
        out[col] = (out[col].astype("int64") / 100).round(0).astype("int64")
    out = out.sort_values(["status", "post_id"], kind="stable")
    return out[VACANCY_COLUMNS].reset_index(drop=True)


# A long list is shown in its first rows and downloaded whole (issue 16: 15,216 vacancies at
# 50,000 posts were 1.7 MB over the websocket, the difference 1.4 MB).
LIST_ROWS = 500


def listed_note(total: int, noun: str) -> str:
    """The caption under a list cut to LIST_ROWS rows ("" when nothing is cut)."""
    if total <= LIST_ROWS:
        return ""
    return (f"The first {LIST_ROWS:,} of {total:,} {noun} are listed; the download holds "
            "them all.")


def vacancies_xlsx(report: VacancyReport, *, structure: str) -> bytes:
    """Every vacancy and interim of one structure, as the page lists them (in whole pounds)."""
    out = vacancy_display(report)
    out.columns = [VACANCY_CONFIG[c].get("label") or c for c in out.columns]
    return xlsx_bytes({"vacancies": Sheet(
        frame=out, title=f"{structure}: posts without an employee, and interims")})


def vacancy_headline(report: VacancyReport) -> list[tuple[str, str, str]]:
    return [
        (WITHOUT_EMPLOYEE, fmt.count(report.vacancy_count),
         without_employee_sentence(report.covered_count, report.uncovered_count)),
        ("Covered by interim", fmt.count(report.covered_count),
         "Posts without an employee that an interim or agency worker covers for now; the "
         "rest are vacant."),
        ("Interim cost a year", cc.pounds(report.interim_cost),
         "Day rate × working days × FTE, no on-costs."),
        ("Saving from recruiting", cc.pounds(report.saving_from_recruiting),
         "A year, if every interim were replaced by a permanent appointment at the costing "
         "point (on-costs included)."),
    ]


def bridge_caption(bridge: pd.DataFrame) -> str:
    start = int(bridge["amount"].iloc[0])
    end = int(bridge["amount"].iloc[-1])
    change = end - start
    word = "saves" if change < 0 else "adds"
    return (f"{fmt.md_escape(str(bridge['step'].iloc[-1]))} {word} "
            f"{cc.pounds(abs(change))} a year against "
            f"{fmt.md_escape(str(bridge['step'].iloc[0]))} "
            f"({cc.pounds(start)} → {cc.pounds(end)}). The axis starts near the smaller "
            "total, not at zero, so the steps can be seen.")


def customer_posts_text() -> str:
    """How customers' posts are counted (the customer_posts setting), for the page."""
    from planner.core.config import get_settings

    mode = get_settings().customer_posts
    return f"Setting PLANNER_CUSTOMER_POSTS = {mode}: {cc.CUSTOMER_POSTS_TEXT[mode]}"
