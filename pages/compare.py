"""Compare: up to four structures side by side, the cost bridge, the difference post by post."""

import streamlit as st

from planner.charts import compare as cc
from planner.ui import compare as ui
from planner.ui import format as fmt
from planner.ui import mapping as mapping_ui
from planner.ui.format import md_escape
from planner.ui.session import database_url, guard

actor = guard("options.read")
st.title("Compare")

available = ui.structures(actor)
if not available:
    st.info("There is no establishment yet. Import one on the Establishment page, or load the "
            "demo data with `python -m planner load-demo`.")
    st.stop()
by_id = {s.id: s for s in available}
baseline = available[0]  # list_structures puts the baseline first

chosen_ids = st.multiselect(
    "Structures to compare", list(by_id), default=[s.id for s in available[:2]],
    format_func=lambda i: by_id[i].name, max_selections=ui.MAX_COMPARED, key=ui.SELECT_KEY,
    help="Up to four. Every figure is compared with the baseline, the current establishment.")
chosen = [by_id[i] for i in chosen_ids if i in by_id]
if not chosen:
    st.info("Choose at least one structure.")
    st.stop()

st.subheader("Side by side")
table = ui.figures_table(ui.figures(actor, chosen, baseline))
bills = {ref.name: mapping_ui.bill_of(actor, ref.id, whole=False) for ref in chosen}
if any(b is not None for b in bills.values()):  # managers and hr: never a union rep
    table = ui.with_rows_after(table, "Saving vs baseline (full year)",
                               mapping_ui.compare_rows(bills))
st.dataframe(ui.styled_figures(table), hide_index=True, key="compare_figures",
             height=ui.table_height(len(table)),
             column_config={"Figure": st.column_config.TextColumn("", width=230)})
st.caption("Costs are for a full year unless stated; spend and headroom cover the envelope's "
           "months. Options carry the baseline's people in the posts they continue. Headroom "
           "is the envelope less net spend, the sum of the councils' headroom; red names every "
           "council over its envelope. " + md_escape(ui.customer_posts_text()))

costs = {ref.name: ui.cost_of(actor, ref) for ref in chosen}
left, right = st.columns(2, gap="large")
left.altair_chart(cc.grade_mix_chart(
    cc.grade_mix({n: c.by_post for n, c in costs.items()}, ui.grades(database_url())),
    list(costs)), width="stretch")
right.altair_chart(cc.partner_chart(
    cc.partner_positions({n: c.envelope() for n, c in costs.items()}), list(costs)),
    width="stretch")

options = [ref for ref in chosen if ref.id != baseline.id]
st.subheader("From the baseline to an option")
if not options:
    st.info("Choose an option above to see what it changes against the baseline.")
else:
    other_id = st.selectbox("Option", [o.id for o in options], key=ui.OTHER_KEY,
                            format_func=lambda i: by_id[i].name)
    other = by_id.get(other_id, options[0])
    diff = ui.comparison_of(actor, baseline, other).frame
    base_cost, other_cost = ui.cost_of(actor, baseline).by_post, costs[other.name].by_post
    bridge = cc.cost_bridge(diff, base_cost, other_cost, base_name=baseline.name,
                            other_name=other.name)
    st.altair_chart(cc.bridge_chart(bridge), width="stretch")
    st.caption(ui.bridge_caption(bridge))
    bill = bills.get(other.name)
    if bill is not None:
        st.markdown(f"**What {md_escape(other.name)} costs to make, and when it pays back**")
        if mapping_ui.mapped_at_all(bill):
            mapping_ui.payback_summary(bill)
        else:
            st.info("Nobody in this option is mapped yet, so its exit bill is not known: map "
                    "people on the People mapping page.", icon=":material/group:")

    changed = cc.difference_table(diff, base_cost, other_cost)
    st.markdown(f"**Posts that change in {md_escape(other.name)}** ({len(changed):,})")
    listed = changed.head(ui.LIST_ROWS)
    st.dataframe(ui.difference_display(listed), hide_index=True, key="compare_difference",
                 placeholder=fmt.BLANK, column_config=ui.DIFFERENCE_CONFIG,
                 height=ui.table_height(len(listed), most=420))
    if ui.listed_note(len(changed), "posts"):
        st.caption(ui.listed_note(len(changed), "posts"))
    st.download_button(
        "Download the difference (.xlsx)",
        lambda: ui.difference_xlsx(changed, base=baseline.name, other=other.name),
        file_name="difference.xlsx", on_click="ignore", key="compare_download",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.subheader("Posts without an employee, and interims")
shown = st.selectbox("Structure", [s.id for s in chosen], key="compare_vacancies_of",
                     format_func=lambda i: by_id[i].name)
report = ui.vacancies_of(actor, by_id.get(shown, chosen[0]))
st.caption(ui.without_employee_sentence(report.covered_count, report.uncovered_count))
for row in fmt.metric_rows(ui.vacancy_headline(report)):
    for col, (label, value, help_text) in zip(st.columns(len(row)), row, strict=True):
        col.metric(label, value, help=help_text, border=True)
vacancy_rows = ui.vacancy_display(report)
st.dataframe(vacancy_rows.head(ui.LIST_ROWS), hide_index=True, key="compare_vacancies",
             placeholder=fmt.BLANK, column_config=ui.VACANCY_CONFIG,
             height=ui.table_height(min(len(vacancy_rows), ui.LIST_ROWS), most=420))
if ui.listed_note(len(vacancy_rows), "posts"):
    st.caption(ui.listed_note(len(vacancy_rows), "posts"))
vacancy_name = by_id.get(shown, chosen[0]).name
st.download_button("Download the list (.xlsx)",
                   lambda: ui.vacancies_xlsx(report, structure=vacancy_name),
                   file_name="vacancies.xlsx", on_click="ignore", key="compare_vacancies_download",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
