"""The People mapping page's helpers: reading an option's mapping and exit bill, the grid's
columns, and saving what was edited (all or nothing, version-checked in planner/)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import select

from planner.charts import compare as cc
from planner.charts import mapping as charts
from planner.core.auth import Actor, can
from planner.core.errors import PlannerError, ValidationFailed
from planner.core.models import MAPPING_OUTCOMES, MAPPING_STATUSES, Post, Structure
from planner.core.values import long_date
from planner.establishment.register import (
    RegisterPage,
    baseline_id,
    register_page,
    search_frame,
)
from planner.people import exit_bill, mapping
from planner.structures.options import readable_options
from planner.ui import compare as cmp
from planner.ui import format as fmt
from planner.ui.session import database_url, reading, writing

SELECT_KEY = "mapping_option"
FLASH_KEY = "mapping_flash"
GRID_COLUMNS = ["employee_id", "name", "outcome", "option_post_id", "pool", "status", "grade",
                "post_id", "title", "team", "contract", "duties_match", "on_family_leave",
                "note"]
EDITABLE = ("outcome", "option_post_id", "pool", "status", "duties_match", "on_family_leave",
            "note")
UNMAPPED_LABEL = "(not mapped)"
NONE_LABEL = "—"  # an empty choice, shown as a dash rather than the grid's "None"
TAB_KEY = "mapping_tab"
PAGE_KEY = "mapping_page"
SEARCH_KEY = "mapping_search"
OUTCOME_KEY = "mapping_outcome"
SUGGEST_KEY = "mapping_suggest"
GRID_PAGE_ROWS = 500  # a page of the grid: a council's whole mapping is a download, not a render
AUTO_SUGGEST_UP_TO = 1_000
# Beyond this many posts the grid's post column is typed, not chosen: a list of 50,000 post ids
# would be sent with every page of the grid and could not be scrolled through anyway.
MAX_POST_CHOICES = 2_000
SEARCH_COLUMNS = ("employee_id", "name", "post_id", "title", "team", "grade", "option_post_id")


def options_for(actor: Actor) -> list[cmp.StructureRef]:
    """Every option a manager, hr or admin may map (never the establishment)."""
    with reading() as session:
        return cmp.refs_of(readable_options(session=session, actor=actor,
                                            action="mapping.read"))


def may_edit(actor: Actor) -> bool:
    return can(actor, "mapping.edit")


@dataclass(frozen=True)
class MappingRead:
    """An option's mapping as the page shows it, read once per option and baseline version
    (every save of the mapping, a pool or the posts bumps one of them)."""

    frame: pd.DataFrame  # shared between sessions: never change it in place
    pools: pd.DataFrame
    posts: list[str]
    version: int
    base_version: int


def _versions(option_id: int) -> tuple[int, int]:
    with reading() as session:
        option = session.get(Structure, option_id)
        sid = baseline_id(session)
        base = session.get(Structure, sid) if sid is not None else None
        return (option.version if option is not None else 0,
                base.version if base is not None else 0)


@st.cache_resource(show_spinner="Reading the mapping…", max_entries=4)
def _read(url: str, option_id: int, version: int, base_version: int, role: str,
          _actor: Actor) -> MappingRead:
    """Kept as a resource, shared by every session of the same role: a council's mapping is
    tens of thousands of rows, and a copy per rerun and per session would be most of the
    server's memory. The role is in the key (the strain figure is hr's only)."""
    with reading() as session:
        frame = mapping.mapping_frame(session=session, actor=_actor, structure=option_id)
        pools = mapping.pools_frame(session=session, actor=_actor, structure=option_id)
        posts = sorted(session.exec(select(Post.post_ref).where(
            Post.structure_id == option_id)).all())
    return MappingRead(frame, pools, posts, version, base_version)


def read(actor: Actor, option_id: int) -> MappingRead:
    """The mapping grid, the pools, the option's post ids and its version."""
    version, base_version = _versions(option_id)
    return _read(database_url(), option_id, version, base_version, actor.role, actor)


