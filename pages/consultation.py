"""Consultation: an option's collective consultation against the statutory clock (TULRCA
ss.188-193, ERA s.86): headline figures, the rules panel, the timeline, the plan and stages,
what the s.188(4) letter discloses, the people at risk, and the letter and calendar."""

import datetime as dt

import streamlit as st

from planner.charts import consultation as charts
from planner.core.auth import can
from planner.core.errors import PlannerError
from planner.legal.consultation import PlanFields
from planner.ui import compare as cmp
from planner.ui import consultation as ui
from planner.ui import format as fmt
from planner.ui.format import md_escape
from planner.ui.session import guard

actor = guard("consultation.read")
st.title("Consultation")
today = dt.date.today()

message = ui.pop_flash()
if message:
    st.success(message)

refs = ui.options_for(actor)
if not refs:
    st.info(ui.empty_message(actor))
    st.stop()
by_id = {r.id: r for r in refs}
ui.default_selection(refs)
chosen = by_id[st.selectbox("Option", list(by_id), format_func=lambda i: by_id[i].name,
                            key=ui.SELECT_KEY)]
try:
    view = ui.load_view(actor, chosen.id, today)
except PlannerError as exc:
    st.error(md_escape(str(exc)))
    st.stop()
editor = can(actor, "consultation.edit")

st.caption(f"Status: {md_escape(view.structure_status)}. "
           f"{view.employees:,} employees in the establishment."
           + (f" Establishment for s.188: {md_escape(view.plan.establishment)}."
              if view.plan.establishment else ""))
figures = ui.headline(view)
for row in (figures[:3], figures[3:]):
    for col, (label, value, help_text) in zip(st.columns(3)[:len(row)], row, strict=True):
        col.metric(label, value, help=help_text, border=True)

st.subheader("Rules")
for breach in view.breaches:
    st.error(md_escape(breach), icon=":material/gavel:")
for warning in view.warnings:
    st.warning(md_escape(warning), icon=":material/schedule:")
clear = ui.all_clear(view)
if clear:
    st.success(md_escape(clear), icon=":material/check_circle:")
elif view.check is None:
    st.info("Set the launch date (the day the s.188(4) information reaches the "
            "representatives) to check the plan against s.188 and s.193.")

st.subheader("Timeline")
frame = charts.timeline_frame(view)
if frame.empty:
    st.info("Nothing to draw yet: set the launch date, or plan the stages' dates below.")
else:
    st.altair_chart(charts.timeline_chart(frame, today, lanes=charts.lanes_of(frame, view)),
                    width="stretch")
    st.caption("Bars: stages as planned, coloured by status, once they have dates; the thin "
               "dark bar inside is what actually happened. Diamonds: the statutory clock's "
               "days. Red: a breach or an overdue stage. The dashed line is today.")

st.subheader("Plan")
plan = view.plan
if editor:
    plan = ui.pinned_plan(view)
    if plan.version != view.plan.version:
        st.warning("Someone saved this plan after you opened it. Saving now is refused; "
                   "reload to see their changes (yours here are then discarded).")
        if st.button("Reload the plan", key="consultation_reload_plan"):
            ui.unpin(view.structure_id, plan=True)
            st.rerun()
    with st.form(f"consultation_plan_{view.structure_id}", border=True):
        establishment = st.text_input(
            "Establishment", value=plan.establishment, max_chars=200,
            key=ui.plan_key(plan, view.structure_id, "establishment"),
            help="The establishment for s.188: usually the site or service the staff are "
                 "assigned to.")
        dates = {}
        for col, (field, label, help_text) in zip(st.columns(4), ui.PLAN_DATES, strict=True):
            dates[field] = col.date_input(
                label, value=getattr(plan, field), format="DD/MM/YYYY", help=help_text,
                min_value=dt.date(2000, 1, 1), max_value=today + dt.timedelta(days=5 * 366),
                key=ui.plan_key(plan, view.structure_id, field))
        texts = {}
        left, right = st.columns(2)
        for i, (field, label, rule) in enumerate(ui.PLAN_TEXTS):
            texts[field] = (left if i % 2 == 0 else right).text_area(
                f"{label} ({rule})", value=getattr(plan, field), max_chars=ui.TEXT_LIMIT,
                key=ui.plan_key(plan, view.structure_id, field), height=110)
        if st.form_submit_button("Save plan", type="primary") and ui.save_plan(
                actor, view, PlanFields(establishment=establishment, **dates, **texts,
                                        version=plan.version), today):
            st.rerun()
    ui.show_plan_errors()
