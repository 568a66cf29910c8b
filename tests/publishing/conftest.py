"""The publishing tests' world: the shipped demo before its drafts (its option mapped: 12
proposed dismissals, so s.188 does not apply) with equality stage 1 decided and signed off by
hr, ready to publish."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from planner.core.auth import Actor
from planner.core.db import make_engine
from planner.core.models import Structure, User

TODAY = dt.date(2026, 12, 7)
OPTION = "Option 1: single service desk"


@dataclass
class World:
    engine: object
    actors: dict[str, Actor]
    option_id: int

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def sign_off_stage_1(s: Session, hr: Actor, option: Structure) -> None:
    from planner.equality.checkpoints import checkpoints, save_checkpoint, sign_off_checkpoint

    cp = checkpoints(session=s, actor=hr, structure=option)[0]
    impacts = cp.impacts.assign(impact="neutral", evidence="Workforce profile, Dec 2026")
    saved = save_checkpoint(session=s, actor=hr, structure=option, stage=1, due_on=TODAY,
                            impacts=impacts, expected_version=cp.version)
    sign_off_checkpoint(session=s, actor=hr, structure=option, stage=1,
                        expected_version=saved.version, today=TODAY)


@pytest.fixture
def world(database_url: str) -> World:
    from planner.cli.demo import load_demo

    engine = make_engine(database_url)
    load_demo(engine, with_drafts=False)
    with Session(engine, expire_on_commit=False) as s:
        actors = {u.role: Actor.of(u) for u in s.exec(select(User))}
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        sign_off_stage_1(s, actors["hr"], option)
        s.commit()
        oid = int(option.id)
    yield World(engine=engine, actors=actors, option_id=oid)
    engine.dispose()