def leaving_count(frame: pd.DataFrame) -> int:
    """People at risk of redundancy or taking voluntary redundancy: the exit bill's count."""
    return int(frame["outcome"].isin(exit_bill.LEAVING).sum())


def search(frame: pd.DataFrame, text: str, outcome: str | None = None) -> pd.DataFrame:
    """The people shown: every word of `text` in their employee id, name, post, title, team
    or grade, and only `outcome` (UNMAPPED_LABEL for the not yet mapped) when one is chosen."""
    shown = frame
    if outcome:
        shown = shown[shown["outcome"] == ("" if outcome == UNMAPPED_LABEL else outcome)]
    return search_frame(shown, text, SEARCH_COLUMNS)


def grid_page(frame: pd.DataFrame, page: int) -> RegisterPage:
    return register_page(frame, page, GRID_PAGE_ROWS)


def unsaved(key: str) -> bool:
    """Whether the grid under `key` holds edits not yet saved (turning the page would lose
    them, so the page and the filters wait)."""
    state = st.session_state.get(key)
    return bool(isinstance(state, dict) and state.get("edited_rows"))


@st.cache_resource(show_spinner="Working out suggestions…", max_entries=4)
def _suggestions(url: str, option_id: int, version: int, base_version: int, role: str,
                 _actor: Actor) -> tuple[Any, pd.DataFrame]:
    from planner.people.suggestions import suggestions_for

    with reading() as session:
        return suggestions_for(session=session, actor=_actor, structure=option_id)


def suggestions(actor: Actor, read: MappingRead, option_id: int) -> tuple[Any, pd.DataFrame]:
    return _suggestions(database_url(), option_id, read.version, read.base_version,
                        actor.role, actor)


def suggest_now(option_id: int, unmapped: int) -> bool:
    """Suggestions are worked out at once for up to AUTO_SUGGEST_UP_TO people; beyond that
    only when asked (the `SUGGEST_KEY` button), so a large option's page opens at once."""
    return unmapped <= AUTO_SUGGEST_UP_TO or st.session_state.get(SUGGEST_KEY) == option_id


def grid(frame: pd.DataFrame) -> pd.DataFrame:
    """The grid as people read it: blank outcomes shown as "(not mapped)"."""
    out = frame[GRID_COLUMNS].copy()
    for col in ("option_post_id", "pool", "status", "note"):
        out[col] = out[col].fillna("").astype(str)
    for col in ("option_post_id", "pool"):
        out[col] = out[col].replace("", NONE_LABEL)
    out["outcome"] = out["outcome"].replace("", UNMAPPED_LABEL)
    out["duties_match"] = pd.to_numeric(out["duties_match"], errors="coerce").astype("Float64")
    out["on_family_leave"] = out["on_family_leave"].astype(bool)
    return out.reset_index(drop=True)


def grid_config(posts: list[str], pools: list[str]) -> dict[str, Any]:
    col = st.column_config
    return {
        "employee_id": col.TextColumn("Employee", disabled=True, pinned=True, width=90),
        "name": col.TextColumn("Name", disabled=True, width=150),
        "contract": col.TextColumn("Contract", disabled=True, width=90),
        "grade": col.TextColumn("Grade", disabled=True, width=65),
        "team": col.TextColumn("Team", disabled=True),
        "post_id": col.TextColumn("Post now", disabled=True, width=85),
        "title": col.TextColumn("Title now", disabled=True),
        "outcome": col.SelectboxColumn("Outcome", options=[UNMAPPED_LABEL, *MAPPING_OUTCOMES],
                                       required=True, width=170),
        "option_post_id": col.SelectboxColumn(
            "Into post", options=[NONE_LABEL, *posts], required=True,
            help="The option's post for a slot-in or a redeployment.")
        if len(posts) <= MAX_POST_CHOICES else col.TextColumn(
            "Into post", max_chars=60,
            help=f"The option's post id for a slot-in or a redeployment: typed, as its "
                 f"{len(posts):,} posts are too many to list (checked when you save)."),
        "pool": col.SelectboxColumn("Pool", options=[NONE_LABEL, *pools], required=True,
                                    help="The ring-fenced pool, for ring-fenced people."),
        "status": col.SelectboxColumn("Status", options=["", *MAPPING_STATUSES]),
        "duties_match": col.NumberColumn(
            "Duties match %", min_value=0, max_value=100, step=1, format="%d%%",
            help="How much of the new post's duties the person's current post covers, as "
                 "HR judges it: it overrides the suggested match score for their post."),
        "on_family_leave": col.CheckboxColumn(
            "Family leave", help="On maternity, adoption or shared parental leave: first call "
                                 "on a suitable vacancy if at risk."),
        "note": col.TextColumn("Note", max_chars=2000),
    }


