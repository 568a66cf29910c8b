"""The Published drafts page's helpers and the Structure options page's publish section:
everything shown here comes from stored snapshots (planner.publishing), never a live option."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from planner.charts import orgchart
from planner.core.auth import Actor, can
from planner.core.errors import PlannerError, ValidationFailed
from planner.publishing import drafts as d
from planner.publishing import responses as r
from planner.structures.hierarchy import build
from planner.structures.layout import layout
from planner.ui import format as fmt
from planner.ui.session import reading, writing

OPTION_KEY = "drafts_option"
NUMBER_KEY = "drafts_number"
FLASH_KEY = "drafts_flash"
CHANGE_LABELS = {"new": "New post", "deleted": "Deleted", "moved": "Moved", "regraded": "Regraded",
                 "resized": "FTE changed", "unchanged": "Unchanged"}


def drafts(actor: Actor) -> pd.DataFrame:
    with reading() as session:
        return d.drafts_frame(session=session, actor=actor)


def view(actor: Actor, draft_id: int) -> d.DraftView:
    with reading() as session:
        return d.read_draft(session=session, actor=actor, draft_id=draft_id)


def responses(actor: Actor, structure_id: int) -> pd.DataFrame:
    with reading() as session:
        return r.responses_frame(session=session, actor=actor, structure=structure_id)


def _refused(exc: PlannerError) -> bool:
    if isinstance(exc, ValidationFailed):
        st.error("Nothing was saved:\n\n" + "\n".join(
            f"- {fmt.md_escape(e.message)}" for e in exc.errors))
    else:
        st.error(fmt.md_escape(str(exc)))
    return False


# --- what a draft shows ------------------------------------------------------------------------


def post_table(snapshot: dict[str, Any]) -> pd.DataFrame:
    """The draft's posts as people read them: the change first, then the post."""
    posts = pd.DataFrame(snapshot["posts"])

    def change_text(p: pd.Series) -> str:
        parts = []
        for c in str(p["change"]).split("; "):
            if c == "regraded":
                parts.append(f"regraded from {p['grade_before']}")
            elif c == "moved":
                parts.append("moved" + (f" from {p['reports_to_before']}"
                                        if p["reports_to_before"] and
                                        p["reports_to_before"] != p["reports_to"] else ""))
            elif c == "resized":
                parts.append(f"FTE from {p['fte_before']}")
            else:
                parts.append(c)
        return "; ".join(parts)

    return pd.DataFrame({"Post": posts["post_id"], "Title": posts["title"],
                         "Change": [change_text(p) for _, p in posts.iterrows()],
                         "Grade": posts["grade"], "FTE": posts["fte"],
                         "Reports to": posts["reports_to"], "Team": posts["team"],
                         "Division": posts["division"]})


def hierarchy(snapshot: dict[str, Any]) -> Any:
    """The proposed structure of a draft as a hierarchy (deleted posts left out)."""
    posts = pd.DataFrame([p for p in snapshot["posts"] if p["change"] != "deleted"])
    if posts.empty:
        return None
    frame = posts.assign(
        status="", incumbents=[CHANGE_LABELS.get(str(c).split("; ")[0], str(c))
                               for c in posts["change"]],
        interim="", origin="")
    known = set(frame["post_id"])
    frame["reports_to"] = [m if m in known else "" for m in frame["reports_to"]]
    return build(frame)


def chart(snapshot: dict[str, Any], h: Any, focus: str | None, depth: int) -> Any:
    """The draft's structure from `focus` down `depth` levels, each box outlined by its
    change; the third line says what changes, never who holds the post."""
    posts = pd.DataFrame([p for p in snapshot["posts"] if p["change"] != "deleted"])
    lay = layout(h, focus=focus, depth=depth, stack_over=1, collapse_over=200)  # no picker
    changes = pd.DataFrame({"primary_change": [str(c).split("; ")[0] for c in posts["change"]]},
                           index=posts["post_id"])
    return orgchart.org_chart(lay, h, changes=changes, published=True)


def _structure(rows: list[dict[str, Any]], label: list[str]) -> Any:
    frame = pd.DataFrame(rows).assign(status="", incumbents=label, interim="", origin="")
    known = set(frame["post_id"])
    frame["reports_to"] = [m if m in known else "" for m in frame["reports_to"]]
    return build(frame)


def pack_charts(snapshot: dict[str, Any], depth: int = 2) -> dict[str, bytes]:
    """PNGs of the structure now and as proposed (top `depth` levels below the top post), for
    the consultation pack; drawn from the snapshot alone."""
    from planner.charts.orgchart_images import chart_images

    now = [{**p, "grade": p["grade_before"] or p["grade"], "team": p["team_before"] or p["team"],
            "reports_to": p["reports_to_before"] if p["change"] != "deleted" and
            p["reports_to_before"] else p["reports_to"],
            "fte": p["fte_before"] or p["fte"]}
           for p in snapshot["posts"] if p["change"] != "new"]
    proposed = [p for p in snapshot["posts"] if p["change"] != "deleted"]
    out = {}
    if now:
        h = _structure(now, [p["team"] for p in now])  # the third line: the team
        _, out["current"] = chart_images(layout(h, depth=depth, stack_over=1,
                                                collapse_over=200), h, published=True)
    if proposed:
        h = _structure(proposed, [CHANGE_LABELS.get(str(p["change"]).split("; ")[0], "")
                                  for p in proposed])
        changes = pd.DataFrame({"primary_change": [str(p["change"]).split("; ")[0]
                                                   for p in proposed]},
                               index=[p["post_id"] for p in proposed])
        _, out["proposed"] = chart_images(layout(h, depth=depth, stack_over=1,
                                                 collapse_over=200), h, changes=changes,
                                          published=True)
    return out


