"""Reference data: the pay spine, grades and partners (hr and admin may correct grades)."""

import streamlit as st

from planner.core.auth import can
from planner.core.errors import NotFound, ValidationFailed
from planner.establishment.reference import grades_frame, partners_frame, spine_frame, update_grade
from planner.ui.format import md_escape
from planner.ui.reference import partners_table, pay_year_choices, spine_table
from planner.ui.session import guard, reading, writing

actor = guard("reference.read")
st.title("Reference data")

notice = st.session_state.pop("reference_notice", None)
if notice:
    st.success(notice)

with reading() as session:
    years, current = pay_year_choices(session=session, actor=actor)
    grades = grades_frame(session=session, actor=actor)
    partners = partners_frame(session=session, actor=actor)

spine_tab, grades_tab, partners_tab = st.tabs(["Pay spine", "Grades", "Partners"])

with spine_tab:
    year = st.selectbox("Pay year", years, index=current, key="pay_year")
    with reading() as session:
        spine = spine_frame(session=session, actor=actor, pay_year=year)
    st.caption("Annual values at 1.0 FTE. NJC points come from the national agreement; local "
               "points above it follow the pay year's local rule.")
    st.dataframe(spine_table(spine), hide_index=True, key="spine_table", column_config={
        "pay_year": None,
        "scp": st.column_config.NumberColumn("Spinal point", format="%d"),
        "annual": st.column_config.TextColumn("Annual at 1.0 FTE"),
        "source": st.column_config.TextColumn("Source"),
    })

with grades_tab:
    st.dataframe(grades, hide_index=True, key="grades_table", column_config={
        "grade": st.column_config.TextColumn("Grade"),
        "min_scp": st.column_config.NumberColumn("Lowest point", format="%d"),
        "max_scp": st.column_config.NumberColumn("Highest point", format="%d"),
    })
    if can(actor, "reference.edit") and not grades.empty:
        with st.form("edit_grade"):
            st.markdown("**Change a grade's range**")
            c1, c2, c3 = st.columns(3)
            name = c1.selectbox("Grade", list(grades["grade"]))
            low = c2.number_input("Lowest point", min_value=1, max_value=99, step=1, value=1)
            high = c3.number_input("Highest point", min_value=1, max_value=99, step=1, value=99)
            if st.form_submit_button("Save grade", type="primary"):
                try:
                    with writing() as session:
                        update_grade(session=session, actor=actor, name=name,
                                     min_scp=int(low), max_scp=int(high))
                except ValidationFailed as exc:
                    st.error(md_escape(" ".join(e.message for e in exc.errors)))
                except NotFound as exc:
                    st.error(md_escape(str(exc)))
                else:
                    st.session_state["reference_notice"] = (
                        f"{md_escape(name)} now runs from point {int(low)} to {int(high)}.")
                    st.rerun()

with partners_tab:
    st.dataframe(partners_table(partners), hide_index=True, key="partners_table",
                 column_config={
                     "partner": st.column_config.TextColumn("Partner"),
                     "kind": st.column_config.TextColumn("Kind"),
                     "host": st.column_config.CheckboxColumn("Host"),
                     "share": st.column_config.TextColumn("Share of shared costs"),
                     "lgps_employer_rate": st.column_config.TextColumn("LGPS employer rate"),
                     "london_weighting": st.column_config.TextColumn("London weighting (a year)"),
                     "status": st.column_config.TextColumn(
                         "Status", help="Retired: no longer named by the establishment import's "
                                        "partners sheet; kept for history, charged nothing."),
                 })
