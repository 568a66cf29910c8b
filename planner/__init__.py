"""Workforce restructure and TUPE planner: the domain package.

Everything here is usable without Streamlit (except planner/ui/)."""

__version__ = "0.1.0"
