"""Audit: who changed what and when, with before and after (hr and admin)."""

import streamlit as st

from planner.audit import list_events
from planner.ui import format as fmt
from planner.ui.session import guard, reading

actor = guard("audit.read")
st.title("Audit")
st.caption("Every change, sign-in and refused action, newest first (at most 1,000 rows).")

c1, c2, c3, c4 = st.columns(4)
entity = c1.selectbox("Entity", fmt.AUDIT_ENTITIES, index=None, placeholder="All",
                      key="audit_entity")
action = c2.selectbox("Action", fmt.AUDIT_ACTIONS, index=None, placeholder="All",
                      key="audit_action")
username = c3.text_input("Username", key="audit_username").strip()
dates = c4.date_input("Between", value=(), key="audit_dates", format="DD/MM/YYYY")
since = dates[0] if len(dates) > 0 else None
until = dates[1] if len(dates) > 1 else since

with reading() as session:
    events = list_events(session=session, actor=actor, entity=entity, action=action,
                         username=username or None, since=since, until=until)

if events.empty:
    st.info("No audit events match these filters.")
else:
    st.dataframe(
        fmt.audit_table(events), hide_index=True, key="audit_table",
        column_config={
            "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "user": st.column_config.TextColumn("User"),
            "action": st.column_config.TextColumn("Action"),
            "entity": st.column_config.TextColumn("Entity"),
            "entity_id": st.column_config.TextColumn("Id"),
            "change": st.column_config.TextColumn("Change", width="large"),
            "before": st.column_config.TextColumn("Before"),
            "after": st.column_config.TextColumn("After"),
        },
    )
