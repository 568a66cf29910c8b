"""Equality impact: who an option puts at risk against the whole service, the three signed-off
checkpoints, and (hr only) the equality records behind them."""

import streamlit as st

from planner.charts import equality as ec
from planner.core.values import long_date
from planner.equality import display
from planner.ui import compare as cmp
from planner.ui import equality as ui
from planner.ui import establishment as est
from planner.ui.format import md_escape
from planner.ui.session import guard

actor = guard("equality.read")
st.title("Equality impact")

message = ui.pop_flash()
if message:
    st.success(message)

refs = ui.options_for(actor)
if not refs:
    st.info("No option has been published for consultation yet." if not ui.may_set_status(actor)
            and not ui.may_unsuppress(actor) else
            "There are no structure options yet. Create one on the Structure options page.")
    st.stop()
by_id = {r.id: r for r in refs}
ui.default_selection(refs)
chosen = by_id[st.selectbox("Option", list(by_id), format_func=lambda i: by_id[i].name,
                            key=ui.SELECT_KEY)]
st.caption(f"Status: {md_escape(chosen.status)}. {ui.risk_basis_text(chosen.id)}")

tabs = [ui.TAB_ANALYSIS, ui.TAB_CHECKPOINTS]
if ui.may_edit_records(actor):
    tabs.append(ui.TAB_RECORDS)
containers = dict(zip(tabs, st.tabs(tabs, key=ui.TAB_KEY, on_change="rerun"), strict=True))

if containers[ui.TAB_ANALYSIS].open:
    with containers[ui.TAB_ANALYSIS]:
        unsuppressed = False
        if ui.may_unsuppress(actor):
            unsuppressed = st.toggle(
                ui.UNSUPPRESSED_LABEL, value=False, key=ui.UNSUPPRESSED_KEY,
                help="Small counts are hidden by default, even for HR. The download is always "
                     "suppressed.")
        result = ui.shown(ui.analysis, actor, chosen, unsuppressed=unsuppressed)
        if not result.suppressed:
            st.warning("These figures are not suppressed and may identify people. Do not copy "
                       "or share them; the summary download is always suppressed.",
                       icon=":material/visibility:")
        for col, (label, value, help_text) in zip(st.columns(4), ui.headline(result),
                                                  strict=True):
            col.metric(label, value, help=help_text, border=True)
        pairs = ec.characteristics(result.table)
        specs = ui.chart_specs(result.table, result.grade_mix, result.part_time)
        general, notes = ui.sort_warnings(result.warnings, [label for _, label in pairs])
        if general:
            st.warning(ui.warnings_text(general), icon=":material/info:")

        st.subheader("At-risk share by group against the whole service")
        st.caption(ui.chart_caption(result))
        for start in range(0, len(pairs), 2):
            for col, (key, label) in zip(st.columns(2, gap="large"), pairs[start:start + 2],
                                         strict=False):
                col.vega_lite_chart(specs[key], width="stretch")
                shown_notes = [md_escape(ui.note_text(n, label)) for n in notes.get(label, [])]
                if shown_notes and ui.needs_attention(result.table, key):
                    col.warning("\n\n".join(shown_notes), icon=":material/priority_high:")
                else:
                    for note in shown_notes:
                        col.caption(note)

        st.subheader("Grade mix and part-time working")
        left, right = st.columns(2, gap="large")
        left.vega_lite_chart(specs["grade_mix"], width="stretch")
        right.vega_lite_chart(specs["part_time"], width="stretch")

        st.subheader("The figures")
        method = ui.suppression_method(result)
        if method:
            st.caption(md_escape(method))
        display = display.analysis_display(result.table)
        st.dataframe(display, hide_index=True, column_config=ui.ANALYSIS_CONFIG,
                     key="equality_table", height=cmp.table_height(len(display), most=560))
        st.download_button(
            ui.DOWNLOAD_LABEL, lambda: ui.summary(actor, chosen), file_name=ui.file_name(chosen),
            on_click="ignore", key="equality_download", icon=":material/download:",
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            help="The three checkpoints and the suppressed analysis, for the equality file.")

