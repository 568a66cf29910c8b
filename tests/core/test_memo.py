"""planner.core.memo: whole-structure reads kept between read-only sessions, never stale."""

from __future__ import annotations

from sqlmodel import select

from planner.core.db import read_session, write_session
from planner.core.models import Partner, Structure
from planner.establishment import register
from planner.establishment.register import PostEdits, posts_frame
from planner.structures.options import create_option, delete_option, edit_option_posts
from tests.factories import build_small_establishment, make_actors


def _counting(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = register._posts_frame

    def counted(session, structure_id):
        calls.append(structure_id)
        return real(session, structure_id)

    monkeypatch.setattr(register, "_posts_frame", counted)
    return calls


def test_a_read_only_session_reuses_what_an_earlier_one_read(seeded_engine, monkeypatch):
    """Catches: every page view reading the same posts again (the point of the memo), or a
    write session served a kept read (it may hold changes not yet committed)."""
    with write_session(seeded_engine) as s:
        sid = build_small_establishment(s)
    calls = _counting(monkeypatch)
    with read_session(seeded_engine) as s:
        first = posts_frame(s, sid)
    with read_session(seeded_engine) as s:
        again = posts_frame(s, sid)
    assert calls == [sid]
    assert first.equals(again)
    with write_session(seeded_engine) as s:
        posts_frame(s, sid)
        s.rollback()
    assert calls == [sid, sid]


def test_a_change_is_read_afresh_and_a_caller_cannot_spoil_the_kept_copy(seeded_engine):
    """Catches: a stale frame after an edit (the version is in the key), a caller's added
    column or changed cell showing up in the next reader's frame, or a renamed partner."""
    with write_session(seeded_engine) as s:
        actors = make_actors(s)
        build_small_establishment(s)
    with write_session(seeded_engine) as s:
        option = create_option(session=s, actor=actors["manager"], name="Option K")
        oid = option.id
    with read_session(seeded_engine) as s:
        frame = posts_frame(s, oid)
        frame["extra"] = 1
        frame.loc[frame.index[0], "title"] = "Spoilt"
        version = int(frame.loc[frame["post_id"] == "O1", "version"].iloc[0])
    with read_session(seeded_engine) as s:
        clean = posts_frame(s, oid)
    assert "extra" not in clean.columns and "Spoilt" not in set(clean["title"])
    with write_session(seeded_engine) as s:
        edit_option_posts(session=s, actor=actors["manager"], structure=oid,
                          edits=PostEdits(updated={"O1": {"title": "Renamed officer"}},
                                          versions={"O1": version}))
    with read_session(seeded_engine) as s:
        assert "Renamed officer" in set(posts_frame(s, oid)["title"])
    with write_session(seeded_engine) as s:
        partner = s.exec(select(Partner).where(Partner.name == "Lewisham")).one()
        partner.name = "Lewisham Council"
        s.add(partner)
    with read_session(seeded_engine) as s:
        assert "Lewisham" not in set(posts_frame(s, oid)["partner"])


def test_a_new_structure_reusing_a_deleted_ones_id_is_not_served_its_posts(seeded_engine):
    """Catches: SQLite reusing the highest id after a delete, and the new option (same id,
    same version) served the deleted option's posts."""
    with write_session(seeded_engine) as s:
        actors = make_actors(s)
        build_small_establishment(s)
    with write_session(seeded_engine) as s:
        first = create_option(session=s, actor=actors["manager"], name="Option Gone")
        oid = first.id
    with write_session(seeded_engine) as s:
        edit_option_posts(session=s, actor=actors["manager"], structure=oid,
                          edits=PostEdits(deleted=["O1"], versions={"O1": 1}))
        s.get(Structure, oid).version = 1  # as if new: only the creation time tells them apart
    with read_session(seeded_engine) as s:
        assert "O1" not in set(posts_frame(s, oid)["post_id"])
    with write_session(seeded_engine) as s:
        delete_option(session=s, actor=actors["manager"], structure=oid)
    with write_session(seeded_engine) as s:
        again = create_option(session=s, actor=actors["manager"], name="Option New")
        again_id = again.id
    if seeded_engine.dialect.name == "sqlite":
        assert again_id == oid  # the case at issue: the same id, the same version
    with read_session(seeded_engine) as s:
        assert "O1" in set(posts_frame(s, again_id)["post_id"])  # a copy of the baseline


def test_what_is_kept_is_capped_by_size_oldest_first(seeded_engine, monkeypatch):
    """Catches: the memo holding every read of every structure whatever their size (at
    50,000 posts it doubled the server's memory, issue 16), or dropping the newest read
    rather than the oldest."""
    from planner.core import memo

    with write_session(seeded_engine) as s:
        sid = build_small_establishment(s)
        actors = make_actors(s)
        other = create_option(session=s, actor=actors["manager"], name="Option S").id
    with read_session(seeded_engine) as s:
        one = memo._size(posts_frame(s, sid))
    assert one > 0
    monkeypatch.setattr(memo, "MAX_BYTES", one + one // 2)  # room for one read, not two
    calls = _counting(monkeypatch)
    with read_session(seeded_engine) as s:
        posts_frame(s, sid)  # kept from above
        posts_frame(s, other)  # read, and the first read makes way
        posts_frame(s, other)  # kept
        posts_frame(s, sid)  # read again
    assert calls == [other, sid]
    assert sum(memo._sizes.values()) <= memo.MAX_BYTES


def test_small_values_do_not_push_frames_out_and_are_capped_apart(seeded_engine, monkeypatch):
    """Catches: a structure's size (kept for the structures list, issue 16) taking a frame's
    place among the MAX_ENTRIES, or small values kept without bound."""
    from planner.core import memo

    with write_session(seeded_engine) as s:
        sid = build_small_establishment(s)
    monkeypatch.setattr(memo, "MAX_ENTRIES", 1)
    monkeypatch.setattr(memo, "MAX_SMALL", 2)
    calls = _counting(monkeypatch)
    with read_session(seeded_engine) as s:
        posts_frame(s, sid)
        for i in range(3):
            memo.remembered(s, f"small {i}", sid, lambda i=i: (i, "small"))
        posts_frame(s, sid)
        assert memo.remembered(s, "small 2", sid, lambda: "built again") == (2, "small")
        assert memo.remembered(s, "small 0", sid, lambda: "built again") == "built again"
    assert calls == [sid]