def pack(actor: Actor, draft_id: int, kind: str) -> bytes:
    """The draft's consultation pack as .docx or .pdf (drafts.read)."""
    from planner.publishing.pack import pack_docx, pack_pdf

    v = view(actor, draft_id)
    charts = pack_charts(v.snapshot)
    log = responses(actor, v.structure_id).to_dict(orient="records")
    return pack_docx(v, charts, log) if kind == "docx" else pack_pdf(v, charts, log)


def focus_options(h: Any) -> list[str]:
    """The top posts, then every manager: where the chart may start."""
    return list(dict.fromkeys([*h.tops, *h.managers()["post_id"]]))


def partner_table(snapshot: dict[str, Any]) -> pd.DataFrame:
    """Each partner's spend against its envelope (its share of the shared posts and the posts
    charged to it alone, its "own posts"), with the total row."""
    costs = snapshot["costs"]
    rows = [{"Partner": p["partner"], "Own posts": p["posts"],
             "Spend": fmt.money_from_pence(p["spend_pence"]),
             "Envelope": "—" if p["envelope_pence"] is None
             else fmt.money_from_pence(p["envelope_pence"]),
             "Headroom": "—" if p["headroom_pence"] is None
             else fmt.money_from_pence(p["headroom_pence"])} for p in costs["by_partner"]]
    rows.append({"Partner": "Total", "Own posts": sum(p["posts"] for p in costs["by_partner"]),
                 "Spend": fmt.money_from_pence(costs["spend_pence"]),
                 "Envelope": "—" if costs["envelope_pence"] is None
                 else fmt.money_from_pence(costs["envelope_pence"]),
                 "Headroom": "—" if costs.get("headroom_pence") is None
                 else fmt.money_from_pence(costs["headroom_pence"])})
    return pd.DataFrame(rows)


def affected_table(snapshot: dict[str, Any], by: str) -> pd.DataFrame:
    rows = snapshot["affected"][by]
    out = pd.DataFrame(rows, columns=[by, "posts", "people"]).rename(columns={
        by: by.capitalize(), "posts": "Posts affected", "people": "People in them now"})
    total = {by.capitalize(): "Total", "Posts affected": int(out["Posts affected"].sum()),
             "People in them now": int(out["People in them now"].sum())}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def changes_tables(changes: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Posts added, removed, regraded, moved, resized and retitled since the previous draft."""
    out = {}
    for key in ("added", "removed", "regraded", "moved", "resized", "retitled"):
        rows = changes[key]
        if rows:
            frame = pd.DataFrame(rows).rename(columns=lambda c: "Post" if c == "post_id" else
                                              c.replace("_", " ").capitalize())
            out[key] = frame
    return out


def totals_table(changes: dict[str, Any]) -> pd.DataFrame:
    def show(figure: str, v: Any) -> str:
        if v is None:
            return "—"
        return fmt.money_from_pence(int(v)) if "(pence)" in figure else str(v)

    return pd.DataFrame([{"Figure": t["figure"].replace(" (pence)", ""),
                          "Previous draft": show(t["figure"], t["before"]),
                          "This draft": show(t["figure"], t["after"]),
                          "Changed": "yes" if t["changed"] else ""}
                         for t in changes["totals"]])


# --- responses ----------------------------------------------------------------------------------


def submit(actor: Actor, draft_id: int, text: str, post_id: str, team: str) -> bool:
    try:
        with writing() as session:
            r.submit_response(session=session, actor=actor, draft_id=draft_id, text=text,
                              post_id=post_id, team=team)
    except PlannerError as exc:
        return _refused(exc)
    st.session_state[FLASH_KEY] = "Your response was sent. Management's reply will appear here."
    return True


def reply(actor: Actor, response_id: int, text: str, status: str, version: int) -> bool:
    try:
        with writing() as session:
            r.reply_to_response(session=session, actor=actor, response_id=response_id,
                                reply=text, status=status, expected_version=version)
    except PlannerError as exc:
        return _refused(exc)
    st.session_state[FLASH_KEY] = "Reply saved."
    return True


def log_table(log: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Draft": log["draft"], "Sent": [f"{v:%d %b %Y %H:%M}" for v in log["submitted_at"]],
        "By": log["author"], "On": [p or t or "the whole draft"
                                   for p, t in zip(log["post_id"], log["team"], strict=True)],
        "Response": log["text"], "Status": log["status"], "Reply": log["reply"]})


# --- publishing (Structure options page) ----------------------------------------------------------


def checklist(actor: Actor, option_id: int) -> d.Checklist:
    with reading() as session:
        return d.checklist(session=session, actor=actor, structure=option_id)


def publish(actor: Actor, option_id: int, note: str, version: int) -> bool:
    try:
        with writing() as session:
            draft = d.publish(session=session, actor=actor, structure=option_id, note=note,
                              expected_version=version)
            number = draft.number
    except d.PublishRefused as exc:
        st.error("Not published:\n\n" + "\n".join(f"- {fmt.md_escape(f)}"
                                                   for f in exc.failures))
        return False
    except PlannerError as exc:
        return _refused(exc)
    st.session_state[FLASH_KEY] = (f"Published draft {number}: union representatives can read "
                                   "it on the Published drafts page.")
    return True


def withdraw(actor: Actor, draft_id: int, reason: str, version: int) -> bool:
    try:
        with writing() as session:
            d.withdraw(session=session, actor=actor, draft_id=draft_id, reason=reason,
                       expected_version=version)
    except PlannerError as exc:
        return _refused(exc)
    st.session_state[FLASH_KEY] = "The draft is withdrawn; it stays in the history."
    return True


def may_publish(actor: Actor) -> bool:
    return can(actor, "drafts.publish")
