"""The audit trail and its filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from planner.core import audit, audit_log
from planner.core.errors import PermissionDenied
from tests.factories import make_actors


def test_jsonable_makes_dates_and_decimals_portable():
    assert audit.jsonable({"d": dt.date(2026, 4, 1), "f": Decimal("0.5000"), "n": [Decimal("1.000")]}) == {
        "d": "2026-04-01", "f": "0.5000", "n": ["1"]}


def test_list_events_filters_and_permissions(session):
    actors = make_actors(session)
    audit.record(session, actor=actors["hr"], action="update", entity="post", entity_id="7",
                 before={"grade": "PO1"}, after={"grade": "PO2"})
    audit.record(session, actor=actors["manager"], action="create", entity="post", entity_id="8")
    audit.record(session, actor=None, action="signin_failed", entity="user", entity_id="bob")
    session.commit()
    for role in ("manager", "union"):
        with pytest.raises(PermissionDenied):
            audit_log.list_events(session=session, actor=actors[role])
    df = audit_log.list_events(session=session, actor=actors["hr"])
    assert list(df.action) == ["signin_failed", "create", "update"]
    assert list(df.user) == ["(anonymous)", "manager-user", "hr-user"]
    only = audit_log.list_events(session=session, actor=actors["admin"], entity="post", username="hr-user")
    assert only.iloc[0].before == {"grade": "PO1"} and len(only) == 1
    today = dt.datetime.now(dt.UTC).date()
    assert len(audit_log.list_events(session=session, actor=actors["hr"], since=today, until=today)) == 3
    assert audit_log.list_events(session=session, actor=actors["hr"],
                             until=today - dt.timedelta(days=1)).empty
    assert len(audit_log.list_events(session=session, actor=actors["hr"], action="create")) == 1
