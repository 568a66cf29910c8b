"""People mapping: each person's outcome in an option, the people without a post, and what the
option costs to make against what it saves (managers and hr; never union representatives)."""

import streamlit as st

from planner.core.auth import can
from planner.ui import mapping as ui
from planner.ui.compare import table_height
from planner.ui.format import BLANK, plural
from planner.ui.session import guard

actor = guard("mapping.read")
st.title("People mapping")
st.caption("Who goes where in an option: slotted into a post that is substantially the same, "
           "in a ring-fenced pool, at risk, redeployed, or leaving. Outcomes stay proposed "
           "until consultation closes. Nothing is mapped without someone choosing it.")

message = st.session_state.pop(ui.FLASH_KEY, None)
if message:
    st.success(message)

refs = ui.options_for(actor)
if not refs:
    st.info("There are no structure options yet. Create one on the Structure options page.")
    st.stop()
by_id = {r.id: r for r in refs}
if st.session_state.get(ui.SELECT_KEY) not in by_id:
    st.session_state[ui.SELECT_KEY] = refs[-1].id
chosen = by_id[st.selectbox("Option", list(by_id), format_func=lambda i: by_id[i].name,
                            key=ui.SELECT_KEY)]
read = ui.read(actor, chosen.id)
frame, pools, posts, version = read.frame, read.pools, read.posts, read.version

unmapped = int((frame["outcome"] == "").sum())
bench = frame["outcome"].isin(("at-risk", "ring-fenced", ""))
cols = st.columns(4)
cols[0].metric("People", f"{len(frame):,}", border=True)
cols[1].metric("Not yet mapped", f"{unmapped:,}", border=True,
               help="People in posts the option deletes or changes, with no outcome chosen.")
cols[2].metric("Without a post", f"{int(bench.sum()):,}", border=True,
               help="At risk, in a ring-fenced pool, or not yet mapped.")
cols[3].metric("Leaving", f"{ui.leaving_count(frame):,}", border=True,
               help="At risk of redundancy, or taking voluntary redundancy.")
if unmapped:
    st.warning(f"{plural(unmapped, 'person is', 'people are')} not mapped yet. Until they are, "
               "the consultation and the equality analysis count them as before: at risk "
               "where the option deletes or changes their post.", icon=":material/pending:")

# Only the open tab is worked out: the bench and the exit bill each read the whole option.
tab_grid, tab_bench, tab_cost = st.tabs(["Mapping", "Without a post", "Exit costs and payback"],
                                        key=ui.TAB_KEY, on_change="rerun")

