"""What an option's unsaved post edits would do to its cost, headroom and people, before Save.

While someone edits the grid on the Structure options page, the page shows "Unsaved changes:
cost £X (±£Y), headroom …, people affected N". The edits (planner.establishment.register.PostEdits,
the same delta Save would write) are applied to the option's costing frames in memory and
priced by `costing.cost_frames`, the same arithmetic as the saved figures; nothing is written,
flushed or audited.

People affected are the occupants (employees, interims and agency workers) of the posts the
edits would delete, regrade or reduce in FTE: the people a change of this kind puts at risk
or changes the terms of (DOMAIN.md: redundancy and consultation). Posts moved, retitled or
added affect nobody's post.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from sqlmodel import Session

from planner.core.auth import Actor, require
from planner.core.errors import NotFound
from planner.core.models import Structure
from planner.establishment.register import PostEdits
from planner.structures.costing import (
    CostInputs,
    StructureCost,
    cost_frames,
    cost_inputs,
    cost_structure,
)
from planner.structures.pay import FTE_SCALE


@dataclass(frozen=True)
class EditPreview:
    """The option as saved and as it would be after the edits (pence a year; headroom for
    the envelope's months, None without an envelope)."""

    saved_cost: int
    cost: int
    saved_headroom: int | None
    headroom: int | None
    people_affected: int
    problems: tuple[str, ...] = ()  # why the figures wait (a grade not in the table, …)

    @property
    def cost_change(self) -> int:
        return self.cost - self.saved_cost

    @property
    def headroom_change(self) -> int | None:
        if self.headroom is None or self.saved_headroom is None:
            return None
        return self.headroom - self.saved_headroom


def _fte_units(text: str) -> int:
    value = Decimal(text or "1")
    if value <= 0 or value > 1:
        raise InvalidOperation
    return int(value * FTE_SCALE)


def apply_edits(inputs: CostInputs, edits: PostEdits) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                  set[int], list[str]]:
    """The posts and lines frames with `edits` applied (pure): (posts, lines, the person ids
    affected, problems). A value that cannot be priced (an FTE that is not a number) is a
    problem, and that one change is left out."""
    posts = inputs.posts.copy()
    lines = inputs.lines.copy()
    partners = {str(n).lower(): int(i) for i, n in inputs.partners["name"].items()}
    problems: list[str] = []
    by_ref = dict(zip(posts["post_id"], posts.index, strict=True))
    affected_posts: set[int] = set()

    for ref, changes in edits.updated.items():
        if ref not in by_ref:
            continue
        at = by_ref[ref]
        post_id = int(posts.at[at, "id"])
        if "grade" in changes and changes["grade"] != posts.at[at, "grade"]:
            posts.at[at, "grade"] = changes["grade"]
            affected_posts.add(post_id)
        if "fte" in changes:
            try:
                units = _fte_units(changes["fte"])
            except (InvalidOperation, ValueError):
                problems.append(f"{ref}: FTE “{changes['fte']}” is not a number from 0 to 1.")
            else:
                if units < int(posts.at[at, "fte_units"]):
                    affected_posts.add(post_id)
                posts.at[at, "fte_units"] = units
        if "partner" in changes:
            name = changes["partner"].lower()
            if name in ("", "shared"):
                posts.at[at, "partner_id"] = -1
            elif name in partners:
                posts.at[at, "partner_id"] = partners[name]
            else:
                problems.append(f"{ref}: “{changes['partner']}” is not a partner.")
        for col in ("title", "division", "team", "funding", "post_id"):
            if col in changes:
                posts.at[at, col] = changes[col]

    gone = posts["post_id"].isin(edits.deleted)
    deleted_ids = set(posts.loc[gone, "id"].astype(int))
    posts = posts[~gone]
    affected_posts |= deleted_ids

    next_id = int(inputs.posts["id"].max()) + 1 if len(inputs.posts) else 1
    added = []
    for i, row in enumerate(edits.added):
        try:
            units = _fte_units(row.get("fte", ""))
        except (InvalidOperation, ValueError):
            problems.append(f"New post {row.get('post_id') or i + 1}: FTE “{row.get('fte')}” "
                            "is not a number from 0 to 1.")
            continue
        partner = str(row.get("partner") or "shared").lower()
        added.append({"id": next_id + i, "post_id": row.get("post_id", ""),
                      "title": row.get("title", ""), "division": row.get("division", ""),
                      "team": row.get("team", ""), "grade": row.get("grade", ""),
                      "fte_units": units, "partner_id": partners.get(partner, -1),
                      "funding": row.get("funding") or "base", "baseline_post_id": -1})
    if added:
        posts = pd.concat([posts, pd.DataFrame(added)], ignore_index=True)
    posts = posts.reset_index(drop=True)
    for col in ("id", "fte_units", "partner_id"):
        posts[col] = posts[col].astype(np.int64)

    hit = lines["post"].isin(affected_posts)
    affected_people = set(lines.loc[hit, "person_id"].astype(int))
    lines = lines[~lines["post"].isin(deleted_ids)].reset_index(drop=True)
    return posts, lines, affected_people, problems


def preview_option_edits(*, session: Session, actor: Actor, structure: int,
                         edits: PostEdits) -> EditPreview:
    """The option's cost, headroom and people affected if `edits` were saved now. Reads only:
    the session is left as it was found (nothing added, changed or audited)."""
    require(actor, "options.read", "structure")
    option = session.get(Structure, structure)
    if option is None:
        raise NotFound(f"No structure with id {structure}.")
    # One read of the option: priced as saved, then again with the edits applied.
    inputs = cost_inputs(session=session, actor=actor, structure_id=structure)
    saved = cost_structure(session=session, actor=actor, structure_id=structure, inputs=inputs)
    saved_headroom = saved.envelope().headroom
    if edits.is_empty():
        return EditPreview(saved_cost=saved.full_year_total, cost=saved.full_year_total,
                           saved_headroom=saved_headroom, headroom=saved_headroom,
                           people_affected=0)
    posts, lines, people, problems = apply_edits(inputs, edits)
    unknown = sorted({g for g in posts["grade"] if g not in set(inputs.grades["grade"])})
    if unknown:
        problems.append(f"Grade {', '.join(unknown) or '(blank)'} is not in the grade table.")
    if problems:
        return EditPreview(saved_cost=saved.full_year_total, cost=saved.full_year_total,
                           saved_headroom=saved_headroom, headroom=saved_headroom,
                           people_affected=len(people), problems=tuple(problems))
    by_post, costed, _ = cost_frames(posts=posts, lines=lines, partners=inputs.partners,
                                     grades=inputs.grades, spine=inputs.spine,
                                     rules=inputs.rules, months=saved.months)
    edited: StructureCost = replace(saved, by_post=by_post, lines=costed)
    return EditPreview(saved_cost=saved.full_year_total, cost=edited.full_year_total,
                       saved_headroom=saved_headroom, headroom=edited.envelope().headroom,
                       people_affected=len(people))
