"""Structure options: the baseline and its options, new options, envelopes and post edits."""

import streamlit as st

from planner.core.auth import can
from planner.ui import compare as cmp
from planner.ui import drafts as drafts_ui
from planner.ui import establishment as est
from planner.ui import format as fmt
from planner.ui import mapping as mapping_ui
from planner.ui import options as ui
from planner.ui.format import md_escape
from planner.ui.session import guard

actor = guard("options.read")
st.title("Structure options")

message = ui.pop_flash()
if message:
    st.success(message)

show_archived = st.checkbox("Show archived options", key=ui.SHOW_ARCHIVED_KEY,
                            help="Archived options are read-only; restore one to change it.")
listing = ui.load_listing(actor, include_archived=show_archived)
if not listing.refs:
    st.info("There is no establishment yet. Import one on the Establishment page, or load the "
            "demo data with `python -m planner load-demo`.")
    st.stop()
by_id = {r.id: r for r in listing.refs}
editor_role = can(actor, "options.edit")

st.dataframe(listing.table, hide_index=True, column_config=ui.LIST_CONFIG, key="options_list")

if editor_role:
    with st.expander("New option", icon=":material/add:"):
        copy_tab, import_tab = st.tabs(["Copy a structure", "Import from a file"])
        with copy_tab, st.form("create_option", clear_on_submit=False, border=False):
            name = st.text_input("Name", max_chars=120, key="create_name",
                                 placeholder="e.g. Option B: merged service desk")
            source = st.selectbox("Copy from", list(by_id), format_func=lambda i: by_id[i].name,
                                  key="create_source")
            description = st.text_area("Description", max_chars=2000, key="create_description")
            if st.form_submit_button("Create option", type="primary"):
                new_id = ui.create(actor, name=name, source=source, description=description)
                if new_id is not None:
                    st.session_state[ui.SELECT_KEY] = new_id
                    st.rerun()
        with copy_tab:
            ui.show_errors(ui.CREATE_ERRORS_KEY, "The option was not created:")
        with import_tab:
            st.caption("A posts sheet (.xlsx) or posts.csv in the establishment's format. A "
                       "post_id of the structure you start from continues that post (its people "
                       "follow it); any other post_id is a new post; a post missing from the "
                       "file is deleted in the option. All-or-nothing.")
            files = st.file_uploader("Posts file", type=["xlsx", "csv"],
                                     accept_multiple_files=True, key="option_import_files")
            import_name = st.text_input("Name of the new option", max_chars=120,
                                        key="option_import_name")
            import_source = st.selectbox("Compared with", list(by_id),
                                         format_func=lambda i: by_id[i].name,
                                         key="option_import_source")
            if st.button("Import option", type="primary", key="option_import_button",
                         disabled=not files):
                oversize = est.too_large(files)
                if oversize:
                    st.error("Too large to import: " + ", ".join(oversize))
                else:
                    new_id = ui.run_import(actor, name=import_name, source=import_source,
                                           files=[(f.name, f.getvalue()) for f in files])
                    if new_id is not None:
                        st.session_state[ui.SELECT_KEY] = new_id
                        st.rerun()
            ui.show_errors(ui.IMPORT_ERRORS_KEY, "The import was refused:")

ui.default_selection(listing)
chosen = by_id[st.selectbox("Work on", list(by_id), format_func=lambda i: by_id[i].name,
                            key=ui.SELECT_KEY)]
is_option = chosen.kind == "option"
archived = chosen.id in listing.archived

if archived:
    st.info(f"{md_escape(chosen.name)} is archived: it is read-only. Restore it to change it.")
    if editor_role and st.button("Restore option", key="option_restore") and ui.set_archived(
            actor, chosen, False):
        st.rerun()

if is_option:
    conflicts = ui.load_conflicts(actor, chosen)
    if len(conflicts):
        with st.container(border=True, key="option_conflicts"):
            st.markdown(f"**What the last establishment import could not carry into "
                        f"{md_escape(chosen.name)} on its own** "
                        f"({len(conflicts)} to review)")
            for message in conflicts["message"]:
                st.markdown(f"- {md_escape(message)}")
            if editor_role and not archived:
                picked = st.multiselect(
                    "Dealt with", list(conflicts["id"]), key=f"conflicts_pick_{chosen.id}",
                    format_func=dict(zip(conflicts["id"], conflicts["message"],
                                         strict=True)).get,
                    placeholder="Choose the conflicts you have dealt with")
                c1, c2 = st.columns(2)
                if c1.button("Mark chosen as dealt with", key="conflicts_resolve_some",
                             disabled=not picked) and ui.resolve(actor, chosen,
                                                                 [int(i) for i in picked]):
                    st.rerun()
                if c2.button("Mark all as dealt with", key="conflicts_resolve_all") and (
                        ui.resolve(actor, chosen, None)):
                    st.rerun()

