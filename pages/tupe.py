"""TUPE transfers: cohorts, their milestones, ELI and measures, and ETO rationales for options."""

import datetime as dt

import streamlit as st

from planner.core.auth import can
from planner.ui import format as fmt
from planner.ui import tupe as ui
from planner.ui.compare import table_height
from planner.ui.format import md_escape, plural
from planner.ui.session import guard

actor = guard("tupe.read")
st.title("TUPE transfers")
st.caption("People who came to the service from another employer, grouped by transferor and "
           "transfer date, with the statutory steps of each transfer (TUPE 2006; COSOP for "
           "transfers between public authorities).")

message = ui.pop_flash()
if message:
    st.success(message)
    st.toast(message, icon=":material/check_circle:")

today = dt.date.today()
editor = can(actor, "tupe.edit")
_, refs = ui.cohorts(actor, today)
if not refs:
    st.info(ui.EMPTY_MESSAGE)
    if editor and st.button("Check the establishment for transferees", key="tupe_sync",
                            type="primary") and ui.sync(actor):
        st.rerun()
    st.stop()
by_id = {r.id: r for r in refs}

st.dataframe(ui.cohorts_display(refs), hide_index=True, column_config=ui.COHORT_CONFIG,
             key="tupe_cohorts", height=table_height(len(refs), most=420))
if editor:
    with st.expander("People added since the last import?", icon=":material/group_add:"):
        st.caption("Imports gather transferees into cohorts on their own. After adding an "
                   "origin and transfer date to someone by hand, check again here.")
        if st.button("Check the establishment for transferees", key="tupe_sync") and ui.sync(
                actor):
            st.rerun()

ui.default_choice(ui.COHORT_KEY, list(by_id), refs[0].id)
chosen = by_id[st.selectbox("Cohort", list(by_id), format_func=lambda i: by_id[i].name,
                            key=ui.COHORT_KEY)]
steps = ui.milestones(actor, chosen.id, today)
for col, (label, value, help_text) in zip(st.columns(4), ui.headline(chosen, steps, today),
                                          strict=True):
    col.metric(label, value, help=help_text, border=True)
for flag in chosen.flags:
    st.warning(md_escape(flag), icon=":material/flag:")
if not chosen.flags:
    st.success("No flags: nothing about this transfer needs attention today.")

if editor and ui.pinned_version(chosen) != chosen.version:
    st.warning(f"{md_escape(chosen.name)} has changed since you opened its forms. Saving now "
               "is refused so nobody's change is lost; reload to see the latest.")
    if st.button("Reload", key="tupe_reload"):
        ui.unpin(ui.cohort_pin(chosen))
        st.rerun()

tabs = ["Milestones", "ELI and measures"]
if can(actor, "personal.read"):
    tabs.append("People")
if can(actor, "personal.read") and can(actor, "options.read"):
    tabs.append("ETO rationales")
if editor:
    tabs.append("Cohort settings")
containers = dict(zip(tabs, st.tabs(tabs, key=ui.TAB_KEY, on_change="rerun"), strict=True))

if containers["Milestones"].open:
    with containers["Milestones"]:
        table = ui.milestones_display(steps)
        height = table_height(len(table))
        if editor:
            st.caption("Enter the day each milestone was done (not a day still to come), then "
                       "save. Clear a date if it was entered by mistake.")
            with st.form(f"tupe_milestones_form_{chosen.id}", border=False):
                edited = st.data_editor(ui.styled_milestones(table),
                                        key=ui.editor_key(chosen, table), hide_index=True,
                                        num_rows="fixed", column_config=ui.MILESTONE_CONFIG,
                                        placeholder=fmt.EDITOR_BLANK,
                                        height=height)
                if st.form_submit_button("Save milestones", type="primary") and \
                        ui.save_milestones(actor, chosen, table, edited, today):
                    st.rerun()
        else:
            st.dataframe(ui.styled_milestones(table), hide_index=True, height=height,
                         placeholder=fmt.BLANK,
                         column_config=ui.MILESTONE_CONFIG, key="tupe_milestones")
        st.download_button(
            "Download milestones (.ics)", lambda: ui.milestones_ics(chosen, steps),
            file_name=ui.ics_file_name(chosen), mime="text/calendar", on_click="ignore",
            key="tupe_ics", icon=":material/calendar_month:",
            help="All-day events for Outlook or any calendar.")