if containers[ui.TAB_CHECKPOINTS].open:
    with containers[ui.TAB_CHECKPOINTS]:
        if ui.may_set_status(actor):
            with st.container(border=True):
                st.markdown(f"**Status of {md_escape(chosen.name)}**")
                left, right = st.columns([3, 1], vertical_alignment="bottom")
                wanted = left.selectbox(
                    "Status", ui.SETTABLE_STATUSES, key=f"equality_status_{chosen.id}_v"
                    f"{chosen.version}", index=ui.SETTABLE_STATUSES.index(chosen.status)
                    if chosen.status in ui.SETTABLE_STATUSES else 0)
                if right.button("Set status", key="equality_set_status") and ui.set_status(
                        actor, chosen, wanted):
                    st.rerun()
                st.caption("An option is marked final only once stage 2 is signed off, and "
                           "implemented only once stage 3 has a due date.")
                refusal = ui.status_message()
                if refusal:
                    st.error(refusal)

        assess = ui.may_assess(actor)
        checkpoints = ui.shown(ui.checkpoints_of, actor, chosen)
        first_open = next((c.stage for c in checkpoints if not c.signed_off), None)
        for cp in checkpoints:
            with st.expander(ui.stage_title(cp), expanded=cp.stage == first_open):
                short = cp.name.split(":")[0]
                if assess and not cp.signed_off:
                    opened = ui.pinned(chosen, cp)
                    if opened.version != cp.version:
                        st.warning(f"{short} has changed since you opened it. Save to keep "
                                   "your changes (refused if they clash), or reload to see the "
                                   "saved version and discard yours.")
                        if st.button("Reload", key=f"equality_reload_{cp.stage}"):
                            ui.unpin(chosen, cp.stage)
                            st.rerun()
                    due = st.date_input("Due date", value=opened.due_on, format="DD/MM/YYYY",
                                        key=ui.due_key(chosen, opened))
                    original = ui.editor_input(opened)
                    key = ui.editor_key(chosen, opened)
                    st.data_editor(original, key=key, hide_index=True, num_rows="fixed",
                                   column_config=ui.IMPACT_EDIT_CONFIG)
                    save_col, sign_col, _ = st.columns([1, 1, 3])
                    if save_col.button(f"Save {short.lower()}", key=f"equality_save_{cp.stage}",
                                       type="primary") and ui.save_checkpoint(
                            actor, chosen, opened, due, st.session_state.get(key)):
                        st.rerun()
                    if sign_col.button(f"Sign off {short.lower()}",
                                       key=f"equality_sign_{cp.stage}") and ui.sign_off(
                            actor, chosen, opened, unsaved=ui.has_changes(
                                original, st.session_state.get(key), due, opened)):
                        st.rerun()
                else:
                    due = long_date(cp.due_on, "not set")
                    st.markdown(f"**Due:** {md_escape(due)}")
                    st.dataframe(ui.impacts_display(cp.impacts), hide_index=True,
                                 column_config=ui.IMPACT_VIEW_CONFIG,
                                 key=f"equality_impacts_view_{cp.stage}")
                    if assess and cp.signed_off and st.button(
                            "Withdraw sign-off", key=f"equality_withdraw_{cp.stage}") and \
                            ui.withdraw(actor, chosen, cp):
                        st.rerun()
                ui.stage_messages(chosen, cp.stage)

if ui.TAB_RECORDS in containers and containers[ui.TAB_RECORDS].open:
    with containers[ui.TAB_RECORDS]:
        st.caption("Special-category data (UK GDPR art. 9): seen and changed by HR only, never "
                   "exported. Blank is unknown. A person marked withdrawn leaves every "
                   "analysis.")
        key, original = ui.records_input(actor)
        st.data_editor(original, key=key, hide_index=True, num_rows="fixed",
                       column_config=ui.RECORDS_CONFIG,
                       height=cmp.table_height(len(original), most=460))
        save_col, reload_col, _ = st.columns([1, 1, 4])
        if save_col.button("Save records", key="equality_records_save", type="primary") and \
                ui.save_records(actor, original, st.session_state.get(key)):
            st.rerun()
        if reload_col.button("Reload", key="equality_records_reload"):
            ui.reload_records()
            st.rerun()
        refusal = ui.records_message()
        if refusal:
            st.error(refusal)
        est.show_errors(ui.RECORDS_ERRORS_KEY, "The records were not saved:")

        st.markdown("**Import an equality sheet**")
        st.caption("An `equality` sheet (.xlsx) or equality.csv: employee_id and the answers, "
                   "blank for unknown. All-or-nothing.")
        files = st.file_uploader("Equality file", type=["xlsx", "csv"],
                                 accept_multiple_files=True, key="equality_import_files")
        if st.button("Import equality data", key="equality_import", disabled=not files):
            oversize = est.too_large(files)
            if oversize:
                st.error("Too large to import: " + ", ".join(oversize))
            elif ui.import_records(actor, [(f.name, f.getvalue()) for f in files]):
                st.rerun()
        est.show_errors(ui.IMPORT_ERRORS_KEY, "The import was refused:")
