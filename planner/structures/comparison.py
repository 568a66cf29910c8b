"""Comparing two structures: the posts added, deleted, regraded, resized and moved, with the
people in the posts a change touches, matched through the establishment post each one
continues (`lineage_frame`). The Compare page, TUPE measures and the consultation all read
an option's difference from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core.auth import Actor, require
from planner.core.memo import remembered
from planner.core.models import (
    Occupancy,
    Person,
    Post,
    Structure,
)
from planner.establishment.register import posts_columns, posts_frame
from planner.structures.hierarchy import difference
from planner.structures.options import resolve_structure


@dataclass
class Comparison:
    """How `other` differs from `base`, post by post, and who sits in the deleted posts."""

    base: str
    other: str
    frame: pd.DataFrame  # hierarchy.difference's frame
    people: pd.DataFrame = field(default_factory=pd.DataFrame)  # people in deleted posts

    def posts_with(self, change: str) -> pd.DataFrame:
        """The rows whose `change` includes `change` (a post may be moved and regraded)."""
        cells = self.frame["change"].to_numpy(dtype=object)
        return self.frame[[change in cell.split("; ") for cell in cells]]

    def counts(self) -> dict[str, int]:
        kinds = ("new", "deleted", "moved", "regraded", "resized", "unchanged")
        return {k: len(self.posts_with(k)) for k in kinds}

    def as_dict(self) -> dict[str, Any]:
        def rows(change: str, cols: list[str]) -> list[dict[str, Any]]:
            df = self.posts_with(change)
            keep = [c for c in cols if c in df.columns]
            return [{k: _plain(v) for k, v in r.items()}
                    for r in df[keep].to_dict(orient="records")]

        people = [{k: _plain(v) for k, v in r.items()}
                  for r in self.people.to_dict(orient="records")]
        return {
            "base": self.base, "other": self.other, "counts": self.counts(),
            "new": rows("new", ["post_id", "title_after", "grade_after", "fte_after",
                                "reports_to_after", "team_after"]),
            "deleted": rows("deleted", ["post_id", "title_before", "grade_before", "fte_before",
                                        "reports_to_before", "team_before"]),
            "regraded": rows("regraded", ["post_id", "baseline_post_id", "grade_before",
                                          "grade_after"]),
            "resized": rows("resized", ["post_id", "baseline_post_id", "fte_before",
                                        "fte_after"]),
            "moved": rows("moved", ["post_id", "baseline_post_id", "reports_to_before",
                                    "reports_to_after", "division_before", "division_after",
                                    "team_before", "team_after"]),
            "people_in_deleted_posts": people,
        }


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def lineage_frame(session: Session, structure_id: int) -> pd.DataFrame:
    """posts_frame plus `lineage`: what ties a post to its counterparts in other structures.

    `b<id>` for a post continuing baseline post <id> (a baseline post is its own), and
    `r<post_id>` for a post new in an option, so a new post still matches its copy in an
    option copied from that option (a copy of a copy), by post_id.
    """
    frame = posts_frame(session, structure_id)
    s = session.get(Structure, structure_id)
    if s is not None and s.kind == "baseline":
        return _with_lineage(frame, None)
    p = Post.__table__
    links = pd.read_sql(sa_select(p.c.id, p.c.baseline_post_id)
                        .where(p.c.structure_id == structure_id), session.connection())
    linked = links["baseline_post_id"].notna().to_numpy()
    of = pd.Series(links["baseline_post_id"].to_numpy(dtype=float)[linked],
                   index=links["id"].to_numpy()[linked])
    return _with_lineage(frame, pd.Series(of.reindex(frame["id"].to_numpy()).to_numpy(),
                                          index=frame.index))


def _with_lineage(frame: pd.DataFrame, links: pd.Series | None) -> pd.DataFrame:
    """`frame` with `lineage` and `baseline_pk` from each post's baseline post (`links`,
    aligned with the frame; None for the baseline itself, whose posts are their own)."""
    if links is None:
        origin = frame["id"].to_numpy(dtype=np.int64)
        has = np.ones(len(frame), dtype=bool)
    else:
        looked = links.to_numpy(dtype=float)
        has = ~np.isnan(looked)
        origin = np.where(has, looked, 0).astype(np.int64)
    texts = origin.astype(str).astype(object)
    refs = frame["post_id"].to_numpy(dtype=object)
    frame["lineage"] = pd.Series(np.where(has, "b" + texts, "r" + refs), index=frame.index,
                                 dtype="str")
    pks = np.array(origin.tolist(), dtype=object)  # Python ints, as the ORM gives them
    pks[~has] = None
    frame["baseline_pk"] = pd.Series(pks, index=frame.index, dtype=object)
    return frame


def compared_frame(session: Session, structure: Structure) -> pd.DataFrame:
    """lineage_frame's columns that the difference compares (and `id`, `post_id`, `lineage`,
    `baseline_pk`), as one read: the difference of two 10,000-post structures was 0.46 s,
    most of it reading what it never compares (issue 16)."""
    assert structure.id is not None
    # Kept per structure version (planner.core.memo): Compare, the org chart's difference
    # colours and the mapping ask for the same structure's frame.
    return remembered(session, "compared_frame", structure.id,
                      lambda: _read_compared(session, structure))


def _read_compared(session: Session, structure: Structure) -> pd.DataFrame:
    """The register's own columns (`posts_frame`, kept per version, so its text is shared, not
    a third copy of 50,000 posts' text: issue 16) with the posts' links to the baseline."""
    assert structure.id is not None
    p = Post.__table__
    posts = posts_frame(session, structure.id)
    frame = posts[["id", "post_id", "title", "division", "team", "reports_to", "grade",
                   "fte"]].copy(deep=False)
    links = None if structure.kind == "baseline" else posts_columns(
        session, posts, structure.id, p.c.baseline_post_id)["baseline_post_id"]
    return _with_lineage(frame, links)


def compare_structures(*, session: Session, actor: Actor, base: str | int | Structure,
                       other: str | int | Structure, people: bool = True) -> Comparison:
    """New, deleted, moved, regraded and resized posts of `other` against `base`, with the
    people (from the baseline occupancies) in each deleted post.

    Posts are matched through the baseline post they continue, so two options copied from
    the baseline compare post for post however their post_ids were renamed.
    """
    require(actor, "options.read", "structure")
    a = base if isinstance(base, Structure) else resolve_structure(session, base)
    b = other if isinstance(other, Structure) else resolve_structure(session, other)
    assert a.id is not None and b.id is not None
    fa, fb = compared_frame(session, a), compared_frame(session, b)
    frame = lineage_difference(fa, fb)
    found = pd.DataFrame(columns=["employee_id", "name", "contract", "post_id"])
    if people:
        require(actor, "personal.read", "person")
        gone = frame.loc[frame["change"] == "deleted", "post_id"].tolist()
        found = _people_in(session, fa, gone)
    return Comparison(base=a.name, other=b.name, frame=frame, people=found)


def _matched(fa: pd.DataFrame, fb: pd.DataFrame) -> pd.DataFrame:
    """`fb` with `baseline_post_id` = the post_id in `fa` it continues (blank: a new post)."""
    ref_of = pd.Series(fa["post_id"].to_numpy(object), index=fa["lineage"].to_numpy(object))
    ref_of = ref_of[~ref_of.index.duplicated()]
    out = fb.copy()
    out["baseline_post_id"] = ref_of.reindex(fb["lineage"].to_numpy(object)).fillna("").to_numpy(
        object)
    return out


def _people_in(session: Session, frame: pd.DataFrame, refs: Sequence[str]) -> pd.DataFrame:
    """Everyone occupying the baseline posts behind `refs` (post_ids of `frame`)."""
    cols = ["employee_id", "name", "contract", "post_id"]
    pk_of = dict(zip(frame["post_id"], frame["baseline_pk"], strict=True))
    wanted = {int(pk_of[r]): r for r in refs if pk_of.get(r) is not None}
    if not wanted:
        return pd.DataFrame(columns=cols)
    o, pe = Occupancy.__table__, Person.__table__
    q = (sa_select(o.c.post_id, pe.c.employee_ref, pe.c.name, pe.c.contract)
         .select_from(o.join(pe, o.c.person_id == pe.c.id))
         .where(o.c.post_id.in_(list(wanted))).order_by(pe.c.employee_ref))
    rows = [{"employee_id": ref, "name": name, "contract": contract, "post_id": wanted[pk]}
            for pk, ref, name, contract in session.connection().execute(q)]
    return pd.DataFrame(rows, columns=cols)


def lineage_difference(fa: pd.DataFrame, fb: pd.DataFrame) -> pd.DataFrame:
    return difference(fa, _matched(fa, fb))
