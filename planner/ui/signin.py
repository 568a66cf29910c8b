"""The sign-in page: a password form, and the organisation's identity provider when configured.

Every attempt is audited by planner.core.auth (signin / signin_failed); this module only arranges
the widgets and starts the session.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from planner.core.auth import (
    Actor,
    AuthenticationFailed,
    SignInLocked,
    actor_for_email,
    authenticate,
)
from planner.ui.format import md_escape
from planner.ui.session import OIDC_PAUSED_KEY, clear_session_cookie, pop_notice, sign_in, writing

WRONG_PASSWORD = "Wrong username or password."
ABOUT = "Workforce restructure and TUPE planning for the shared ICT service."
ACCOUNTS = "Ask your system administrator for an account."
OIDC_REFUSED_KEY = "oidc_refused"


def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (st.login is usable)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return False


def password_sign_in(username: str, password: str) -> Actor | str:
    """Check the password: the actor, or the sentence to show. The failure's audit event is
    committed, not rolled back; the caller's address counts towards the lockout."""
    address = st.context.ip_address
    with writing() as session:
        try:
            return authenticate(session=session, username=username, password=password,
                                address=address if isinstance(address, str) else None)
        except SignInLocked as exc:
            return str(exc)
        except AuthenticationFailed:
            return WRONG_PASSWORD


def oidc_sign_in() -> Actor | None:
    """Map the identity provider's signed-in user to a planner user, once per identity.

    Returns None (and shows why) for an email no administrator has provisioned; the refusal
    is audited once, not on every rerun.
    """
    if not oidc_configured() or not st.user.is_logged_in:
        return None
    if st.session_state.get(OIDC_PAUSED_KEY):
        return None
    email = str(st.user.get("email") or "")
    if st.session_state.get(OIDC_REFUSED_KEY) == email:
        return None
    with writing() as session:
        actor = actor_for_email(session=session, email=email) if email else None
    if actor is None:
        st.session_state[OIDC_REFUSED_KEY] = email
        return None
    sign_in(actor)
    return actor


def _resume_oidc() -> None:
    st.session_state.pop(OIDC_PAUSED_KEY, None)


def _oidc_section() -> None:
    st.divider()
    refused = st.session_state.get(OIDC_REFUSED_KEY)
    if st.user.is_logged_in and refused is not None:
        st.error(f"The organisation account {md_escape(refused or '(no email)')} has no access "
                 "to the planner. Ask an administrator to add you, or sign in with another "
                 "account.")
        st.button("Sign out of the organisation account", on_click=st.logout)
    elif st.user.is_logged_in and st.session_state.get(OIDC_PAUSED_KEY):
        email = md_escape(str(st.user.get("email") or ""))
        st.button(f"Continue as {email}", on_click=_resume_oidc, type="primary")
        st.button("Use a different organisation account", on_click=st.logout)
    else:
        st.button("Sign in with your organisation account", on_click=st.login)


def sign_in_page() -> None:
    """Rendered through st.navigation as the only page until someone signs in.

    A narrow centred column: a two-field form stretched across a wide screen looks unfinished.
    """
    _, middle, _ = st.columns([1, 1.2, 1])
    with middle:
        st.title("Restructure planner")
        st.caption(f"{ABOUT} {ACCOUNTS}")
        notice = pop_notice()
        if notice:
            st.info(notice)
        with st.form("sign_in"):
            username = st.text_input("Username", autocomplete="username")
            password = st.text_input("Password", type="password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary", width="stretch")
        if submitted:
            actor = password_sign_in(username, password)
            if isinstance(actor, str):
                st.error(actor)
            else:
                sign_in(actor)
                st.rerun()
        if oidc_configured():
            _oidc_section()
        # Whoever reaches this page is signed out: no session cookie may outlive that.
        clear_session_cookie()