if tab_grid.open:
    with tab_grid:
        grid_key = f"mapping_grid_{chosen.id}_v{version}"
        waiting = ui.unsaved(grid_key)
        f1, f2 = st.columns([3, 2])
        search = f1.text_input("Find people", key=ui.SEARCH_KEY, disabled=waiting,
                               placeholder="Employee id, name, post, title, team or grade")
        outcome = f2.selectbox("Outcome", [ui.UNMAPPED_LABEL, *ui.MAPPING_OUTCOMES],
                               index=None, key=ui.OUTCOME_KEY, disabled=waiting,
                               placeholder="Every outcome")
        matched = ui.search(frame, search, outcome)
        page = ui.grid_page(matched, st.session_state.get(ui.PAGE_KEY, 1))
        if page.pages > 1:
            st.number_input(f"Page (of {page.pages:,}; {ui.GRID_PAGE_ROWS:,} people a page)",
                            min_value=1, max_value=page.pages, step=1, key=ui.PAGE_KEY,
                            disabled=waiting)
        st.caption(f"Showing {len(matched):,} of {len(frame):,} people."
                   + (f" Rows {page.first:,}–{page.last:,} are listed; the whole mapping is in "
                      "the workbook (Edit in Excel)." if page.pages > 1 else "")
                   + (" Save or undo your changes to turn the page or search." if waiting
                      else ""))
        shown = ui.grid(page.rows)
        if ui.may_edit(actor) and unmapped and not ui.suggest_now(chosen.id, unmapped):
            st.info(f"Suggestions for the {plural(unmapped, 'person', 'people')} not yet mapped "
                    "take a few seconds to work out.", icon=":material/lightbulb:")
            if st.button("Work out suggestions", key="mapping_suggest_button"):
                st.session_state[ui.SUGGEST_KEY] = chosen.id
                st.rerun()
        elif ui.may_edit(actor) and unmapped:
            sug, offered = ui.suggestions(actor, read, chosen.id)
            with st.expander(f"Suggestions for the {plural(unmapped, 'person', 'people')} not yet "
                             "mapped", icon=":material/lightbulb:", expanded=True):
                st.caption("Matched on grade (the same or one apart), team and title, or on the "
                           "duties match you enter, at the council's slot-in threshold. A person "
                           "whose own post continues changed is suggested for it first. Review "
                           "them, then accept: nothing is mapped until you do.")
                if len(sug.slot_ins):
                    st.markdown(f"**Slot-ins** ({len(sug.slot_ins)})")
                    st.dataframe(ui.slot_in_table(frame, sug.slot_ins, offered), hide_index=True,
                                 height=table_height(len(sug.slot_ins), most=320))
                if len(sug.pools):
                    st.markdown(f"**Ring-fenced pools** ({len(sug.pools)}): more candidates than "
                                "places")
                    st.dataframe(ui.pool_table(sug.pools, offered), hide_index=True)
                if sug.at_risk:
                    st.markdown(f"**At risk** ({len(sug.at_risk)}): no post matches well enough: "
                                + ", ".join(sug.at_risk))
                if st.button("Accept these suggestions", key="mapping_accept",
                             type="primary") and ui.accept(
                        actor, chosen.id, version, slot_ins=sug.slot_ins, pools=sug.pools,
                        at_risk=sug.at_risk, posts=offered):
                    st.rerun()
        if ui.may_edit(actor):
            edited = st.data_editor(shown, hide_index=True, key=grid_key,
                                    placeholder=BLANK,
                                    column_config=ui.grid_config(posts, list(pools["name"])),
                                    height=table_height(len(shown), most=560),
                                    disabled=[c for c in shown.columns if c not in ui.EDITABLE])
            rows = ui.changed_rows(shown, edited)
            st.caption(f"{plural(len(rows), 'change', 'changes')} not saved." if rows
                       else "No unsaved changes.")
            if st.button("Save the mapping", type="primary", disabled=not rows,
                         key="mapping_save") and ui.save(actor, chosen.id, rows, version):
                st.rerun()
            with st.expander("Edit in Excel", icon=":material/table_view:"):
                st.caption("Download the mapping, change outcomes, posts, pools and notes in Excel, "
                           "and upload it back. Nothing is saved unless every row is valid; a "
                           "workbook downloaded before someone else's change is refused.")
                st.download_button("Download the mapping (.xlsx)",
                                   lambda: ui.mapping_xlsx(actor, chosen.id),
                                   file_name=f"mapping-{chosen.name}.xlsx", key="mapping_download",
                                   icon=":material/download:")
                sheet = st.file_uploader("Upload the edited workbook", type=["xlsx"],
                                         key=f"mapping_upload_{chosen.id}_{version}")
                if sheet is not None and st.button("Save the uploaded mapping", type="primary",
                                                   key="mapping_upload_save") and ui.upload(
                        actor, chosen.id, [(sheet.name, sheet.getvalue())]):
                    st.rerun()
            with st.expander("Ring-fenced pools", icon=":material/group_work:"):
                if len(pools):
                    st.dataframe(pools[["name", "posts", "members"]].rename(columns={
                        "name": "Pool", "posts": "Posts competed for", "members": "Members"}),
                        hide_index=True)
                with st.form("mapping_pool", clear_on_submit=True, border=False):
                    name = st.text_input("Pool name", max_chars=120)
                    pool_posts = st.multiselect("Posts the pool competes for", posts)
                    if st.form_submit_button("Save pool") and ui.save_pool(
                            actor, chosen.id, name, pool_posts, version):
                        st.rerun()
        else:
            st.dataframe(shown, hide_index=True, height=table_height(len(shown), most=560),
                         placeholder=BLANK)

if tab_bench.open:
    with tab_bench:
        table = ui.bench_table(frame)
        if table.empty:
            st.success("Everyone has a post in this option.")
        else:
            left, right = st.columns(2)
            left.markdown("**By grade**")
            left.dataframe(table, hide_index=True, height=table_height(len(table), most=420))
            by_partner = ui.bench_table(frame, "partner")
            right.markdown("**By partner** (the partner funding their post now)")
            right.dataframe(by_partner, hide_index=True,
                            height=table_height(len(by_partner), most=420))
            people = ui.bench_people(frame)
            st.markdown(f"**Who** ({len(people):,})")
            st.dataframe(people, hide_index=True, height=table_height(len(people), most=420))
        at_risk = int((frame["outcome"] == "at-risk").sum())
        if at_risk:
            st.markdown(f"**Redeployment** for the {plural(at_risk, 'person', 'people')} at risk")
            st.caption("The option's vacancies (new or changed posts not yet filled, and posts "
                       "no employee holds) within one grade of each person's. People on "
                       "maternity, adoption or shared parental leave come first: the law gives "
                       "them first call on a suitable vacancy. A redeployment starts a four-week "
                       "trial; its last day is shown as if it started today. To redeploy someone, "
                       "set their outcome to redeployed and the vacancy in the Mapping tab.")
            offers = ui.redeployment(actor, read, chosen.id)
            if offers.empty:
                st.info("No vacancy in this option is within one grade of anyone at risk.")
            else:
                st.dataframe(offers, hide_index=True, height=table_height(len(offers), most=420))

if tab_cost.open:
    with tab_cost:
        bill = ui.bill_of(actor, chosen.id)
        assert bill is not None  # mapping.read, an option, a baseline: all checked above
        ui.payback_summary(bill)
        left, right = st.columns(2)
        left.markdown("**By kind**")
        left.dataframe(ui.money_rows(bill.by_kind), hide_index=True)
        right.markdown("**By partner**")
        right.dataframe(ui.money_rows({str(r.partner): int(r.exit_pence)
                                       for r in bill.by_partner.itertuples(index=False)}),
                        hide_index=True)
        if can(actor, "mapping.costs") and len(bill.people):
            st.markdown("**Each person leaving** (hr only)")
            st.dataframe(ui.person_costs(bill), hide_index=True, column_config=ui.PERSON_CONFIG)
