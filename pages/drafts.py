"""Published drafts: what management has issued for consultation, as union representatives
read it (frozen snapshots, never the live option), what changed from one draft to the next,
and the written responses with management's replies."""

import streamlit as st

from planner.charts import orgchart
from planner.core.auth import can
from planner.core.values import as_date, long_date
from planner.publishing.pack import pack_name
from planner.ui import drafts as ui
from planner.ui.compare import table_height
from planner.ui.format import md_escape, plural
from planner.ui.session import guard

actor = guard("drafts.read")
st.title("Published drafts")
message = st.session_state.pop(ui.FLASH_KEY, None)
if message:
    st.success(message)

listing = ui.drafts(actor)
if listing.empty:
    st.info("No drafts have been published yet.")
    st.markdown(
        "When management publishes a draft structure for consultation, it appears here: the "
        "proposed posts, grades and reporting lines, with no personal data. You can compare "
        "one published draft with the next and send the consultation your comments, on the "
        "whole draft or on one post.")
    st.stop()

options = list(dict.fromkeys(listing["option"]))
if st.session_state.get(ui.OPTION_KEY) not in options:
    st.session_state[ui.OPTION_KEY] = options[-1]
option = st.selectbox("Option", options, key=ui.OPTION_KEY)
mine = listing[listing["option"] == option].reset_index(drop=True)
st.dataframe(mine.assign(
    published=[long_date(v.date()) for v in mine["published_at"]],
    status=[s if s == "published" else f"withdrawn: {w}"
            for s, w in zip(mine["status"], mine["withdrawn_reason"], strict=True)],
)[["number", "published", "published_by", "note", "status", "responses"]].rename(columns={
    "number": "Draft", "published": "Published", "published_by": "By", "note": "Covering note",
    "status": "Status", "responses": "Responses"}), hide_index=True)

numbers = [int(n) for n in mine["number"]]
if st.session_state.get(ui.NUMBER_KEY) not in numbers:
    st.session_state[ui.NUMBER_KEY] = numbers[-1]
number = st.selectbox("Draft", numbers, key=ui.NUMBER_KEY,
                      format_func=lambda n: f"Draft {n}")
draft_id = int(mine.loc[mine["number"] == number, "id"].iloc[0])
view = ui.view(actor, draft_id)
snap = view.snapshot

st.subheader(f"Draft {view.number}: {md_escape(view.option)}")
st.caption(f"Published {long_date(view.published_at.date())} by {md_escape(view.published_by)}. "
           "This draft never changes: a later change to the proposal is a new draft.")
if view.status == "withdrawn":
    st.warning(f"Withdrawn: {md_escape(view.withdrawn_reason)}", icon=":material/block:")
if snap["note"]:
    st.markdown(md_escape(snap["note"]))
left, right = st.columns(2)
left.download_button("Consultation pack (Word)", lambda: ui.pack(actor, view.id, "docx"),
                     file_name=pack_name(view, "docx"), key="drafts_pack_docx",
                     icon=":material/description:", on_click="ignore",
                     mime="application/vnd.openxmlformats-officedocument"
                          ".wordprocessingml.document")
right.download_button("Consultation pack (PDF)", lambda: ui.pack(actor, view.id, "pdf"),
                      file_name=pack_name(view, "pdf"), key="drafts_pack_pdf",
                      icon=":material/picture_as_pdf:", on_click="ignore",
                      mime="application/pdf")
c = snap["counts"]
cols = st.columns(5)
cols[0].metric("Posts", f"{c['posts']:,}", border=True, help=f"{c['fte']} FTE")
cols[1].metric("New", f"{c['new']:,}", border=True)
cols[2].metric("Deleted", f"{c['deleted']:,}", border=True)
cols[3].metric("Regraded or moved", f"{c['regraded'] + c['moved']:,}", border=True)
cols[4].metric("Proposed dismissals", f"{snap['consultation']['proposed']:,}", border=True)

tab_structure, tab_changes, tab_figures, tab_responses = st.tabs(
    ["Structure", "Changes since the previous draft", "Figures and timetable", "Responses"])

with tab_structure:
    h = ui.hierarchy(snap)
    if h is not None:
        left, right = st.columns([4, 2])
        focus = left.selectbox("Focus on", ui.focus_options(h), key="draft_focus",
                               format_func=lambda p: orgchart.describe(h, p))
        depth = right.slider("Levels below", 1, 5, 2, key="draft_depth")
        st.altair_chart(ui.chart(snap, h, focus, depth), width="content", key="draft_chart")
    st.caption("Boxes are outlined by their change: green new, purple regraded, blue moved, "
               "orange FTE changed, grey unchanged; the third line says what changes. Deleted "
               "posts are in the list below.")
    table = ui.post_table(snap)
    st.dataframe(table, hide_index=True, height=table_height(len(table), most=480))

with tab_changes:
    changes = view.changes()
    if changes["first"]:
        st.info("This is the first draft of this option.")
    else:
        st.dataframe(ui.totals_table(changes), hide_index=True)
        tables = ui.changes_tables(changes)
        if not tables:
            st.success("No post changed since the previous draft.")
        for key, frame in tables.items():
            st.markdown(f"**{key.capitalize()}** ({len(frame)})")
            st.dataframe(frame, hide_index=True)

