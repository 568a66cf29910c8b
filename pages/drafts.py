"""Published drafts: what trade-union representatives read (publishing arrives later)."""

import streamlit as st

from planner.ui.session import guard

guard("drafts.read")
st.title("Published drafts")
st.info("No drafts have been published yet.")
st.markdown(
    "When management publishes a draft structure for consultation, it appears here: the "
    "proposed posts, grades and reporting lines, with no personal data. You will be able to "
    "compare one published version with the next and send the consultation your comments, "
    "on the whole draft or on one post."
)
