"""The People mapping page's helpers: reading an option's mapping and exit bill, the grid's
columns, and saving what was edited (all or nothing, version-checked in planner/)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import select

from planner.core.auth import Actor, can
from planner.core.errors import PlannerError, ValidationFailed
from planner.core.models import MAPPING_OUTCOMES, MAPPING_STATUSES, Post, Structure
from planner.people import exit_bill, mapping
from planner.structures.options import readable_options
from planner.ui import compare as cmp
from planner.ui import format as fmt
from planner.ui.session import reading, writing

SELECT_KEY = "mapping_option"
FLASH_KEY = "mapping_flash"
GRID_COLUMNS = ["employee_id", "name", "outcome", "option_post_id", "pool", "status", "grade",
                "post_id", "title", "team", "contract", "note"]
EDITABLE = ("outcome", "option_post_id", "pool", "status", "note")
UNMAPPED_LABEL = "(not mapped)"
NONE_LABEL = "—"  # an empty choice, shown as a dash rather than the grid's "None"


def options_for(actor: Actor) -> list[cmp.StructureRef]:
    """Every option a manager, hr or admin may map (never the establishment)."""
    with reading() as session:
        return cmp.refs_of(readable_options(session=session, actor=actor,
                                            action="mapping.read"))


def may_edit(actor: Actor) -> bool:
    return can(actor, "mapping.edit")


def read(actor: Actor, option_id: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str], int,
                                                 exit_bill.ExitBill]:
    """The mapping grid, the pools, the option's post ids, its version and its exit bill, all
    read in one session so they agree."""
    with reading() as session:
        frame = mapping.mapping_frame(session=session, actor=actor, structure=option_id)
        pools = mapping.pools_frame(session=session, actor=actor, structure=option_id)
        option = session.get(Structure, option_id)
        assert option is not None
        posts = sorted(session.exec(select(Post.post_ref).where(
            Post.structure_id == option_id)).all())
        bill = exit_bill.exit_bill(session=session, actor=actor, structure=option_id)
        return frame, pools, posts, option.version, bill


def grid(frame: pd.DataFrame) -> pd.DataFrame:
    """The grid as people read it: blank outcomes shown as "(not mapped)"."""
    out = frame[GRID_COLUMNS].copy()
    for col in ("option_post_id", "pool", "status", "note"):
        out[col] = out[col].fillna("").astype(str)
    for col in ("option_post_id", "pool"):
        out[col] = out[col].replace("", NONE_LABEL)
    out["outcome"] = out["outcome"].replace("", UNMAPPED_LABEL)
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
            help="The option's post for a slot-in or a redeployment."),
        "pool": col.SelectboxColumn("Pool", options=[NONE_LABEL, *pools], required=True,
                                    help="The ring-fenced pool, for ring-fenced people."),
        "status": col.SelectboxColumn("Status", options=["", *MAPPING_STATUSES]),
        "note": col.TextColumn("Note", max_chars=2000),
    }


def changed_rows(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows whose editable cells differ, as save_mapping takes them."""
    rows = []
    for (_, b), (_, a) in zip(before.iterrows(), after.iterrows(), strict=True):
        diff = {c: a[c] for c in EDITABLE if str(a[c] or "") != str(b[c] or "")}
        if diff:
            if "outcome" in diff and diff["outcome"] == UNMAPPED_LABEL:
                diff["outcome"] = ""
            for col in ("option_post_id", "pool"):
                if diff.get(col) == NONE_LABEL:
                    diff[col] = ""
            rows.append({"employee_id": a["employee_id"], **diff})
    return rows


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


def bench_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Everyone without a post in the option, counted by outcome and grade."""
    shown = frame.assign(outcome=frame["outcome"].replace("", "not mapped"))
    bench = shown[shown["outcome"].isin(("at-risk", "ring-fenced", "not mapped"))]
    if not len(bench):
        return pd.DataFrame(columns=["Grade", "Outcome", "People"])
    out = (bench.groupby(["grade", "outcome"]).size().reset_index(name="People")
           .rename(columns={"grade": "Grade", "outcome": "Outcome"}))
    return out


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


def suggestions(actor: Actor, option_id: int) -> tuple[Any, pd.DataFrame]:
    from planner.people.suggestions import suggestions_for

    with reading() as session:
        return suggestions_for(session=session, actor=actor, structure=option_id)


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