def changed_rows(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows whose editable cells differ, as save_mapping takes them."""
    if len(before) != len(after):
        raise ValueError("the edited grid has another number of rows")
    # Compared a column at a time, not row by row through iterrows (a page of 500 people
    # was a third of a second on every rerun, issue 16).
    texts = {c: ([_text(v) for v in before[c].to_numpy(dtype=object)],
                 [_text(v) for v in after[c].to_numpy(dtype=object)]) for c in EDITABLE}
    cells = {c: after[c].to_numpy(dtype=object) for c in EDITABLE}
    ids = after["employee_id"].to_numpy(dtype=object)
    rows = []
    for i in range(len(after)):
        diff = {c: _cell(cells[c][i]) for c in EDITABLE if texts[c][1][i] != texts[c][0][i]}
        if diff:
            if "outcome" in diff and diff["outcome"] == UNMAPPED_LABEL:
                diff["outcome"] = ""
            for col in ("option_post_id", "pool"):
                if diff.get(col) == NONE_LABEL:
                    diff[col] = ""
            rows.append({"employee_id": ids[i], **diff})
    return rows


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _cell(value: Any) -> Any:
    """A grid cell as save_mapping takes it (blank numbers None, 85.0 → 85)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def refused(exc: PlannerError) -> bool:
    """Why nothing was saved: each problem of a validation on its own line, else the message."""
    if isinstance(exc, ValidationFailed):
        lines = "\n".join(f"- {fmt.md_escape(e.message)}" for e in exc.errors)
        st.error(f"Nothing was saved:\n\n{lines}")
    else:
        st.error(fmt.md_escape(str(exc)))
    return False


def save(actor: Actor, option_id: int, rows: list[dict[str, Any]], version: int) -> bool:
    try:
        with writing() as session:
            mapping.save_mapping(session=session, actor=actor, structure=option_id, rows=rows,
                                 expected_version=version)
    except PlannerError as exc:
        return refused(exc)
    st.session_state[FLASH_KEY] = f"Saved {fmt.plural(len(rows), 'person', 'people')}."
    return True


def save_pool(actor: Actor, option_id: int, name: str, posts: list[str], version: int) -> bool:
    try:
        with writing() as session:
            mapping.save_pool(session=session, actor=actor, structure=option_id, name=name,
                              post_ids=posts, expected_version=version)
    except PlannerError as exc:
        return refused(exc)
    st.session_state[FLASH_KEY] = f"Saved pool {name}."
    return True


def mapping_xlsx(actor: Actor, option_id: int) -> bytes:
    from planner.people.mapping_sheet import mapping_workbook

    with reading() as session:
        return mapping_workbook(session=session, actor=actor, structure=option_id)


def upload(actor: Actor, option_id: int, files: list[tuple[str, bytes]]) -> bool:
    """Save an edited mapping workbook, all or nothing; every problem shown by row."""
    from planner.people.mapping_sheet import upload_mapping

    try:
        with writing() as session:
            result = upload_mapping(session=session, actor=actor, structure=option_id,
                                    files=files)
    except ValidationFailed as exc:
        rows = pd.DataFrame([e.as_dict() for e in exc.errors])
        st.error(f"Nothing was saved: the workbook has {fmt.plural(len(rows), 'problem')}. "
                 "Correct them in the workbook and upload it again.")
        st.dataframe(rows.rename(columns={"sheet": "Sheet", "row": "Row", "column": "Column",
                                          "message": "Problem"}), hide_index=True)
        return False
    except PlannerError as exc:
        return refused(exc)
    st.session_state[FLASH_KEY] = (
        f"Uploaded: saved {fmt.plural(len(result.changed), 'person', 'people')}."
        if result.changed else "Uploaded: the workbook changes nothing.")
    return True


# --- the exit bill beside an option's annual cost (Structure options, Compare) ----------------


@st.cache_resource(show_spinner=False, max_entries=8)
def _bill(url: str, option_id: int, version: int, base_id: int, baseline_version: int,
          day: str, role: str, _actor: Actor) -> exit_bill.ExitBill:
    """Cached per option and baseline version and per day (ages and the week's-pay cap are
    taken on the relevant date, today unless the consultation sets one). The two structures'
    costs are the ones Compare and Structure options keep (the same cost_structure)."""
    costs = (cmp.costing(url, base_id, baseline_version, role, _actor),
             cmp.costing(url, option_id, version, role, _actor))
    with reading() as session:
        return exit_bill.exit_bill(session=session, actor=_actor, structure=option_id,
                                   today=dt.date.fromisoformat(day), structure_costs=costs)


@dataclass(frozen=True)
class NotMappedYet:
    """An option whose exit bill is not known yet (exit_bill.not_mapped_yet), said without
    building the bill: Structure options and Compare only say so."""

    option_id: int


def bill_of(actor: Actor, option_id: int, *, whole: bool = True
            ) -> exit_bill.ExitBill | NotMappedYet | None:
    """The option's exit bill and payback, or None for a reader without mapping.read (a union
    rep: with few people leaving, a total is one person's pay). Unless `whole`, NotMappedYet
    where nobody in the option is mapped yet (asked afresh each run: saving a mapping does
    not change the option's version)."""
    if not can(actor, "mapping.read"):
        return None
    with reading() as session:
        option = session.get(Structure, option_id)
        sid = baseline_id(session)
        base = session.get(Structure, sid) if sid is not None else None
        if option is None or option.kind != "option" or base is None:
            return None
        version, base_id, base_version = option.version, int(sid), base.version
        if not whole and exit_bill.not_mapped_yet(session=session, actor=actor,
                                                  structure=option):
            return NotMappedYet(option_id)
    return _bill(database_url(), option_id, version, base_id, base_version,
                 dt.date.today().isoformat(), actor.role, actor)


def payback_text(bill: exit_bill.ExitBill) -> str:
    months = bill.payback_months
    return "never" if months is None else fmt.plural(months, "month")


def mapped_at_all(bill: exit_bill.ExitBill | NotMappedYet) -> bool:
    """False while nobody in the option is mapped to a leaving outcome and some are unmapped:
    its exit bill is then unknown, not nil."""
    if isinstance(bill, NotMappedYet):
        return False
    return bool(bill.leaving or bill.pooled or not bill.unmapped)


def payback_summary(bill: exit_bill.ExitBill) -> None:
    """The exit bill, the annual saving and the payback, what they leave out, and the chart of
    cumulative net saving over 36 months (the People mapping, Structure options and Compare
    pages show the same)."""
    cols = st.columns(3)
    cols[0].metric("Exit bill (one-off)", fmt.money_from_pence(bill.total_pence), border=True,
                   help="Redundancy pay (statutory and the council's discretionary terms), "
                        "notice paid in lieu and pension strain, for the people leaving.")
    cols[1].metric("Annual saving", fmt.money_from_pence(bill.annual_saving_pence),
                   border=True, help="The establishment's full-year cost less the option's.")
    cols[2].metric("Payback", payback_text(bill), border=True,
                   help="Whole months until the annual saving has paid the exit bill.")
    st.caption(f"Ages, service and the week's-pay cap are taken on "
               f"{long_date(bill.relevant)}: {fmt.md_escape(bill.relevant_basis)}. "
               f"Notice is {'worked' if bill.notice_worked else 'paid in lieu'}. The first "
               "£30,000 of a genuine redundancy payment is free of tax (noted, not computed).")
    for level, text in bill.notes():
        (st.info if level == "info" else st.warning)(text)
    st.altair_chart(charts.payback_chart(bill.cumulative(), bill.payback_months),
                    width="stretch")


def compare_rows(bills: dict[str, exit_bill.ExitBill | NotMappedYet | None]) -> pd.DataFrame:
    """Compare's side-by-side rows for the exit bill and payback, one column per structure
    ("—" for the establishment; "not mapped" where nobody is mapped yet)."""
    exit_row: dict[str, str] = {"Figure": "Exit bill (one-off)"}
    payback_row: dict[str, str] = {"Figure": "Payback"}
    for name, bill in bills.items():
        if bill is None:
            exit_row[name] = payback_row[name] = "—"
        elif not mapped_at_all(bill):
            exit_row[name] = payback_row[name] = "not mapped"
        else:
            exit_row[name] = cc.pounds(bill.total_pence) + (
                f" ({fmt.count(bill.unmapped)} not mapped)" if bill.unmapped else "")
            payback_row[name] = payback_text(bill)
    return pd.DataFrame([exit_row, payback_row])


@st.cache_resource(show_spinner="Matching vacancies…", max_entries=4)
def _redeployment(url: str, option_id: int, version: int, base_version: int, day: str,
                  role: str, _actor: Actor) -> pd.DataFrame:
    """The people at risk against the option's vacancies within one grade, as the page shows
    them (family leave first; the trial's last day if it started today)."""
    from planner.people.suggestions import redeployment_for

    with reading() as session:
        out = redeployment_for(session=session, actor=_actor, structure=option_id,
                               trial_start=dt.date.fromisoformat(day))
    return pd.DataFrame({
        "Employee": out["employee_id"], "Name": out["name"], "Vacancy": out["post_id"],
        "Title": out["title"],
        "Grade": ["same grade" if g == 0 else ("one above" if g > 0 else "one below")
                  for g in out["grade_gap"]],
        "Priority": ["family leave" if f else "" for f in out["family_leave"]],
        "Trial ends": [long_date(d) for d in out["trial_ends"]]})


def redeployment(actor: Actor, read: MappingRead, option_id: int) -> pd.DataFrame:
    """The people at risk against the option's vacancies within one grade, as the page shows
    them (family leave first; the trial's last day if it started today)."""
    return _redeployment(database_url(), option_id, read.version, read.base_version,
                         dt.date.today().isoformat(), actor.role, actor)


def _bench(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.assign(outcome=frame["outcome"].replace("", "not mapped"))
    return shown[shown["outcome"].isin(("at-risk", "ring-fenced", "not mapped"))]


def bench_table(frame: pd.DataFrame, by: str = "grade") -> pd.DataFrame:
    """Everyone without a post in the option, counted by outcome and `by` (grade or partner),
    with a total row."""
    label = by.capitalize()
    bench = _bench(frame)
    if not len(bench):
        return pd.DataFrame(columns=[label, "Outcome", "People"])
    out = (bench.groupby([by, "outcome"]).size().reset_index(name="People")
           .rename(columns={by: label, "outcome": "Outcome"}))
    total = pd.DataFrame([{label: "Total", "Outcome": "", "People": int(out["People"].sum())}])
    return pd.concat([out, total], ignore_index=True)


def bench_people(frame: pd.DataFrame) -> pd.DataFrame:
    """The people without a post, one row each."""
    bench = _bench(frame)
    return pd.DataFrame({"Employee": bench["employee_id"], "Name": bench["name"],
                         "Outcome": bench["outcome"], "Pool": bench["pool"].fillna(""),
                         "Grade": bench["grade"], "Post now": bench["post_id"],
                         "Title now": bench["title"], "Partner": bench["partner"]})


def money_rows(values: dict[str, int]) -> pd.DataFrame:
    total = sum(values.values())
    rows = [{"": k, "Amount": fmt.money_from_pence(v)} for k, v in values.items()]
    rows.append({"": "Total", "Amount": fmt.money_from_pence(total)})
    return pd.DataFrame(rows)


PERSON_CONFIG: dict[str, Any] = {
    "employee_id": st.column_config.TextColumn("Employee"),
    "name": st.column_config.TextColumn("Name"),
    "outcome": st.column_config.TextColumn("Outcome"),
    "partner": st.column_config.TextColumn("Funded by"),
    "age": st.column_config.NumberColumn("Age"),
    "years": st.column_config.NumberColumn("Years"),
    "weeks": st.column_config.TextColumn("Weeks"),
}


def person_costs(bill: exit_bill.ExitBill) -> pd.DataFrame:
    """Each leaver's costs in pounds (hr and admin only: the bill holds none for others)."""
    people = bill.people
    out = people[["employee_id", "name", "outcome", "partner", "age", "years"]].copy()
    out["weeks"] = people["weeks"].astype(str)
    for col, label in (("statutory_pence", "Statutory"), ("discretionary_pence", "Discretionary"),
                       ("notice_pence", "Notice"), ("strain_pence", "Strain"),
                       ("total_pence", "Total")):
        out[label] = [fmt.money_from_pence(int(v)) for v in people[col]]
    out["Strain basis"] = [
        "estimate" if e and s else ("fund's figure" if s else ("liable: no figure" if liable
                                                               else "not liable"))
        for e, s, liable in zip(people["strain_is_estimate"], people["strain_pence"],
                                people["strain_liable"], strict=True)]
    return out


# --- suggestions -------------------------------------------------------------------------------


def pool_name(posts: pd.DataFrame, post_ids: list[str]) -> str:
    """A pool named after its posts: "Service Desk Analyst (ICT-096, ICT-097)"."""
    title = str(posts.loc[posts["post_id"] == post_ids[0], "title"].iloc[0])
    return f"{title} ({', '.join(post_ids)})"[:120]


def accept(actor: Actor, option_id: int, version: int, *, slot_ins: pd.DataFrame,
           pools: pd.DataFrame, at_risk: list[str], posts: pd.DataFrame) -> bool:
    """Accept the suggestions shown, all or nothing: pools first (each is version-checked),
    then everyone's outcome in one save."""
    rows = [{"employee_id": e, "outcome": "slotted", "option_post_id": q,
             "note": "Suggested slot-in, accepted."}
            for e, q in zip(slot_ins["employee_id"], slot_ins["post_id"], strict=True)]
    rows += [{"employee_id": e, "outcome": "at-risk"} for e in at_risk]
    try:
        with writing() as session:
            for ids, people in zip(pools["post_ids"], pools["candidates"], strict=True):
                name = pool_name(posts, list(ids))
                version = mapping.save_pool(session=session, actor=actor, structure=option_id,
                                            name=name, post_ids=list(ids),
                                            expected_version=version).version
                rows += [{"employee_id": e, "outcome": "ring-fenced", "pool": name}
                         for e in people]
            mapping.save_mapping(session=session, actor=actor, structure=option_id, rows=rows,
                                 expected_version=version)
    except PlannerError as exc:
        return refused(exc)
    st.session_state[FLASH_KEY] = (f"Accepted the suggestions for "
                                   f"{fmt.plural(len(rows), 'person', 'people')}.")
    return True


def slot_in_table(frame: pd.DataFrame, slot_ins: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(frame["employee_id"], frame["name"], strict=True))
    titles = dict(zip(posts["post_id"], posts["title"], strict=True))
    return pd.DataFrame({"Employee": slot_ins["employee_id"],
                         "Name": slot_ins["employee_id"].map(names),
                         "Into post": slot_ins["post_id"],
                         "Title": slot_ins["post_id"].map(titles),
                         "Match": [f"{int(s)}%" for s in slot_ins["score"]]})


def pool_table(pools: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Pool": [pool_name(posts, list(p)) for p in pools["post_ids"]],
                         "Places": pools["places"].astype(int),
                         "Candidates": [", ".join(c) for c in pools["candidates"]]})
