"""Placeholder while the page is built (replaced before landing)."""

import streamlit as st

from planner.ui.session import guard

guard("consultation.read")
st.title("Consultation")
