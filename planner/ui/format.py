"""Display formatting: money, FTE, counts, error tables and audit summaries.

Rounding happens here and only here, for display (DESIGN.md: "Money is exact"); the values
underneath stay pence, Decimal or the domain's own figures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from planner.core.audit_text import ACTIONS, ENTITIES, AuditNames, describe, person
from planner.core.errors import ValidationFailed

ERROR_COLUMNS = ["sheet", "row", "column", "message"]
# What a table draws in a cell with nothing in it (Streamlit would draw "None"): a dash where
# the cell is only read, nothing where someone is to type.
BLANK = "—"
EDITOR_BLANK = ""
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")


def count(value: int) -> str:
    """1234 -> '1,234'."""
    return f"{int(value):,}"


def fte(value: float | Decimal | str) -> str:
    """Full-time equivalents to at most two places, no trailing zeros:
    412.6 -> '412.6', 93.50 -> '93.5', 1234 -> '1,234', 0.25 -> '0.25'."""
    text = f"{Decimal(str(value)):,.2f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text


def money(pounds: Decimal | int | float | str) -> str:
    """£ with thousands separators; pence shown only when there are any: '£24,796', '£5.50'."""
    d = Decimal(str(pounds))
    sign = "-" if d < 0 else ""
    d = abs(d)
    text = f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"
    return f"{sign}£{text}"


def money_from_pence(pence: int) -> str:
    return money(Decimal(int(pence)) / 100)


# What a bordered st.metric shows whole in a quarter of the wide layout at 1,440 px: a county's
# £3,282,289,886 came out as "£3,282,289…" (issue 16's screenshots at 50,000 posts).
METRIC_CHARS = 11


def metric_rows(items: Sequence[tuple[str, str, str]], per_row: int = 4,
                chars: int = METRIC_CHARS) -> list[list[tuple[str, str, str]]]:
    """Headline cards (label, value, help) in rows: `per_row` to a row while every value fits
    a card, else two to a row, so that an exact figure is never cut short."""
    items = list(items)
    if any(len(value) > chars for _, value, _ in items):
        per_row = min(per_row, 2)
    return [items[i:i + per_row] for i in range(0, len(items), per_row)] or [[]]


def percent(value: Decimal | int | float | str) -> str:
    """33.34 -> '33.34%', 20 -> '20%'."""
    d = Decimal(str(value)).normalize()
    return f"{d:f}%"


ROLE_LABELS = {"hr": "HR", "manager": "Senior manager", "union": "Trade-union representative",
               "admin": "Administrator"}


def role_label(role: str) -> str:
    """A role as people say it: 'hr' -> 'HR'; an unknown code is shown as it is."""
    return ROLE_LABELS.get(role, role)


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 post', '2 posts'."""
    return f"{count(n)} {one if n == 1 else (many or one + 's')}"


def md_escape(text: str) -> str:
    """Escape Markdown so a user's or an imported value shows as typed, never as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def errors_table(exc: ValidationFailed) -> pd.DataFrame:
    """Every error of a rejected import or edit as rows a person can work through."""
    rows = [e.as_dict() for e in exc.errors]
    table = pd.DataFrame(rows, columns=ERROR_COLUMNS)
    table["row"] = pd.array(table["row"], dtype="Int64")
    for col in ("sheet", "column", "message"):
        table[col] = table[col].fillna("").astype(str)
    return table


ERROR_COLUMN_LABELS = {"sheet": "Sheet", "row": "Row", "column": "Column", "message": "Problem"}


def _short(value: Any) -> str:
    if value is None or value == "":
        return "—"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def change_summary(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """An audit event's before/after as 'title: Officer → Senior officer; fte: 1 → 0.8'."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    if before and after:
        keys = [k for k in after if before.get(k) != after.get(k)]
        keys += [k for k in before if k not in after]
        return "; ".join(f"{k}: {_short(before.get(k))} → {_short(after.get(k))}" for k in keys)
    side = after or before
    return "; ".join(f"{k}: {_short(v)}" for k, v in side.items())


# Every action and entity the audit records and planner.core.audit_text says, for the filters.
AUDIT_ACTIONS = ACTIONS
AUDIT_ENTITIES = ENTITIES


def audit_word(code: str) -> str:
    """'signin_failed' -> 'signin failed', 'pay_spine' -> 'pay spine': a filter option read."""
    return code.replace("_", " ")


def _json_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def audit_table(events: pd.DataFrame, names: AuditNames | None = None) -> pd.DataFrame:
    """audit_log.list_events' frame for display: when, who, and what happened as a sentence
    (planner.core.audit_text); the raw before/after stay in the frame for the row's detail."""
    names = names or AuditNames()
    users = ["" if u == "(anonymous)" else str(u) for u in events["user"]]
    out = pd.DataFrame({
        "at": events["at"],
        "who": [person(u, names) if u else "Not signed in" for u in users],
        "what": [describe(action=a, entity=e, entity_id=i, username=u, before=b, after=f,
                          names=names)
                 for a, e, i, u, b, f in zip(events["action"], events["entity"],
                                             events["entity_id"], users, events["before"],
                                             events["after"], strict=True)],
        "action": events["action"],
        "entity": events["entity"],
        "entity_id": events["entity_id"],
        "change": [change_summary(b, a) for b, a in zip(events["before"], events["after"],
                                                        strict=True)],
        "before": events["before"].map(_json_text),
        "after": events["after"].map(_json_text),
    })
    return out


AUDIT_SHOWN = ["at", "who", "what"]


def users_table(users: list[Any]) -> pd.DataFrame:
    """User rows for display: never the password hash, only whether there is one."""
    return pd.DataFrame(
        [{"username": u.username, "display_name": u.display_name, "role": u.role,
          "email": u.email or "", "active": bool(u.active), "password": bool(u.password_hash)}
         for u in users],
        columns=["username", "display_name", "role", "email", "active", "password"])
