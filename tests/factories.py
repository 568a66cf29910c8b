"""Tiny factories (STYLE.md habit 7): build what a test needs, nothing more."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pandas as pd
from sqlmodel import Session, select

from planner.core.auth import Actor
from planner.core.models import Occupancy, Partner, Person, Post, Structure, User

DEFAULT_PASSWORD = "correct-horse-battery"


def make_user(session: Session, role: str, username: str | None = None,
              password: str = DEFAULT_PASSWORD, **overrides) -> Actor:
    """A user row of `role` (fast hash-free unless a password is asked for) as an Actor."""
    from planner.core.auth import hash_password

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


def build_small_establishment(session: Session) -> int:
    """Six posts whose figures are counted by hand in test_establishment.py and the AppTests.

    H1 Head (SM2, 1.0) <- filled by a Brent employee
      M1 Team lead (PO6, 1.0) <- job share: two Lewisham employees at 0.5
        O1 Officer (PO2, 1.0) <- interim only           (covered by interim)
        O2 Officer (PO2, 0.5) <- nobody                 (vacant)
        O3 Officer (PO1, 1.0) <- Capita TUPE employee at 0.8
      M2 Analyst (PO3, 0.6, Lewisham-charged) <- agency (covered by interim)
    """
    s = Structure(name="Current establishment", kind="baseline")
    session.add(s)
    session.flush()
    lew = session.exec(select(Partner).where(Partner.name == "Lewisham")).one()

    def post(ref, title, grade, fte="1", mgr=None, **kw):
        p = Post(structure_id=s.id, post_ref=ref, title=title, grade=grade, fte=Decimal(fte),
                 reports_to_id=mgr.id if mgr else None, division="Digital",
                 team=kw.pop("team", "Core"), **kw)
        session.add(p)
        session.flush()
        return p

    h1 = post("H1", "Head of Service", "SM2", team="Management")
    m1 = post("M1", "Team Leader", "PO6", mgr=h1)
    o1 = post("O1", "Officer", "PO2", mgr=m1)
    post("O2", "Officer", "PO2", "0.5", mgr=m1)
    o3 = post("O3", "Officer", "PO1", mgr=m1)
    m2 = post("M2", "Analyst", "PO3", "0.6", mgr=h1, partner_id=lew.id, team="Analysis")

    def person(ref, name, contract, post_, fte="1", origin="", **kw):
        pe = Person(employee_ref=ref, name=name, contract=contract, origin=origin, **kw)
        session.add(pe)
        session.flush()
        session.add(Occupancy(person_id=pe.id, post_id=post_.id, fte=Decimal(fte)))

    person("E1", "Ada Brown", "permanent", h1, origin="Brent", annual_salary_pence=8_000_000)
    person("E2", "Bea Cole", "permanent", m1, "0.5", origin="Lewisham", scp=47)
    person("E3", "Cal Dunn", "permanent", m1, "0.5", origin="Lewisham", scp=47)
    person("I1", "Dee Evans", "interim", o1, day_rate_pence=45_000)
    person("E4", "Eli Fox", "permanent", o3, "0.8", origin="Capita", scp=32,
           tupe_transfer_date=dt.date(2016, 4, 1))
    person("A1", "Fay Gray", "agency", m2, "0.6", day_rate_pence=38_000)
    session.flush()
    return s.id


def build_flat_establishment(session: Session, size: int) -> list[str]:
    """`size` permanent employees E01.., each alone in a full-time post P01.. (PO3) under
    one head post H0 (vacant); returns the employees' refs, in post order."""
    s = Structure(name="Current establishment", kind="baseline")
    session.add(s)
    session.flush()
    head = Post(structure_id=s.id, post_ref="H0", title="Head of Service", grade="SM2",
                fte=Decimal("1"), division="Digital", team="Management")
    session.add(head)
    session.flush()
    refs = []
    for i in range(1, size + 1):
        post = Post(structure_id=s.id, post_ref=f"P{i:02d}", title="Officer", grade="PO3",
                    fte=Decimal("1"), reports_to_id=head.id, division="Digital", team="Core")
        person = Person(employee_ref=f"E{i:02d}", name=f"Person {i:02d}", contract="permanent")
        session.add_all([post, person])
        session.flush()
        session.add(Occupancy(person_id=person.id, post_id=post.id, fte=Decimal("1")))
        refs.append(person.employee_ref)
    session.flush()
    return refs
