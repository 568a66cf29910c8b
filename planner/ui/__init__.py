"""Streamlit helpers shared by the pages: the session, formatting and the establishment editor.

The only part of `planner` that imports Streamlit (DESIGN.md "Layers").
Imports every floor below."""