else:
    with st.container(border=True):
        st.markdown("  \n".join(f"**{md_escape(label)}:** {md_escape(text)}"
                                 for label, text in ui.plan_summary(view)))

st.subheader("Stages")
if editor:
    st.caption("Change dates, status, owner or notes, then save. A stage marked done needs "
               "its actual end date. Nothing is written until you press Save stages.")
    original = ui.pinned_stages(view)
    key = ui.stage_editor_key(view.structure_id, original)
    if ui.stages_changed(view, original):
        st.warning("Someone saved these stages after you opened them. Saving a stage they "
                   "changed is refused; reload to see theirs (your edits here are then "
                   "discarded).")
        if st.button("Reload the stages", key="consultation_reload_stages"):
            ui.unpin(view.structure_id, stages=True)
            st.rerun()
    st.data_editor(original, key=key, num_rows="fixed", hide_index=True,
                   placeholder=fmt.EDITOR_BLANK, column_config=ui.STAGE_EDITOR_CONFIG, column_order=ui.STAGE_EDITOR_ORDER,
                   height=cmp.table_height(len(original)))
    if st.button("Save stages", type="primary", key="consultation_save_stages") and \
            ui.save_stages(actor, view, original, st.session_state[key], today):
        st.rerun()
    ui.show_stage_errors()
else:
    st.dataframe(ui.stage_display(view), hide_index=True, key="consultation_stages",
                 placeholder=fmt.BLANK, column_config=ui.STAGE_VIEW_CONFIG,
                 height=cmp.table_height(len(view.stages)))

st.subheader("What the s.188(4) letter discloses")
st.markdown("**Employees proposed for dismissal, by description** (s.188(4)(b) and (c))")
if view.descriptions.empty:
    st.info("The option deletes no post held by an employee.")
else:
    st.dataframe(view.descriptions, hide_index=True, key="consultation_descriptions",
                 placeholder=fmt.BLANK, column_config=ui.DESCRIPTION_CONFIG,
                 height=cmp.table_height(len(view.descriptions), most=420))
st.markdown("**Agency and interim workers at the establishment** (s.188(4)(g))")
if view.agency.empty:
    st.info("No agency or interim workers to disclose.")
else:
    st.dataframe(view.agency, hide_index=True, key="consultation_agency",
                 placeholder=fmt.BLANK, column_config=ui.AGENCY_CONFIG,
                 height=cmp.table_height(len(view.agency), most=420))
    st.caption("Every agency and interim worker the service uses, where they work and the "
               "type of work, not only those in deleted posts (the headline counts those).")

if view.people is not None:
    st.subheader("People at risk")
    if view.people.empty:
        st.info("Nobody is in a post this option deletes.")
    else:
        people = ui.people_display(view.people)
        st.dataframe(people, hide_index=True, key="consultation_people",
                     placeholder=fmt.BLANK, column_config=ui.PEOPLE_CONFIG,
                     height=cmp.table_height(len(people), most=600))
        st.caption("Statutory notice (ERA s.86) for the planned first dismissal; a contract "
                   "may give more. Agency and interim workers have none from the council.")

st.subheader("Downloads")
letter, calendar = ui.downloads(view)
employer = ui.employer_name()
row = st.container(horizontal=True, gap="medium")
row.download_button(letter.label, lambda: ui.disclosure_file(view, employer, today),
                    file_name=letter.file_name, mime=letter.mime, on_click="ignore",
                    key="consultation_docx", icon=":material/description:")
row.download_button(calendar.label, lambda: ui.calendar_file(view),
                    file_name=calendar.file_name, mime=calendar.mime, on_click="ignore",
                    key="consultation_ics", icon=":material/calendar_month:")
st.caption("The Word document carries the s.188(4) information and the HR1 figures: counts "
           "and descriptions, no names or pay. The calendar holds the stages and the statutory "
           "dates for Outlook.")
