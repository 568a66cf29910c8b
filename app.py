"""Entry point: sign-in, then st.navigation with the pages this role may open.

Run with `streamlit run app.py`.
"""

import streamlit as st

from planner.ui.errors import run_page
from planner.ui.format import md_escape, role_label
from planner.ui.memory import use_system_arrow_pool
from planner.ui.navigation import PAGES, streamlit_pages, warm_page_imports
from planner.ui.session import (
    current_actor,
    enforce_timeout,
    keep_session_cookie,
    resume_from_cookie,
    sign_out,
)
from planner.ui.signin import oidc_sign_in, sign_in_page

use_system_arrow_pool()  # the server returns what pages free (planner.ui.memory)
st.set_page_config(page_title="Restructure planner", page_icon=":material/account_tree:",
                   layout="wide")

enforce_timeout()
# A browser refresh starts a new session: the session cookie signs the user in again, and
# st.navigation below opens the page in the URL, so they stay where they were.
actor = current_actor() or resume_from_cookie() or oidc_sign_in()

if actor is None:
    warm_page_imports()  # while they type: their first page then pays no imports
    # Only the sign-in form is reachable, by menu or by URL, before sign-in. It answers at every
    # page's address too, so a user whose session ended signs in again where they were (not
    # on "page not found" and then the landing page).
    sign_in = st.Page(sign_in_page, title="Sign in", icon=":material/login:", url_path="sign-in")
    held = [st.Page(sign_in_page, title="Sign in", icon=":material/login:", url_path=path)
            for path in dict.fromkeys(p.url_path for p in PAGES if p.url_path)]
    page = st.navigation([sign_in, *held], position="hidden")
else:
    with st.sidebar:
        st.markdown(f":small[**{md_escape(actor.display_name or actor.username)}**]")
        st.caption(f"Signed in as {role_label(actor.role)}")
        st.button("Sign out", on_click=sign_out, icon=":material/logout:", key="sign_out")
        keep_session_cookie(actor)
    page = st.navigation(streamlit_pages(actor))
run_page(page, actor)
