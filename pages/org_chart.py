"""Org chart: the reporting hierarchy drawn from the establishment, with spans and layers."""

import streamlit as st

from planner.charts import orgchart, orgchart_images
from planner.core.auth import can
from planner.structures.hierarchy import default_spans
from planner.structures.layout import layout
from planner.ui import orgchart as ui
from planner.ui.session import guard

actor = guard("establishment.read")
st.title("Org chart")

offered = ui.structures(actor)
if not offered:
    st.info("There is no establishment yet: import one on the Establishment page.")
    st.stop()
names = {sid: name for sid, name, _ in offered}
if len(offered) > 1:
    chosen = st.selectbox("Structure", list(names), format_func=names.__getitem__,
                          key=ui.STRUCTURE_KEY,
                          help="The current establishment or one of the structure options. An "
                               "option's boxes are outlined by how each post differs from the "
                               "establishment.")
else:
    chosen = offered[0][0]
chartable = ui.load_hierarchy(actor, chosen)
if chartable is None or len(chartable.hierarchy) == 0:
    st.info("This structure has no posts yet.")
    st.stop()
h = chartable.hierarchy
flash = st.session_state.pop(ui.FLASH_KEY, None)
if flash:
    st.success(flash)

for problem in h.problems():
    st.warning(problem.message, icon=":material/warning:")

c1, c2, c3 = st.columns([3, 4, 2])
query = c1.text_input("Find a post", key=ui.SEARCH_KEY,
                      placeholder="Title, post id or post-holder")
matches = orgchart.search(h, query) if query else []
options = matches or ui.focus_options(h)
default = orgchart.default_focus(h)
if query and not matches:
    c1.caption("No post matches; showing the top of the structure.")
focus = c2.selectbox("Focus on", options, key=ui.FOCUS_KEY, format_func=lambda p: orgchart.describe(h, p),
                     index=0 if options else None, help="The chart shows this post's chain of "
                     "command above it and the chosen number of levels below.")
depth = c3.slider("Levels below", 1, 6, 2, key=ui.DEPTH_KEY)

lay = layout(h, focus=focus or default, depth=depth, expanded=frozenset(
    st.session_state.get(ui.OPEN_KEY, [])), stack_over=1)
teams = orgchart.collapsed_teams(lay, h)
if teams or st.session_state.get(ui.OPEN_KEY):
    labels = dict(teams)
    st.multiselect("Open teams", list(labels) + [k for k in st.session_state.get(ui.OPEN_KEY, [])
                                                 if k not in labels],
                   format_func=lambda k: labels.get(k, k.split(":", 1)[-1]), key=ui.OPEN_KEY,
                   help="Large teams are drawn as one box; choose them here to open them.")
if lay.truncated:
    st.caption("Only part of this structure fits in one view: focus on a lower post to see "
               "the rest.")
changes = ui.changes_against_baseline(actor, chartable)
st.altair_chart(orgchart.org_chart(lay, h, changes=changes), width="content", key="org_chart")
note, button = st.columns([3, 1], vertical_alignment="center")
note.caption(f"{len(lay.boxes):,} boxes. Drag to pan, scroll to zoom, hover a box for its "
             "details; double-click to reset.")
if button.button("Export SVG and PNG", icon=":material/download:"):
    with st.status("Drawing the chart…", expanded=False) as status:
        svg, png = orgchart_images.chart_images(lay, h, changes=changes,
                                                progress=ui.status_progress(status))
        status.update(label="The chart is ready to download.", state="complete")
    d1, d2 = st.columns(2)
    d1.download_button("Download SVG", svg, file_name=f"org-chart-{focus}.svg",
                       mime="image/svg+xml")
    d2.download_button("Download PNG", png, file_name=f"org-chart-{focus}.png",
                       mime="image/png")

if chartable.is_option and focus and can(actor, "options.edit"):
    row = h.posts.loc[focus]
    with st.expander(f"Edit {focus} in {chartable.name}", icon=":material/edit:"):
        with st.form("org_edit_post"):
            e1, e2, e3 = st.columns([4, 2, 1])
            title = e1.text_input("Title", value=str(row.get("title", "")), max_chars=200)
            grade_names = ui.grades()
            grade = e2.selectbox("Grade", grade_names, index=grade_names.index(row["grade"])
                                 if row["grade"] in grade_names else None)
            fte = e3.text_input("FTE", value=str(row.get("fte", "")))
            e4, e5 = st.columns(2)
            reports_to = e4.text_input("Reports to (post id)", value=str(row.get("reports_to", "")))
            team = e5.text_input("Team", value=str(row.get("team", "")), max_chars=200)
            save, remove = st.columns([1, 5])
            saved = save.form_submit_button("Save post", type="primary")
            deleted = remove.form_submit_button("Delete post")
        if saved:
            edits = ui.post_edit(h, focus, {"title": title, "grade": grade or "", "fte": fte,
                                            "reports_to": reports_to, "team": team})
            if edits.is_empty():
                st.info("Nothing changed.")
            else:
                ui.save_post(actor, chartable, edits, f"Saved {focus} in {chartable.name}.")
                if ui.EDIT_ERRORS_KEY not in st.session_state:
                    st.rerun()
        if deleted:
            edits = ui.post_delete(h, focus)
            ui.save_post(actor, chartable, edits, f"Deleted {focus} from {chartable.name}.")
            if ui.EDIT_ERRORS_KEY not in st.session_state:
                st.session_state.pop(ui.FOCUS_KEY, None)
                st.rerun()
        errors = st.session_state.get(ui.EDIT_ERRORS_KEY)
        if errors is not None:
            st.error("Nothing was saved:")
            st.dataframe(errors, hide_index=True, width="stretch")

st.subheader("Spans and layers")
stats = h.span_stats()
narrow, wide = h.narrow_managers(), h.wide_managers()
narrow_span, wide_span = default_spans()
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("Layers", h.layers, border=True)
m2.metric("Managers", stats["managers"], border=True)
m3.metric("Median span", stats["median"] if stats["median"] is not None else "–", border=True)
m4.metric("Narrow spans", len(narrow), border=True,
          help=f"Managers with fewer than {narrow_span} direct reports.")
m5.metric("Wide spans", len(wide), border=True,
          help=f"Managers with more than {wide_span} direct reports.")
c1, c2, c3 = st.columns([4, 3, 4], gap="large")
histogram = h.spans_histogram()
if not histogram.empty:
    c1.altair_chart(orgchart.spans_chart(histogram), width="stretch")
c2.altair_chart(orgchart.layers_chart(h.posts_per_layer()), width="stretch")
with c3:
    st.markdown(f"**Narrow spans** ({len(narrow)})")
    st.dataframe(orgchart.manager_table(narrow, h), hide_index=True, width="stretch",
                 height=min(36 * (len(narrow) + 1) + 2, 250))
    st.markdown(f"**Wide spans** ({len(wide)})")
    if wide.empty:
        st.caption(f"No manager has more than {wide_span} direct reports.")
    else:
        st.dataframe(orgchart.manager_table(wide, h), hide_index=True, width="stretch",
                     height=min(36 * (len(wide) + 1) + 2, 250))