tabs = ["Cost and envelope"]
if is_option and editor_role and not archived:
    tabs += ["Edit posts", "Name and description"]
if is_option and drafts_ui.may_publish(actor) and not archived:
    tabs += ["Publish a draft"]
containers = dict(zip(tabs, st.tabs(tabs, key="options_tab", on_change="rerun"), strict=True))

if containers["Cost and envelope"].open:
    with containers["Cost and envelope"]:
        cost = cmp.cost_of(actor, chosen)
        if is_option:
            wanted = st.toggle(ui.RECRUITED_LABEL, value=cost.assume_recruited,
                               key=ui.recruited_key(chosen),
                               disabled=not editor_role or archived)
            st.caption(ui.RECRUITED_CAPTION)
            if editor_role and wanted != cost.assume_recruited and ui.save_assume_recruited(
                    actor, chosen, wanted):
                st.rerun()
        for row in fmt.metric_rows(ui.envelope_metrics(cost)):
            for col, (label, value, help_text) in zip(st.columns(len(row)), row, strict=True):
                col.metric(label, value, help=help_text, border=True)
        over = ui.over_headline(cost)
        if over:
            st.error(md_escape(over), icon=":material/trending_down:")
        st.caption(md_escape(ui.customer_posts_caption(cost)))
        st.dataframe(ui.statement_table(cost), hide_index=True,
                     column_config=ui.STATEMENT_CONFIG, key="options_statement")
        st.dataframe(ui.envelope_table(cost), hide_index=True, column_config=ui.ENVELOPE_CONFIG,
                     key="options_envelope")
        for warning in cost.envelope().warnings:
            st.warning(md_escape(warning))
        for note in ui.band_notes(cost):
            st.caption(md_escape(note))
        if can(actor, "establishment.export") and can(actor, "personal.read"):
            st.download_button(
                "Download as a published organogram (.zip)",
                lambda: est.organogram_zip(actor, chosen.id),
                file_name=f"organogram-{chosen.id}.zip", mime="application/zip",
                on_click="ignore", key="options_organogram",
                help="senior.csv and junior.csv in the government's organogram format, pay "
                     "in £5,000 bands and every name N/D, and senior_salaries.csv (posts paid "
                     "over £50,000, Local Government Transparency Code).")
        bill = mapping_ui.bill_of(actor, chosen.id, whole=False) if is_option else None
        if bill is not None:
            st.subheader("One-off cost and payback")
            if mapping_ui.mapped_at_all(bill):
                mapping_ui.payback_summary(bill)
            else:
                st.info(f"Nobody in {md_escape(chosen.name)} is mapped yet, so its exit bill "
                        "is not known. Map people to their outcomes to see the one-off cost "
                        "and the payback.", icon=":material/group:")
            st.caption("Who goes where, and the bill by kind and by partner: the People "
                       "mapping page.")
        may_set = can(actor, "options.edit" if is_option else "establishment.edit") and (
            not archived)
        if may_set:
            with st.form("envelope_form", border=True):
                st.markdown(f"**Budget envelope of {md_escape(chosen.name)}**")
                c1, c2 = st.columns(2)
                total = c1.text_input(
                    "Envelope (£)", key=f"envelope_total_{chosen.id}_v{chosen.version}",
                    value="" if cost.envelope_pence is None else f"{cost.envelope_pence / 100:,.2f}",
                    help="The budget for the months below; blank for none.")
                months = c2.number_input("Months it covers", min_value=1, max_value=60,
                                         value=cost.envelope_months, step=1,
                                         key=f"envelope_months_{chosen.id}_v{chosen.version}")
                st.caption("Each council pays a fixed amount or a share (%) of what the fixed "
                           "amounts leave; leave every row blank to use the councils' shares "
                           "on the Reference data page. Customers pay for their own posts and "
                           "hold no part of the envelope.")
                table = st.data_editor(ui.share_table(cost), hide_index=True,
                                       placeholder=fmt.EDITOR_BLANK,
                                       column_config=ui.SHARE_CONFIG, num_rows="fixed",
                                       key=f"envelope_shares_{chosen.id}_v{chosen.version}")
                if st.form_submit_button("Save envelope", type="primary") and ui.save_envelope(
                        actor, chosen, total=total, months=months, table=table):
                    st.rerun()
            ui.show_errors(ui.ENVELOPE_ERRORS_KEY, "The envelope was not saved:")

