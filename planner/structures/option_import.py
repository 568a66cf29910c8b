"""Importing an option from a spreadsheet in the establishment's format. The posts are
checked like an establishment upload. Each post is matched to the baseline post it continues
by post_id, so the people follow it. Sheets an option has no use for (people, partners,
equality) are ignored, and the summary says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core import audit
from planner.core.auth import Actor, require
from planner.core.errors import (
    RowError,
    ValidationFailed,
)
from planner.core.models import (
    Partner,
    Post,
    Structure,
)
from planner.establishment.readers import read_upload
from planner.establishment.reference import grade_table, partner_names
from planner.establishment.validation import validate_posts
from planner.structures.comparison import Comparison, lineage_difference, lineage_frame
from planner.structures.options import (
    BASELINE,
    MAX_DESCRIPTION,
    copy_shares,
    name_errors,
    resolve_structure,
)

# Sheets an option import reads past: an option holds posts only (see import_option).
IGNORED_SHEETS = {
    "people": ("The people sheet was ignored: people stay in their baseline posts and follow "
               "them into the option through the post_id; options hold posts only."),
    "partners": ("The partners sheet was ignored: partners are shared reference data, changed "
                 "by an establishment import or on the reference data page, not by an option."),
    "equality": ("The equality sheet was ignored: equality answers are kept apart, imported by "
                 "HR on the Equality page, never with an option."),
}


@dataclass(frozen=True)
class OptionImportSummary:
    structure_id: int
    name: str
    posts: int
    continued: int
    new: int
    deleted: int
    regraded: int
    resized: int
    moved: int
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"structure_id": self.structure_id, "name": self.name, "posts": self.posts,
                "continued": self.continued, "new": self.new, "deleted": self.deleted,
                "regraded": self.regraded, "resized": self.resized, "moved": self.moved,
                "notes": list(self.notes)}


def import_option(*, session: Session, actor: Actor, name: str,
                  files: Sequence[tuple[str, bytes]],
                  source: str | int = BASELINE) -> OptionImportSummary:
    """A new option from a posts sheet (xlsx) or posts.csv in the interchange format.

    A post_id of `source` (the baseline by default) continues that post, so its people follow
    it; any other post_id is a new post; a post of `source` missing from the file is deleted
    in the option. The people and partners sheets of an exported workbook are read past with
    a note (an option holds posts only), so an establishment export edited in Excel imports
    as it is. All-or-nothing: every error comes back and nothing is written.
    """
    require(actor, "options.edit", "structure")
    src = resolve_structure(session, source)
    tables, errors = read_upload(files)
    errors = [e for e in errors if e.sheet not in IGNORED_SHEETS]
    notes = tuple(note for sheet, note in IGNORED_SHEETS.items()
                  if getattr(tables, sheet) is not None)
    name = name.strip()
    errors += name_errors(session, name)
    posts = tables.posts
    if posts is None:
        if not any(e.sheet == "posts" for e in errors):
            errors.append(RowError("posts", None, "", "The posts sheet (or posts.csv) is missing."))
    else:
        errors += validate_posts(posts, grades=grade_table(session),
                                 partner_names=partner_names(session))
    if errors:
        raise ValidationFailed(errors)
    assert posts is not None and src.id is not None

    option = Structure(name=name, kind="option", status="draft", copied_from_id=src.id,
                       description=f"Imported from {', '.join(n for n, _ in files)}."[
                           :MAX_DESCRIPTION],
                       envelope_pence=src.envelope_pence, envelope_months=src.envelope_months)
    session.add(option)
    session.flush()
    sid = option.id
    assert sid is not None
    copy_shares(session, src.id, sid)
    source_frame = lineage_frame(session, src.id)
    continues = dict(zip(source_frame["post_id"], source_frame["baseline_pk"], strict=True))
    partner_id = {n.lower(): i for i, n in session.exec(sa_select(Partner.id, Partner.name)).all()}
    records = posts.astype(object).to_dict(orient="records")
    rows = [{"structure_id": sid, "post_ref": r["post_id"], "title": r["title"],
             "division": r["division"], "team": r["team"], "grade": r["grade"],
             "fte": Decimal(r["fte"] or "1"), "partner_id": partner_id.get(r["partner"].lower()),
             "funding": (r["funding"] or "base").lower(), "notes": r["notes"], "version": 1,
             "baseline_post_id": _int_or_none(continues.get(r["post_id"]))}
            for r in records]
    conn = session.connection()
    p = Post.__table__
    conn.execute(insert(p), rows)
    ids = dict(conn.execute(sa_select(p.c.post_ref, p.c.id).where(p.c.structure_id == sid)).all())
    links = [{"b_id": ids[r["post_id"]], "b_mgr": ids[r["reports_to"]]}
             for r in records if r["reports_to"]]
    if links:
        conn.execute(update(p).where(p.c.id == bindparam("b_id"))
                     .values(reports_to_id=bindparam("b_mgr")), links)
    counts = Comparison(base=src.name, other=name,
                        frame=lineage_difference(source_frame, lineage_frame(session, sid))).counts()
    summary = OptionImportSummary(
        structure_id=sid, name=name, posts=len(rows), continued=len(rows) - counts["new"],
        new=counts["new"], deleted=counts["deleted"], regraded=counts["regraded"],
        resized=counts["resized"], moved=counts["moved"], notes=notes)
    audit.record(session, actor=actor, action="import", entity="structure", entity_id=str(sid),
                 after={**summary.as_dict(), "source": src.name, "source_id": src.id,
                        "files": [n for n, _ in files], "version": option.version})
    session.flush()
    return summary


def _int_or_none(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(value)
