"""The equality analysis as people read it: shares as percents, hidden cells as their text
("<10", "hidden (small numbers)"), ratios with their flag. Shared by the page's charts
(planner.charts.equality) and the Word report, which sits below the charts."""

from __future__ import annotations

from typing import Any

import pandas as pd

FLAG_WORDS = {"higher": "higher", "lower": "lower"}


DISPLAY_COLUMNS = ["Characteristic", "Group", "Whole service", "At risk", "Share of service",
                   "Share at risk", "Ratio (at risk vs rest)", "Fisher p"]


def missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def share_text(value: Any) -> str:
    """0.3512 -> '35%', 0.004 -> '<1%', 0 -> '0%'; missing (suppressed or undefined) -> '—'."""
    if missing(value):
        return "—"
    share = float(value)
    if 0 < share < 0.005:
        return "<1%"
    return f"{share:.0%}"


def ratio_with_flag(ratio_text: str, flag: str) -> str:
    """'1.60' and 'higher' -> '1.60 (higher)': the flag beside the figure it comes from."""
    word = FLAG_WORDS.get(str(flag or ""), "")
    return f"{ratio_text} ({word})" if word and ratio_text not in ("", "—") else ratio_text


def part_time_frame(part_time: pd.DataFrame) -> pd.DataFrame:
    """["when", "share", "text"]: the part-time share before and after, with the people
    behind it ("25% (5 of 20)"); a suppressed figure prints as its text and is not drawn."""
    rows = []
    for r in part_time.itertuples(index=False):
        share = None if missing(r.share) else float(r.share)
        if share is None or missing(r.part_time) or missing(r.employees):
            text = "hidden (small numbers)" if share is None else share_text(share)
        else:
            text = f"{share_text(share)} ({int(r.part_time):,} of {int(r.employees):,})"
        rows.append({"when": str(r.when), "share": share, "text": text})
    frame = pd.DataFrame(rows, columns=["when", "share", "text"])
    frame["share"] = frame["share"].astype(float)
    return frame


def analysis_display(table: pd.DataFrame) -> pd.DataFrame:
    """The analysis as people read it: only the *_text figures for counts, ratios and
    p-values (so a suppressed cell reads "<10" or "—", never a number), shares as percents,
    and the ratio's flag beside it."""
    out = pd.DataFrame({
        "Characteristic": table["label"].astype(str).to_numpy(),
        "Group": table["category"].astype(str).to_numpy(),
        "Whole service": table["service_text"].astype(str).to_numpy(),
        "At risk": table["at_risk_text"].astype(str).to_numpy(),
        "Share of service": [share_text(v) for v in table["share_service"]],
        "Share at risk": [share_text(v) for v in table["share_at_risk"]],
        "Ratio (at risk vs rest)": [ratio_with_flag(str(t), str(f)) for t, f in
                                    zip(table["ratio_text"], table["flag"], strict=True)],
        "Fisher p": table["p_text"].astype(str).to_numpy(),
    }, columns=DISPLAY_COLUMNS)
    return out.reset_index(drop=True)


def flagged_groups(table: pd.DataFrame) -> int:
    """How many groups' at-risk rate is flagged against the rest (ratio < 0.8 or > 1.25)."""
    return int((table["flag"].astype(str) != "").sum())
