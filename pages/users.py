"""Users: who may sign in, and with which role (admin)."""

import streamlit as st

from planner.core.auth import ROLES, add_user, list_users, reset_password, update_user
from planner.core.errors import ValidationFailed
from planner.ui import format as fmt
from planner.ui.session import guard, reading, writing

actor = guard("users.manage")
st.title("Users")

notice = st.session_state.pop("users_notice", None)
if notice:
    st.success(notice)

with reading() as session:
    users = fmt.users_table(list_users(session=session, actor=actor))
st.dataframe(users, hide_index=True, key="users_table", column_config={
    "username": st.column_config.TextColumn("Username"),
    "display_name": st.column_config.TextColumn("Name"),
    "role": st.column_config.TextColumn("Role"),
    "email": st.column_config.TextColumn("Email (organisation sign-in)"),
    "active": st.column_config.CheckboxColumn("Active"),
    "password": st.column_config.CheckboxColumn("Has password"),
})

st.subheader("Add a user")
with st.form("add_user", clear_on_submit=False):
    c1, c2 = st.columns(2)
    username = c1.text_input("Username", max_chars=80)
    role = c2.selectbox("Role", ROLES)
    display_name = c1.text_input("Display name", max_chars=200)
    email = c2.text_input("Email", max_chars=200,
                          help="Needed only for sign-in with the organisation account.")
    password = st.text_input("Password", type="password",
                             help="At least 10 characters. Leave blank for organisation "
                                  "sign-in only.")
    submitted = st.form_submit_button("Add user", type="primary")

if submitted:
    try:
        with writing() as session:
            user = add_user(session=session, actor=actor, username=username, role=role,
                            password=password or None, display_name=display_name,
                            email=email or None)
            created = user.username
    except ValidationFailed as exc:
        st.error("The user was not added.")
        st.dataframe(fmt.errors_table(exc), hide_index=True, key="user_errors")
    else:
        st.session_state["users_notice"] = f"Added {fmt.md_escape(created)} as {role}."
        st.rerun()

st.subheader("Change a user")
with reading() as session:
    current = {u.username: (u.role, u.active) for u in list_users(session=session, actor=actor)}
chosen = st.selectbox("User", list(current), index=None, placeholder="Choose a user",
                      key="users_change_pick")
if chosen:
    role_now, active_now = current[chosen]
    with st.form(f"change_user_{chosen}"):
        c1, c2 = st.columns(2)
        new_role = c1.selectbox("Role", ROLES, index=ROLES.index(role_now),
                                key=f"users_change_role_{chosen}")
        new_active = c2.toggle("Active (may sign in)", value=active_now,
                               key=f"users_change_active_{chosen}",
                               help="A deactivated user is signed out at their next click.")
        save = st.form_submit_button("Save changes", type="primary")
    if save:
        try:
            with writing() as session:
                update_user(session=session, actor=actor, username=chosen, role=new_role,
                            active=new_active)
        except ValidationFailed as exc:
            st.error(" ".join(e.message for e in exc.errors))
        else:
            st.session_state["users_notice"] = (
                f"Saved {fmt.md_escape(chosen)}: {new_role}, "
                f"{'active' if new_active else 'deactivated'}.")
            st.rerun()
    with st.form(f"reset_password_{chosen}", clear_on_submit=True):
        new_password = st.text_input("New password", type="password",
                                     help="At least 10 characters. The user's open sessions "
                                          "end.")
        reset = st.form_submit_button("Reset password")
    if reset:
        try:
            with writing() as session:
                reset_password(session=session, actor=actor, username=chosen,
                               password=new_password)
        except ValidationFailed as exc:
            st.error(" ".join(e.message for e in exc.errors))
        else:
            st.session_state["users_notice"] = f"New password set for {fmt.md_escape(chosen)}."
            st.rerun()
