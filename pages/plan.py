"""Financial plan: an option's savings against each council's target, year by year (issue 15)."""

import streamlit as st

from planner.charts import plan as charts
from planner.core.auth import can
from planner.finance.assumptions import DEFAULTS_TEXT, MAX_YEARS, MIN_YEARS
from planner.ui import compare as cmp
from planner.ui import format as fmt
from planner.ui import plan as ui
from planner.ui.format import md_escape
from planner.ui.session import guard

actor = guard("plan.read")
st.title("Financial plan")
if (message := ui.pop_flash()) is not None:
    st.success(message)

available = ui.options(actor)
if not available:
    st.info("There is no option to plan yet. Make one on the Structure options page, or load "
            "the demo data with `python -m planner load-demo`.")
    st.stop()
names = dict(available)
chosen = st.selectbox("Option", list(names), format_func=names.get, key=ui.SELECT_KEY)
result = ui.result_of(actor, chosen)
a = result.assumptions

for col, (label, value, help_text) in zip(st.columns(4), ui.headline(result), strict=True):
    col.metric(label, value, help=help_text, border=True)
if not result.saved:
    st.info("This option has no saved plan: the figures use the stated defaults below.")

with st.expander("Assumptions", expanded=not result.saved):
    st.caption(md_escape(DEFAULTS_TEXT))
    if can(actor, "plan.edit"):
        _, version = ui.assumptions_of(actor, chosen)
        with st.form(f"plan_form_{chosen}_v{version}", border=False):
            c1, c2, c3, c4, c5 = st.columns(5)
            first_year = c1.selectbox("First year", ui.first_years(result.spine_year,
                                                                  a.first_year),
                                      index=ui.first_years(result.spine_year,
                                                           a.first_year).index(a.first_year))
            years = c2.number_input("Years", min_value=MIN_YEARS, max_value=MAX_YEARS,
                                    value=a.length, step=1)
            effective_on = c3.date_input("Option takes effect", value=a.effective_on,
                                         format="DD/MM/YYYY",
                                         help="The first of a month; a later day counts from "
                                              "the next month. 1 October is half the year.")
            vacancy = c4.number_input("Vacancy factor %", min_value=0.0, max_value=99.0,
                                      value=a.vacancy_factor_bp / 100, step=0.25,
                                      format="%.2f")
            increments = c5.checkbox("Increments each April", value=a.increments,
                                     help="Staff below the top of their grade move up a point "
                                          "each April.")
            st.markdown("**Pay award and on-costs by year** (blank NI and pension: the "
                        "settings' figures, or an earlier year's change)")
            by_year = st.data_editor(ui.years_frame(a), hide_index=True, num_rows="fixed",
                                     disabled=["Year"], key=f"plan_years_{chosen}_v{version}",
                                     width="stretch", placeholder=fmt.EDITOR_BLANK)
            st.markdown("**Savings targets and lump-sum one-off costs by partner** (the lump "
                        "sums are used only while the option has no people mapping)")
            partners = list(dict.fromkeys([*result.councils,
                                           *result.projection.table["partner"]]))
            targets = st.data_editor(ui.targets_frame(a, partners), hide_index=True,
                                     num_rows="fixed", disabled=["Partner"],
                                     key=f"plan_targets_{chosen}_v{version}", width="stretch",
                                     placeholder=fmt.EDITOR_BLANK)
            st.markdown("**Divisions or posts that take effect on a date of their own**")
            dates = st.data_editor(
                ui.dates_frame(a), hide_index=True, num_rows="dynamic",
                key=f"plan_dates_{chosen}_v{version}", width="stretch",
                placeholder=fmt.EDITOR_BLANK,
                column_config={"Applies to": st.column_config.SelectboxColumn(
                    options=list(ui.SCOPES)),
                    "Takes effect": st.column_config.DateColumn(format="D MMM YYYY")})
            if st.form_submit_button("Save the plan", type="primary"):
                try:
                    edited = ui.assumptions_from_form(
                        first_year=first_year, years=int(years), increments=increments,
                        vacancy_factor_pct=vacancy, effective_on=effective_on,
                        by_year=by_year, targets=targets, dates=dates)
                except Exception as exc:  # a typed value no plan can mean: say so
                    st.session_state[ui.ERRORS_KEY] = str(exc)
                else:
                    if ui.save(actor, chosen, edited, version):
                        st.rerun()
        if (problem := ui.error()) is not None:
            st.error(f"The plan was not saved: {md_escape(problem)}")
    else:
        st.markdown("  \n".join(md_escape(s) for s in ui.assumptions_summary(result)))

st.subheader("Year by year")
st.caption("Each partner's cost with the option against the establishment carried forward, "
           "in pounds to the penny; shared posts are split by the councils' shares. The "
           "option's cost is phased by its implementation dates; the vacancy factor comes off "
           "both. Totals are the sums of the rows.")
for label in result.projection.labels:
    table = ui.year_table(result, label)
    st.markdown(f"**{label}**")
    st.dataframe(table, hide_index=True, key=f"plan_table_{label}",
                 height=cmp.table_height(len(table)))
for text in ui.notes(result):
    st.caption(md_escape(text))

st.altair_chart(charts.savings_chart(charts.savings_frame(result.projection.table,
                                                          list(result.councils))),
                width="content")
st.altair_chart(charts.cumulative_chart(result.projection.monthly,
                                        result.projection.break_even_on), width="stretch")

st.subheader("Sensitivity to the pay award")
st.caption("The same plan with every year's percentage award one point lower and one point "
           "higher (a flat amount stays as it is).")
sens = ui.sensitivity_table(result)
st.dataframe(sens, hide_index=True, key="plan_sensitivity", height=cmp.table_height(len(sens)))

st.download_button(
    "Download the plan (.xlsx)", lambda: ui.plan_xlsx(result),
    file_name="financial-plan.xlsx", on_click="ignore", key="plan_download",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    help="An assumptions sheet, one sheet per year and a summary; the totals are formulas "
         "over the assumption cells and equal these figures when recalculated.")
