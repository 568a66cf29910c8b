"""Audit: who changed what and when, in plain sentences, the raw record a click away
(hr and admin)."""

import json

import streamlit as st

from planner.core.audit_log import list_events
from planner.core.audit_text import names_for
from planner.ui import format as fmt
from planner.ui.session import guard, reading

actor = guard("audit.read")
st.title("Audit")
st.caption("Every change, sign-in and refused action, newest first (at most 1,000 rows). "
           "Select a row to see exactly what was recorded.")

c1, c2, c3, c4 = st.columns(4)
entity = c1.selectbox("Entity", fmt.AUDIT_ENTITIES, index=None, placeholder="All",
                      key="audit_entity", format_func=fmt.audit_word)
action = c2.selectbox("Action", fmt.AUDIT_ACTIONS, index=None, placeholder="All",
                      key="audit_action", format_func=fmt.audit_word)
username = c3.text_input("Username", key="audit_username").strip()
dates = c4.date_input("Between", value=(), key="audit_dates", format="DD/MM/YYYY")
since = dates[0] if len(dates) > 0 else None
until = dates[1] if len(dates) > 1 else since

with reading() as session:
    events = list_events(session=session, actor=actor, entity=entity, action=action,
                         username=username or None, since=since, until=until)
    names = names_for(session) if not events.empty else None

if events.empty:
    st.info("No audit events match these filters.")
else:
    table = fmt.audit_table(events, names)
    picked = st.dataframe(
        table, hide_index=True, key="audit_table", column_order=fmt.AUDIT_SHOWN,
        on_select="rerun", selection_mode="single-row", placeholder=fmt.BLANK,
        column_config={
            "at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM YYYY, HH:mm:ss",
                                                  width=170),
            "who": st.column_config.TextColumn("Who", width=150),
            "what": st.column_config.TextColumn("What happened", width="large"),
        },
    )
    rows = picked.selection.rows if picked is not None else []
    if rows:
        row = table.iloc[rows[0]]
        with st.expander("The record as written", expanded=True):
            st.markdown(f"**{fmt.md_escape(row['what'])}**")
            st.caption(f"Action {row['action']} · entity {row['entity']} · "
                       f"id {row['entity_id'] or '—'}")
            left, right = st.columns(2)
            for col, label, raw in ((left, "Before", row["before"]),
                                    (right, "After", row["after"])):
                col.markdown(f"**{label}**")
                if raw:
                    col.json(json.loads(raw))
                else:
                    col.caption("Nothing recorded.")