if containers["ELI and measures"].open:
    with containers["ELI and measures"]:
        detail = ui.cohort_detail(actor, chosen.id)
        deadline = ui.due_of(steps, "eli")
        st.subheader("Employee liability information")
        st.caption(f"{md_escape(chosen.transferor)} must give it for every transferring "
                   f"employee by {ui.long_date(deadline)} (TUPE reg 11(6)), and update it if "
                   "anything changes (reg 11(5)).")
        if editor:
            with st.form(ui.form_key("eli_form", chosen)):
                received = st.date_input(
                    "Received on", value=detail.eli_received_on, min_value=ui.EARLIEST,
                    format="DD/MM/YYYY", key=ui.form_key("eli_received", chosen),
                    help="Leave blank until it arrives.")
                st.markdown("**It included** (TUPE reg 11(2))")
                ticked = [item.key for item in ui.ELI_ITEMS if st.checkbox(
                    f"{item.label} ({item.rule})", value=item.key in detail.eli_items,
                    key=ui.form_key(f"eli_{item.key}", chosen))]
                if st.form_submit_button("Save ELI", type="primary") and ui.save_eli(
                        actor, chosen, received_on=received, items=ticked, today=today):
                    st.rerun()
        else:
            st.markdown(f"Received: {ui.long_date(detail.eli_received_on)}")
            st.dataframe(ui.eli_table(detail), hide_index=True, column_config=ui.ELI_CONFIG,
                         key="tupe_eli")

        st.subheader("Measures")
        st.caption("What each employer envisages taking in connection with the transfer, or "
                   "none (TUPE reg 13(2)(d)). The transferee must tell the transferor its "
                   "measures in writing in time for representatives to be informed (reg "
                   "13(4)); consultation is needed where measures are envisaged (reg 13(6)).")
        if editor:
            with st.form(ui.form_key("measures_form", chosen)):
                left, right = st.columns(2)
                transferor_measures = left.text_area(
                    f"Measures {md_escape(chosen.transferor)} envisages",
                    value=detail.transferor_measures, max_chars=ui.MAX_MEASURES,
                    key=ui.form_key("transferor_measures", chosen))
                transferee_measures = right.text_area(
                    f"Measures {md_escape(chosen.transferee)} envisages",
                    value=detail.transferee_measures, max_chars=ui.MAX_MEASURES,
                    key=ui.form_key("transferee_measures", chosen))
                notified = st.date_input(
                    f"{md_escape(chosen.transferee)} notified its measures to "
                    f"{md_escape(chosen.transferor)} on", value=detail.measures_notified_on,
                    min_value=ui.EARLIEST, format="DD/MM/YYYY",
                    key=ui.form_key("measures_notified", chosen),
                    help="The day the written notice was sent; blank if not yet.")
                if st.form_submit_button("Save measures", type="primary") and ui.save_measures(
                        actor, chosen, transferor_measures=transferor_measures,
                        transferee_measures=transferee_measures, notified_on=notified,
                        today=today):
                    st.rerun()
        else:
            for who, text in ((chosen.transferor, detail.transferor_measures),
                              (chosen.transferee, detail.transferee_measures)):
                st.markdown(f"**{md_escape(who)}**: "
                            f"{md_escape(text) if text else 'none recorded'}")
            st.markdown(f"Notified to {md_escape(chosen.transferor)}: "
                        f"{ui.long_date(detail.measures_notified_on)}")

if "People" in containers and containers["People"].open:
    with containers["People"]:
        members = ui.people(actor, chosen.id)
        st.caption(f"{plural(len(members), 'person', 'people')} in the cohort. Personal data: "
                   "shown to managers, HR and administrators only.")
        st.dataframe(ui.people_display(members), hide_index=True, key="tupe_people", placeholder=fmt.BLANK,
                     column_config=ui.PEOPLE_CONFIG, height=table_height(len(members), most=420))

