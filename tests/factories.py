"""Tiny factories (STYLE.md habit 7): build what a test needs, nothing more."""

from __future__ import annotations

import io
from decimal import Decimal

import pandas as pd
from sqlmodel import Session

from planner.auth import Actor
from planner.models import User

DEFAULT_PASSWORD = "correct-horse-battery"


def make_user(session: Session, role: str, username: str | None = None,
              password: str = DEFAULT_PASSWORD, **overrides) -> Actor:
    """A user row of `role` (fast hash-free unless a password is asked for) as an Actor."""
    from planner.auth import hash_password

    user = User(username=username or f"{role}-user", role=role,
                display_name=overrides.pop("display_name", f"Test {role}"),
                password_hash=hash_password(password) if password else None, **overrides)
    session.add(user)
    session.flush()
    return Actor.of(user)


def make_actors(session: Session) -> dict[str, Actor]:
    """One actor per role, committed."""
    actors = {role: make_user(session, role, password="") for role in ("manager", "hr", "union", "admin")}
    session.commit()
    return actors


def posts_frame(rows: list[dict]) -> pd.DataFrame:
    base = {"post_id": "", "title": "Post", "division": "Digital", "team": "Team", "reports_to": "",
            "grade": "PO3", "fte": "1", "partner": "shared", "funding": "base", "notes": ""}
    return pd.DataFrame([{**base, **r} for r in rows], dtype=str)


def csv_bytes(df: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode(encoding)


def make_tree_rows(depth: int, fanout: int, grade: str = "PO3") -> list[dict]:
    """A complete tree of posts as interchange rows: P1 at the root, fanout children each."""
    rows = [{"post_id": "P1", "title": "Head of Service", "grade": "SM2", "reports_to": ""}]
    frontier = ["P1"]
    n = 1
    for _ in range(depth - 1):
        nxt = []
        for parent in frontier:
            for _ in range(fanout):
                n += 1
                pid = f"P{n}"
                rows.append({"post_id": pid, "title": f"Officer {n}", "grade": grade,
                             "reports_to": parent})
                nxt.append(pid)
        frontier = nxt
    return rows


ONE = Decimal("1")