if "Edit posts" in containers and containers["Edit posts"].open:
    with containers["Edit posts"]:
        st.caption("Change cells, add rows at the bottom or select rows to delete, then save. "
                   "People stay in their baseline posts and follow the post they continue. "
                   "Nothing is written until you press Save changes.")
        if ui.pinned_version(chosen) != chosen.version:
            st.warning(f"{md_escape(chosen.name)} has changed since you opened this editor. "
                       "Save to keep your changes (a post someone else changed is refused), "
                       "or reload to see theirs and discard yours.")
            if st.button("Reload", key="option_reload"):
                ui.unpin(chosen)
                st.rerun()
        original = ui.editor_input(actor, chosen)
        key = ui.editor_key(chosen)
        st.data_editor(original, key=key, num_rows="dynamic", hide_index=True,
                       placeholder=fmt.EDITOR_BLANK, column_config=est.editor_config(est.grade_names()),
                       height=est.TABLE_HEIGHT)
        preview = ui.edit_preview(actor, chosen, original, st.session_state.get(key))
        if preview:
            st.info(preview, icon=":material/calculate:")
        if st.button("Save changes", type="primary", key="option_save_posts") and ui.save_posts(
                actor, chosen, original, st.session_state[key]):
            st.rerun()
        stale = ui.stale_message()
        if stale:
            st.error(stale)
        ui.show_errors(ui.EDIT_ERRORS_KEY, "Your changes were not saved:")

if "Name and description" in containers and containers["Name and description"].open:
    with containers["Name and description"]:
        with st.form(f"details_{chosen.id}_v{chosen.version}", border=True):
            new_name = st.text_input("Name", value=chosen.name, max_chars=120)
            new_description = st.text_area("Description", value=chosen.description,
                                           max_chars=2000)
            if st.form_submit_button("Save", type="primary") and ui.save_details(
                    actor, chosen, name=new_name, description=new_description,
                    current_description=chosen.description):
                st.rerun()
        ui.show_errors(ui.DETAILS_ERRORS_KEY, "Nothing was saved:")
        st.markdown("**Archive this option**")
        st.caption("An archived option is read-only and hidden from the lists until restored; "
                   "establishment imports still carry it along.")
        if st.button("Archive option", key="option_archive") and ui.set_archived(
                actor, chosen, True):
            st.rerun()
        st.markdown("**Delete this option**")
        sure = st.checkbox(f"Yes, delete {md_escape(chosen.name)} and its posts",
                           key=f"delete_confirm_{chosen.id}")
        if st.button("Delete option", key="option_delete", disabled=not sure) and ui.delete(
                actor, chosen):
            st.rerun()

if "Publish a draft" in containers and containers["Publish a draft"].open:
    with containers["Publish a draft"]:
        flash = st.session_state.pop(drafts_ui.FLASH_KEY, None)
        if flash:
            st.success(flash)
        st.caption("Publishing issues the option to the trade unions as a numbered draft: a "
                   "frozen copy, redacted as it is written. Later edits to the option never "
                   "change it; publish again for the next draft.")
        check = drafts_ui.checklist(actor, chosen.id)
        st.markdown(f"**Before draft {check.summary['next_draft']} is published**")
        for item in check.checks:
            (st.success if item.ok else st.error)(
                f"**{md_escape(item.name)}**: {md_escape(item.detail)}",
                icon=":material/check_circle:" if item.ok else ":material/cancel:")
        st.markdown("**What the representatives will read**: "
                    + "; ".join(check.summary["shown"]) + ". **Never**: "
                    + ", ".join(check.summary["never_shown"]) + ".")
        with st.form(f"publish_{chosen.id}", border=True):
            note = st.text_area("Covering note", max_chars=4000,
                                help="Shown with the draft: what it proposes and how to respond.")
            sure = st.checkbox("I have checked what will be shown, and it is ready to issue to "
                               "the trade unions.")
            if st.form_submit_button("Publish the draft", type="primary",
                                     disabled=not check.ready):
                if not sure:
                    st.error("Nothing was published: tick the confirmation first.")
                elif drafts_ui.publish(actor, chosen.id, note, chosen.version):
                    st.rerun()
        published = drafts_ui.drafts(actor)
        published = published[(published["structure_id"] == chosen.id)
                               & (published["status"] == "published")]
        if len(published):
            with (st.expander("Withdraw a draft", icon=":material/block:"),
                  st.form(f"withdraw_{chosen.id}", border=False)):
                number = st.selectbox("Draft", list(published["number"]),
                                      format_func=lambda n: f"Draft {n}")
                reason = st.text_area("Why it is withdrawn (the representatives read this)",
                                      max_chars=2000)
                row = published[published["number"] == number].iloc[0]
                if st.form_submit_button("Withdraw the draft") and drafts_ui.withdraw(
                        actor, int(row["id"]), reason, int(row["version"])):
                    st.rerun()
