"""Establishment: the register of posts and people, its headline figures, edits and files."""

import streamlit as st

from planner.charts.establishment import grade_mix_chart, origin_chart, status_chart
from planner.core.auth import can
from planner.ui import establishment as ui
from planner.ui import format as fmt
from planner.ui.session import guard

actor = guard("establishment.read")
st.title("Establishment")

flash = ui.pop_flash()
if flash:
    st.success(flash)
imported = ui.pop_import_status()
assumed = ui.pop_organogram_assumptions()
if assumed:
    with st.container(border=True, key="organogram_assumptions"):
        st.markdown("**What the organogram import assumed**")
        st.markdown("\n".join(f"- {a}" for a in assumed))

register = ui.load_register(actor)
if register is None:
    st.info("There is no establishment yet. Import one below, or load the demo data with "
            "`python -m planner load-demo`.")
else:
    cols = st.columns(5)
    for col, (label, value, help_text) in zip(cols, ui.metric_values(register.metrics),
                                              strict=True):
        col.metric(label, value, help=help_text, border=True)
    st.caption(ui.without_employee_caption(register.metrics) + " "
               + ui.origin_summary(register.metrics))
    with st.expander("Filters", icon=":material/filter_list:"):
        chosen = ui.filter_widgets(register.frame, register.options)
    search = st.text_input("Search posts", key="register_search",
                           placeholder="Post id, title, team, grade, manager or holder's name")
    shown = ui.search_frame(ui.apply_filters(register.frame, chosen), search, hay=register.hay)

tabs = ["Register"]
if register is not None and can(actor, "establishment.edit"):
    tabs.append("Edit posts")
if can(actor, "establishment.import") or can(actor, "establishment.export"):
    tabs.append("Import and export")
containers = dict(zip(tabs, st.tabs(tabs, key="establishment_tab", on_change="rerun"),
                      strict=True))

if register is not None and containers["Register"].open:
    with containers["Register"]:
        left, middle, right = st.columns([5, 4, 3], gap="large")
        left.altair_chart(grade_mix_chart(shown, register.grades), width="stretch")
        middle.altair_chart(status_chart(shown), width="stretch")
        right.altair_chart(origin_chart(register.metrics.people_by_origin), width="stretch")
        page = ui.register_page(shown, st.session_state.get("register_page", 1))
        if page.pages > 1:
            st.number_input(f"Page (of {page.pages:,}; {ui.REGISTER_PAGE_ROWS:,} posts a page)",
                            min_value=1, max_value=page.pages, step=1, key="register_page")
        st.caption(f"Showing {len(shown):,} of {len(register.frame):,} posts."
                   + (f" Rows {page.first:,}–{page.last:,} are listed; download the rest."
                      if page.pages > 1 else ""))
        st.dataframe(ui.table_frame(page.rows), hide_index=True, column_config=ui.TABLE_CONFIG,
                     placeholder=fmt.BLANK, height=ui.TABLE_HEIGHT, key="establishment_table")
        st.download_button("Download this post (.xlsx)" if len(shown) == 1 else
                           f"Download these {len(shown):,} posts (.xlsx)",
                           lambda: ui.register_xlsx(shown), file_name="register.xlsx",
                           on_click="ignore", key="register_download",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml"
                                ".sheet")

if register is not None and "Edit posts" in containers and containers["Edit posts"].open:
    with containers["Edit posts"]:
        st.caption("Change cells, add rows at the bottom (a new post gets its id in its new "
                   "row) or select rows to delete, then save. Scroll right for Funding and "
                   "Notes. Nothing is written until you press Save changes; a save with any "
                   "problem changes nothing. Changing the filters discards unsaved edits.")
        original = ui.editor_input(shown)
        key = ui.editor_key(register, chosen)
        st.data_editor(original, key=key, num_rows="dynamic", hide_index=True,
                       placeholder=fmt.EDITOR_BLANK,
                       column_config=ui.editor_config(ui.grade_names()), height=ui.TABLE_HEIGHT)
        saved = st.button("Save changes", type="primary", key="save_posts") and ui.save_edits(
            actor, register, original, st.session_state[key])
        if saved:
            st.rerun()
        ui.show_errors(ui.EDIT_ERRORS_KEY, "Your changes were not saved:")

if "Import and export" in containers and containers["Import and export"].open:
    with containers["Import and export"]:
        if can(actor, "establishment.import"):
            st.subheader("Import")
            st.caption("A workbook with sheets posts, people and optionally partners, or "
                       "posts.csv, people.csv and partners.csv; or a published open-data "
                       "organogram: its senior and junior CSV files together, recognised by "
                       "their headings. An import replaces the establishment and is "
                       "all-or-nothing: a file with any error changes nothing.")
            files = st.file_uploader("Establishment files", type=["xlsx", "csv"],
                                     accept_multiple_files=True, key="import_files")
            keep_people = st.checkbox(
                "Keep the people (posts only)", key="import_keep_people",
                help="For an upload with posts but no people sheet: everyone stays in their "
                     "post when the upload keeps its post_id. Without this, such an upload is "
                     "refused rather than removing the people.")
            if st.button("Import", type="primary", key="import_button", disabled=not files):
                oversize = ui.too_large(files)
                if oversize:
                    st.error("Too large to import: " + ", ".join(oversize))
                else:
                    summary = ui.import_with_status(
                        actor, [(f.name, f.getvalue()) for f in files], keep_people=keep_people)
                    if summary is not None:
                        st.rerun()
            ui.show_import_status(imported)
            ui.show_errors(ui.IMPORT_ERRORS_KEY, "The import was refused:")
        if register is not None and can(actor, "establishment.export"):
            st.subheader("Export")
            c1, c2 = st.columns(2)
            c1.download_button(
                "Download workbook (.xlsx)", lambda: ui.export_xlsx(actor, register.structure_id),
                file_name="establishment.xlsx", on_click="ignore", key="export_xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            c2.download_button(
                "Download CSV files (.zip)",
                lambda: ui.export_csv_zip(actor, register.structure_id),
                file_name="establishment.zip", mime="application/zip", on_click="ignore",
                key="export_csv")
            if can(actor, "personal.read"):
                st.download_button(
                    "Download as a published organogram (.zip)",
                    lambda: ui.organogram_zip(actor, register.structure_id),
                    file_name="organogram.zip", mime="application/zip", on_click="ignore",
                    key="export_organogram",
                    help="senior.csv and junior.csv in the government's organogram format, "
                         "pay in £5,000 bands and every name N/D, and senior_salaries.csv "
                         "(posts paid over £50,000, Local Government Transparency Code).")
        if can(actor, "establishment.export") or can(actor, "establishment.import"):
            st.download_button(
                "Download the blank import template", ui.template_xlsx,
                file_name="establishment_template.xlsx", on_click="ignore", key="template",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