with tab_figures:
    costs = snap["costs"]
    cols = st.columns(3)
    cols[0].metric("Full-year cost now", ui.fmt.money_from_pence(
        costs["baseline_full_year_pence"]), border=True)
    cols[1].metric("Full-year cost proposed", ui.fmt.money_from_pence(
        costs["option_full_year_pence"]), border=True)
    cols[2].metric("Saving", ui.fmt.money_from_pence(costs["saving_pence"]), border=True)
    st.markdown(f"**Spend against the envelope** ({plural(costs['months'], 'month')})")
    st.dataframe(ui.partner_table(snap), hide_index=True)
    left, right = st.columns(2)
    left.markdown("**Posts affected, by grade**")
    left.dataframe(ui.affected_table(snap, "grade"), hide_index=True)
    right.markdown("**Posts affected, by team**")
    right.dataframe(ui.affected_table(snap, "team"), hide_index=True)
    consult = snap["consultation"]
    st.markdown("**Consultation**")
    st.markdown(
        f"- Proposed dismissals: {consult['proposed']} of {consult['employees']} employees "
        f"({md_escape(consult['basis'])}); collective consultation under s.188 "
        + ("applies" + (f", at least {consult['minimum_days']} days"
                        if consult["minimum_days"] else "") if consult["s188_applies"]
           else "does not apply") + ".\n"
        + (f"- Consultation begins {long_date(as_date(consult['launch_on']))}.\n"
           if consult["launch_on"] else "")
        + (f"- Selection: {md_escape(consult['selection_method'])}\n"
           if consult["selection_method"] else ""))
    if consult["stages"]:
        st.dataframe([{"Stage": g["name"],
                       "Planned start": long_date(as_date(g["planned_start"])),
                       "Planned end": long_date(as_date(g["planned_end"])),
                       "Status": g["status"]} for g in consult["stages"]], hide_index=True)
    if consult["descriptions"]:
        st.markdown("**Proposed dismissals by description** (s.188(4))")
        st.dataframe([{"Description (title)": r["title"], "Grade": r["grade"],
                       "Proposed dismissals": r["proposed"],
                       "Employees of this description": r["employed"]}
                      for r in consult["descriptions"]], hide_index=True)
    eq = snap["equality"]["analysis"]
    if eq.get("withheld"):
        st.info(md_escape(eq["warnings"][0]), icon=":material/visibility_off:")
    st.markdown(f"**Equality analysis** (at risk: {md_escape(eq['at_risk_text'])} of "
                f"{eq['service_total']} employees; small numbers are hidden)")
    st.dataframe([{"Characteristic": str(r.get("characteristic", "")).replace("_", " ")
                   .capitalize(), "Group": r.get("category"),
                   "In the service": r.get("service_text"), "At risk": r.get("at_risk_text"),
                   "Ratio": r.get("ratio_text")} for r in eq["table"]], hide_index=True)
    if eq.get("ages_on") and eq["ages_on"] != snap.get("as_of"):
        st.caption(f"Ages are as on {long_date(as_date(eq['ages_on']))}, the day of the first "
                   "draft with equality figures, so that every draft describes the same people.")
    if eq.get("read_against"):
        n = int(eq["read_against"])
        st.caption(f"Suppressed against the {n} draft{'s' if n != 1 else ''} already "
                   "published: read side by side, no two drafts give away a hidden figure.")
    for cp in snap["equality"]["checkpoints"]:
        st.caption(f"{cp['name']}: " + (
            f"signed off {long_date(as_date(cp['signed_off_on']))}" if cp["signed_off"]
            else "not signed off"))

with tab_responses:
    log = ui.responses(actor, view.structure_id)
    if log.empty:
        st.info("No responses yet.")
    else:
        st.dataframe(ui.log_table(log), hide_index=True,
                     height=table_height(len(log), most=420))
        st.download_button("Download the response log (.xlsx)",
                           lambda: ui.r.response_log_xlsx(log, option=view.option),
                           file_name="responses.xlsx", key="drafts_log_download",
                           icon=":material/download:")
    if can(actor, "drafts.respond") and view.status == "published":
        with st.form("drafts_respond", clear_on_submit=True):
            st.markdown(f"**Respond to draft {view.number}**")
            text = st.text_area("Your response", max_chars=8000)
            posts = [""] + [p["post_id"] for p in snap["posts"]]
            post = st.selectbox("On a post (optional)", posts,
                                format_func=lambda p: p or "the whole draft")
            teams = [""] + sorted({p["team"] for p in snap["posts"] if p["team"]})
            team = st.selectbox("On a team (optional)", teams,
                                format_func=lambda t: t or "—")
            if st.form_submit_button("Send the response", type="primary") and ui.submit(
                    actor, view.id, text, post, team):
                st.rerun()
    if can(actor, "drafts.reply") and not log.empty:
        waiting = log[log["status"] == "open"]
        if len(waiting):
            with st.form("drafts_reply", clear_on_submit=True):
                st.markdown("**Reply to a response**")
                rid = st.selectbox("Response", list(waiting["id"]), format_func=lambda i: (
                    str(waiting.loc[waiting["id"] == i, "text"].iloc[0])[:80]))
                status = st.radio("Outcome", list(ui.r.REPLY_STATUSES), horizontal=True)
                text = st.text_area("Reply (for not accepted: the reasons)", max_chars=8000)
                if st.form_submit_button("Save the reply", type="primary"):
                    version = int(waiting.loc[waiting["id"] == rid, "version"].iloc[0])
                    if ui.reply(actor, int(rid), text, status, version):
                        st.rerun()