if "ETO rationales" in containers and containers["ETO rationales"].open:
    with containers["ETO rationales"]:
        st.caption("When an option changes the post of someone who came by TUPE, record the "
                   "economic, technical or organisational (ETO) reason entailing changes in "
                   "the workforce: without one, a change of terms because of the transfer is "
                   "void (TUPE reg 4(4)-(5)) and a dismissal is automatically unfair (reg 7).")
        opts = ui.options(actor)
        if not opts:
            st.info("There are no options yet. Create one on the Structure options page; "
                    "any change it makes to a transferee's post will be listed here.")
        else:
            by_option = {o.id: o for o in opts}
            ui.default_choice(ui.OPTION_KEY, list(by_option), opts[-1].id)
            option = by_option[st.selectbox("Option", list(by_option), key=ui.OPTION_KEY,
                                            format_func=lambda i: by_option[i].name)]
            changes = ui.eto_changes(actor, option.id)
            if changes.empty:
                st.success(f"{md_escape(option.name)} changes no post held by someone who "
                           "came by TUPE: no ETO rationale is needed.")
            else:
                missing = ui.missing_rationales(changes)
                if missing:
                    st.warning(f"{plural(len(missing), 'change')} without an ETO rationale:\n\n"
                               + "\n".join(f"- {md_escape(m)}" for m in missing),
                               icon=":material/warning:")
                else:
                    st.success("Every change to a transferee's post has an ETO rationale.")
                st.dataframe(ui.eto_display(changes), hide_index=True, key="tupe_eto",
                             column_config=ui.ETO_CONFIG,
                             height=table_height(len(changes), most=420))
                if editor:
                    rows, first = ui.change_choices(option.id, changes)
                    ui.default_choice(ui.CHANGE_KEY, list(rows), first)
                    picked = st.selectbox("Change", list(rows), key=ui.CHANGE_KEY,
                                          format_func=lambda k: ui.change_label(rows[k]))
                    row = rows[picked]
                    version = ui.pin(picked, int(row.version))
                    with st.form(f"tupe_eto_form_{picked}_v{version}"):
                        text = st.text_area(
                            "ETO rationale", value=str(row.rationale or ""),
                            max_chars=ui.MAX_RATIONALE, key=f"tupe_eto_text_{picked}_v{version}",
                            placeholder="e.g. The service desks merge: one team leader post "
                                        "replaces two (organisational reason entailing a "
                                        "change in the workforce).")
                        if st.form_submit_button("Save rationale", type="primary") and \
                                ui.save_rationale(actor, option.id, row, text):
                            st.rerun()
                    if version != int(row.version):
                        st.warning("Someone else changed this rationale since you opened it; "
                                   "saving is refused. Reload to see theirs.")
                        if st.button("Reload", key="tupe_eto_reload"):
                            ui.unpin(picked)
                            st.rerun()

if "Cohort settings" in containers and containers["Cohort settings"].open:
    with containers["Cohort settings"]:
        detail = ui.cohort_detail(actor, chosen.id)
        with st.form(ui.form_key("settings_form", chosen)):
            basis = st.selectbox(
                "Basis", ui.BASES, key=ui.form_key("basis", chosen), help=ui.BASIS_HELP,
                index=ui.BASES.index(chosen.basis) if chosen.basis in ui.BASES else 0)
            transferee = st.text_input("Transferee (the new employer)", value=chosen.transferee,
                                       max_chars=80, key=ui.form_key("transferee", chosen))
            weeks = st.number_input(
                "Inform representatives this many weeks before the transfer", min_value=1,
                max_value=52, step=1, value=detail.inform_weeks,
                key=ui.form_key("inform_weeks", chosen),
                help="TUPE reg 13(2) asks for \"long enough before\" the transfer to consult; "
                     "8 weeks is a planning default, not a statutory period. Changing it "
                     "re-dates the measures letter and the inform milestone.")
            if st.form_submit_button("Save settings", type="primary") and ui.save_settings(
                    actor, chosen, basis=basis, transferee=transferee, inform_weeks=int(weeks),
                    today=today):
                st.rerun()
