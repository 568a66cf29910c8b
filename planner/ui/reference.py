"""Reference-data helpers for the page: the pay years on offer and partners for display."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from planner.core.auth import Actor
from planner.establishment.reference import current_pay_year, spine_frame
from planner.ui import format as fmt


def pay_year_choices(*, session: Session, actor: Actor) -> tuple[list[str], int]:
    """Every pay year in the spine, newest first, and the index of the current one."""
    years = sorted(spine_frame(session=session, actor=actor)["pay_year"].unique(), reverse=True)
    current = current_pay_year(session)
    return list(years), (years.index(current) if current in years else 0)


def partners_table(partners: pd.DataFrame) -> pd.DataFrame:
    """Shares and rates as percentages, London weighting as money (display only)."""
    out = partners.copy()
    out["share"] = out["share"].map(fmt.percent)
    out["lgps_employer_rate"] = out["lgps_employer_rate"].map(fmt.percent)
    out["london_weighting"] = out["london_weighting"].map(fmt.money)
    return out


def spine_table(spine: pd.DataFrame) -> pd.DataFrame:
    """Spinal points with their annual value as money ('£24,413'), display only."""
    out = spine.copy()
    out["annual"] = out["annual"].map(fmt.money)
    return out
