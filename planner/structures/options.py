"""Structure options: copies of the establishment (or of another option) that managers edit,
compare with the baseline and cost against a budget envelope.

People never move into an option. Occupancies stay on the baseline posts, and every option
post names the baseline post it continues (`baseline_post_id`; none for a new post), so the
people in a baseline post follow it into every option, and a baseline post missing from an
option is a deleted post whose people are at risk. A copy of a copy therefore keeps pointing
at the baseline, never at the option it was copied from.

Copies run inside the database (INSERT … SELECT, then one UPDATE remapping reporting lines
inside the copy), so 10,000 posts copy in well under a second on SQLite and PostgreSQL and no
post crosses into Python. Every change is audited on the structure (`entity="structure"`) with
the structure's new `version` in `after`: that is what lets a refused save say what changed
meanwhile instead of only "someone else saved first" (planner.structures.option_history).

Length: an option's whole lifecycle, from create through rename, envelope, status, archive
and delete, shares one lookup, lock, version check and audited save. Comparison, history and
import are already their own modules. Splitting the lifecycle itself would scatter the
checks that keep it consistent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Integer, delete, func, insert, literal, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit, hooks
from planner.core.auth import Actor, can, require
from planner.core.errors import (
    NotFound,
    PermissionDenied,
    PlannerError,
    RowError,
    StaleVersion,
    ValidationFailed,
)
from planner.core.memo import remembered
from planner.core.models import (
    STRUCTURE_STATUSES,
    ConsultationPlan,
    ConsultationStage,
    DraftResponse,
    EnvelopeShare,
    EqualityCheckpoint,
    EqualityImpact,
    EtoRationale,
    FinancialPlan,
    MappingPool,
    MappingPoolPost,
    Partner,
    PersonMapping,
    PlanDate,
    PlanOneOff,
    PlanTarget,
    PlanYear,
    Post,
    PublishedDraft,
    Structure,
)
from planner.core.values import decimal_text
from planner.establishment.register import EditResult, PostEdits, apply_post_edits, posts_frame
from planner.structures.option_history import check_version, what_changed

BASELINE = "baseline"  # the name that always means the current establishment
MAX_NAME = 120
MAX_DESCRIPTION = 2000
MAX_ENVELOPE_MONTHS = 60
STRUCTURE_COLUMNS = ["id", "name", "kind", "status", "description", "posts", "fte",
                     "envelope_pence", "envelope_months", "assume_recruited", "copied_from",
                     "version", "created_at", "archived"]
# Post fields a copy carries over unchanged (reports_to_id is remapped after the copy).
_COPIED = ("post_ref", "title", "division", "team", "reports_to_id", "grade", "fte", "partner_id",
           "funding", "notes", "organogram_level")


class NotAnOption(PlannerError):
    """The baseline is the current establishment: it is not renamed, deleted or edited here."""


class ArchivedOption(PlannerError):
    """An archived option is read-only until it is restored."""


@dataclass(frozen=True)
class PartnerShare:
    """One partner's part of an envelope: a fixed sum, or a share of what fixed sums leave."""

    amount_pence: int | None = None
    share_bp: int | None = None


# --- finding structures ----------------------------------------------------------------------


def resolve_structure(session: Session, name_or_id: str | int) -> Structure:
    """A structure by name or id; `baseline` always means the current establishment.

    Names are matched exactly first, then ignoring case; a string of digits that names no
    structure is taken as an id (option names may not be all digits, so this is unambiguous).
    """
    found: Structure | None = None
    if isinstance(name_or_id, int):
        found = session.get(Structure, name_or_id)
    else:
        key = name_or_id.strip()
        if key.lower() == BASELINE:
            found = session.exec(select(Structure).where(Structure.kind == "baseline")).first()
            if found is None:
                raise NotFound("There is no establishment yet: import one or load the demo data.")
        else:
            found = session.exec(select(Structure).where(Structure.name == key)).first()
            if found is None:
                found = session.exec(select(Structure).where(
                    func.lower(Structure.name) == key.lower())).first()
            if found is None and key.isdigit():
                found = session.get(Structure, int(key))
    if found is None:
        raise NotFound(f"There is no structure {name_or_id!r}; `option list` shows them.")
    return found


# Statuses at which an option has been shown to the trade unions (DOMAIN.md §7).
PUBLISHED_STATUSES = ("published", "final", "implemented")
# The one refusal a reader without options.read gets for any option they may not read.
NOT_READABLE = "That option is not published, or does not exist."


def readable_option(session: Session, actor: Actor, structure: str | int | Structure,
                    action: str) -> Structure:
    """The option (or baseline) `structure`, if `actor` may read it for `action`.

    `action` is the reading permission (e.g. consultation.read); beyond it, a role without
    options.read (a union rep) reads only options at a published status, never a working copy
    or the establishment (DESIGN.md: "A union rep calling any function for an unpublished
    option ... is refused"), and is refused in the same words (NOT_READABLE) whether the
    option is unpublished or does not exist (issue 10: refusals never name what the user may
    not see).
    """
    require(actor, action, "structure")
    if can(actor, "options.read"):
        return structure if isinstance(structure, Structure) else resolve_structure(
            session, structure)
    # The refusal never names what the reader may not see, and reads the same whether the
    # option is unpublished, the establishment or missing, so existence cannot be probed.
    try:
        s = structure if isinstance(structure, Structure) else resolve_structure(
            session, structure)
    except NotFound:
        s = None
    if s is None or s.kind != "option" or s.status not in PUBLISHED_STATUSES:
        raise PermissionDenied(NOT_READABLE, user=actor, action=action, entity="structure")
    return s


def readable_options(*, session: Session, actor: Actor, action: str,
                     include_archived: bool = False) -> pd.DataFrame:
    """The options (never the baseline) `actor` may read for `action`, oldest first, with
    list_structures' columns: every option for a role with options.read, the published ones
    for a union rep; archived ones only when asked for. Each passes `readable_option`, so a
    picker built from this list can never offer what the services would refuse."""
    allowed = readable_option_ids(session=session, actor=actor, action=action,
                                  include_archived=include_archived)
    frame = _structures_frame(session)
    return frame[frame["id"].isin(allowed)].reset_index(drop=True)


def readable_option_ids(*, session: Session, actor: Actor, action: str,
                        include_archived: bool = False) -> list[int]:
    """The ids of `readable_options`, oldest first, without their sizes (which read every
    post: 0.3 s at 50,000 posts, issue 16)."""
    require(actor, action, "structure")
    q = select(Structure).where(Structure.kind == "option").order_by(Structure.id)  # type: ignore[arg-type]
    if not include_archived:
        q = q.where(Structure.archived == False)  # noqa: E712 (SQL, not Python)
    if not can(actor, "options.read"):
        q = q.where(Structure.status.in_(PUBLISHED_STATUSES))  # type: ignore[attr-defined]
    allowed = []
    for s in session.exec(q).all():
        try:
            readable_option(session, actor, s, action)
        except PermissionDenied:
            continue
        assert s.id is not None
        allowed.append(s.id)
    return allowed


def _option(session: Session, structure: str | int | Structure, doing: str,
            *, archived_ok: bool = False) -> Structure:
    s = structure if isinstance(structure, Structure) else resolve_structure(session, structure)
    if s.kind != "option":
        raise NotAnOption(f"{s.name} is the current establishment, not an option; it cannot be "
                          f"{doing}. Copy it into an option instead.")
    if not archived_ok:
        require_not_archived(s)
    return s


def require_not_archived(structure: Structure) -> None:
    """Refuse any change to an archived option: it is read-only until restored. Every service
    that changes an option (here, and its consultation, equality and ETO records) calls this."""
    if structure.kind == "option" and structure.archived:
        raise ArchivedOption(f"{structure.name} is archived: restore it to change it.")


def _lock(session: Session, structure: Structure) -> Structure:
    """Re-read the structure row FOR UPDATE (PostgreSQL), so the version check and the write
    that follows cannot interleave with another user's save; SQLite write sessions already
    hold the database lock (BEGIN IMMEDIATE)."""
    return session.exec(select(Structure).where(Structure.id == structure.id)
                        .with_for_update().execution_options(populate_existing=True)).one()


def list_structures(*, session: Session, actor: Actor,
                    include_archived: bool = False) -> pd.DataFrame:
    """The baseline and every option with its size: posts, FTE, envelope, version; archived
    options only when asked for (they are read-only and kept out of the way)."""
    require(actor, "options.read", "structure")
    frame = _structures_frame(session)
    if not include_archived:
        frame = frame[~frame["archived"]].reset_index(drop=True)
    return frame


def _structures_frame(session: Session) -> pd.DataFrame:
    """Every structure with its size. The size of each (posts, FTE) is counted per structure
    and kept per structure version (planner.core.memo): one GROUP BY over every post of
    every structure on every rerun was 0.3 s at 50,000 posts (issue 16)."""
    s = Structure.__table__
    src = s.alias("src")
    q = (sa_select(s.c.id, s.c.name, s.c.kind, s.c.status, s.c.description,
                   s.c.envelope_pence, s.c.envelope_months, s.c.assume_recruited,
                   src.c.name.label("copied_from"), s.c.version, s.c.created_at,
                   s.c.archived)
         .select_from(s.outerjoin(src, s.c.copied_from_id == src.c.id))
         .order_by((s.c.kind != "baseline"), s.c.id))
    rows = [r._asdict() for r in session.connection().execute(q)]
    for r in rows:
        r["posts"], r["fte"] = remembered(session, "structure_size", int(r["id"]),
                                          lambda sid=int(r["id"]): _size(session, sid))
    df = pd.DataFrame(rows, columns=STRUCTURE_COLUMNS)
    df["fte"] = [_fte_text(v) for v in df["fte"]]
    df["copied_from"] = df["copied_from"].fillna("")
    df["posts"] = df["posts"].astype("int64")
    df["assume_recruited"] = df["assume_recruited"].astype(bool)
    df["archived"] = df["archived"].astype(bool)
    return df


def _size(session: Session, structure_id: int) -> tuple[int, Any]:
    """(posts, the sum of their FTE as the database gives it) of one structure."""
    p = Post.__table__
    n, fte = session.connection().execute(
        sa_select(func.count(p.c.id), func.sum(p.c.fte)).where(
            p.c.structure_id == structure_id)).one()
    return int(n), fte


def _fte_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "0"
    # SQLite sums NUMERIC as binary floats (93.49999…); FTE has four decimal places.
    return decimal_text(Decimal(str(value)).quantize(Decimal("0.0001")))


# --- creating, renaming, deleting ------------------------------------------------------------


def name_errors(session: Session, name: str, *, exclude_id: int | None = None) -> list[RowError]:
    errors = []
    if not name or len(name) > MAX_NAME:
        errors.append(RowError("option", None, "name", f"A name has 1–{MAX_NAME} characters."))
    elif name.lower() == BASELINE:
        errors.append(RowError("option", None, "name", (
            "'baseline' always means the current establishment; choose another name.")))
    elif name.isdigit():
        errors.append(RowError("option", None, "name", (
            "A name needs a letter: a number alone would be read as a structure id.")))
    else:
        clash = session.exec(select(Structure.id).where(
            func.lower(Structure.name) == name.lower())).first()
        if clash is not None and clash != exclude_id:
            errors.append(RowError("option", None, "name",
                                   f"There is already a structure called {name!r}."))
    return errors


def _description_errors(description: str) -> list[RowError]:
    if len(description) > MAX_DESCRIPTION:
        return [RowError("option", None, "description",
                         f"{len(description)} characters is too long; the limit is "
                         f"{MAX_DESCRIPTION}.")]
    return []


def create_option(*, session: Session, actor: Actor, name: str,
                  source: str | int = BASELINE, description: str = "") -> Structure:
    """A new draft option: a deep copy of `source`'s posts, envelope, partner shares and
    costing assumption (`assume_recruited`; the baseline's is always off).

    Reporting lines are remapped inside the copy, and each copied post continues the same
    baseline post as its source post (the baseline post itself when copying the baseline).
    One audit event records the copy.
    """
    require(actor, "options.edit", "structure")
    src = resolve_structure(session, source)
    name = name.strip()
    errors = name_errors(session, name) + _description_errors(description)
    if errors:
        raise ValidationFailed(errors)
    option = Structure(name=name, kind="option", status="draft", description=description,
                       copied_from_id=src.id, envelope_pence=src.envelope_pence,
                       envelope_months=src.envelope_months,
                       assume_recruited=src.kind == "option" and src.assume_recruited)
    session.add(option)
    session.flush()
    assert option.id is not None and src.id is not None
    posts = _copy_posts(session, src, option.id)
    shares = copy_shares(session, src.id, option.id)
    audit.record(session, actor=actor, action="create", entity="structure",
                 entity_id=str(option.id),
                 after={"name": name, "kind": "option", "status": "draft",
                        "description": description, "copied_from": src.name,
                        "copied_from_id": src.id, "posts": posts, "envelope_shares": shares,
                        "envelope_pence": option.envelope_pence,
                        "envelope_months": option.envelope_months,
                        "assume_recruited": option.assume_recruited, "version": option.version})
    session.flush()
    return option


def _copy_posts(session: Session, src: Structure, new_id: int) -> int:
    """Copy every post of `src` into structure `new_id` inside the database; returns the count."""
    p = Post.__table__
    conn = session.connection()
    lineage = p.c.id if src.kind == "baseline" else p.c.baseline_post_id
    rows = (sa_select(literal(new_id, Integer), *(p.c[c] for c in _COPIED), lineage,
                      literal(1, Integer))
            .where(p.c.structure_id == src.id).order_by(p.c.id))
    conn.execute(insert(p).from_select(
        ["structure_id", *_COPIED, "baseline_post_id", "version"], rows))
    # The copies still report to the source's posts; point each at its manager's copy (same
    # post_ref in the new structure), one correlated UPDATE using the (structure, ref) index.
    old_mgr, twin = p.alias("old_mgr"), p.alias("twin")
    new_mgr = (sa_select(twin.c.id)
               .select_from(old_mgr.join(twin, twin.c.post_ref == old_mgr.c.post_ref))
               .where(old_mgr.c.id == p.c.reports_to_id, twin.c.structure_id == new_id)
               .scalar_subquery())
    conn.execute(update(p).where(p.c.structure_id == new_id, p.c.reports_to_id.is_not(None))
                 .values(reports_to_id=new_mgr))
    # rowcount of INSERT … SELECT is -1 under some drivers (psycopg's executemany path).
    return int(conn.execute(sa_select(func.count()).select_from(p)
                            .where(p.c.structure_id == new_id)).scalar_one())


def copy_shares(session: Session, src_id: int, new_id: int) -> int:
    e = EnvelopeShare.__table__
    rows = sa_select(literal(new_id, Integer), e.c.partner_id, e.c.amount_pence,
                     e.c.share_bp).where(e.c.structure_id == src_id)
    conn = session.connection()
    conn.execute(insert(e).from_select(["structure_id", "partner_id", "amount_pence", "share_bp"],
                                       rows))
    return int(conn.execute(sa_select(func.count()).select_from(e)
                            .where(e.c.structure_id == new_id)).scalar_one())


def rename_option(*, session: Session, actor: Actor, structure: str | int | Structure,
                  name: str, expected_version: int) -> Structure:
    """Rename an option (never the baseline), refused if it changed since it was read."""
    require(actor, "options.edit", "structure")
    option = _lock(session, _option(session, structure, "renamed"))
    check_version(session, option, expected_version)
    name = name.strip()
    errors = name_errors(session, name, exclude_id=option.id)
    if errors:
        raise ValidationFailed(errors)
    before = option.name
    option.name = name
    return _save(session, actor, option, "rename", before={"name": before}, after={"name": name})


def describe_option(*, session: Session, actor: Actor, structure: str | int | Structure,
                    description: str, expected_version: int) -> Structure:
    """Change an option's description, refused if it changed since it was read."""
    require(actor, "options.edit", "structure")
    option = _lock(session, _option(session, structure, "described here"))
    check_version(session, option, expected_version)
    errors = _description_errors(description)
    if errors:
        raise ValidationFailed(errors)
    before = option.description
    option.description = description
    return _save(session, actor, option, "describe", before={"description": before},
                 after={"description": description})


def set_assume_recruited(*, session: Session, actor: Actor, structure: str | int | Structure,
                         value: bool, expected_version: int) -> Structure:
    """Assume (or stop assuming) that the option recruits permanently to interim-covered posts.

    When on, costing leaves out the interim and agency workers the option would carry from
    the baseline and costs their FTE as a vacancy at the vacancy point (planner.structures.costing), so
    the compare page's "Interims replaced by permanent staff" step shows the saving. The
    baseline is the current establishment and keeps its interims; refused if the option
    changed since it was read.
    """
    require(actor, "options.edit", "structure")
    option = _lock(session, _option(session, structure, "given a recruitment assumption"))
    check_version(session, option, expected_version)
    before = option.assume_recruited
    option.assume_recruited = bool(value)
    return _save(session, actor, option, "assume_recruited",
                 before={"assume_recruited": before}, after={"assume_recruited": bool(value)})


# The statuses an option moves between (the baseline alone is "current"), DOMAIN.md §7.
OPTION_STATUSES = tuple(s for s in STRUCTURE_STATUSES if s != "current")


class StatusGate(Protocol):
    """A check a higher floor registers at planner.core.hooks.STATUS: raise (GateRefused, a
    PlannerError) to refuse moving `structure` to `status`. The equality checkpoints are one;
    the gate reads checkpoints only, so this module never reads anyone's equality answers."""

    def __call__(self, session: Session, structure: Structure, status: str) -> None: ...


def status_gates() -> list[StatusGate]:
    """The registered gates, in order."""
    return hooks.hooks(hooks.STATUS)


def set_option_status(*, session: Session, actor: Actor, structure: str | int | Structure,
                      status: str, expected_version: int) -> Structure:
    """Move an option to another status (draft, proposed, published, final, implemented).

    The equality gates hold here, whatever the page shows (DOMAIN.md §6): final only once the
    stage 2 equality analysis is signed off, implemented only with a stage 3 due date
    (the gates registered at planner.core.hooks.STATUS, planner.equality's among them, raise
    GateRefused). Version-checked and audited.
    """
    require(actor, "options.edit", "structure")
    option = _lock(session, _option(session, structure, "given a status"))
    check_version(session, option, expected_version)
    if status not in OPTION_STATUSES:
        raise ValidationFailed([RowError("option", None, "status", (
            f"{status!r} is not a status of an option; choose one of "
            f"{', '.join(OPTION_STATUSES)}."))])
    if status == option.status:
        return option
    for gate in status_gates():
        gate(session, option, status)
    before = option.status
    option.status = status
    return _save(session, actor, option, "status", before={"status": before},
                 after={"status": status})


def archive_option(*, session: Session, actor: Actor, structure: str | int | Structure,
                   expected_version: int) -> Structure:
    """Archive an option: read-only, hidden from lists and pickers by default, restorable.

    An archived option is still rebased when the establishment is imported (planner.structures.rebase),
    so restoring it gives back an option whose posts and people match the establishment.
    """
    require(actor, "options.edit", "structure")
    option = _lock(session, _option(session, structure, "archived", archived_ok=True))
    check_version(session, option, expected_version)
    if option.archived:
        return option
    option.archived = True
    return _save(session, actor, option, "archive", before={"archived": False},
                 after={"archived": True})


def restore_option(*, session: Session, actor: Actor, structure: str | int | Structure,
                   expected_version: int) -> Structure:
    """Restore an archived option: listed again and editable."""
    require(actor, "options.edit", "structure")
    option = _lock(session, _option(session, structure, "restored", archived_ok=True))
    check_version(session, option, expected_version)
    if not option.archived:
        return option
    option.archived = False
    return _save(session, actor, option, "restore", before={"archived": True},
                 after={"archived": False})


def delete_option(*, session: Session, actor: Actor, structure: str | int | Structure,
                  expected_version: int | None = None,
                  demo_reload: bool = False) -> None:
    """Delete an option with its posts, envelope shares, consultation plan and stages, ETO
    rationales and equality checkpoints (with their impacts); never the baseline. A published
    option is kept (its drafts are the record of what the unions read), except when
    `demo_reload` (load-demo --force replacing the demo's own option).

    Options copied from it keep their posts (which point at the baseline, not at this option)
    and lose only the `copied_from` link, which the audit event keeps; so does the count of
    each kind of record deleted with it.
    """
    require(actor, "options.edit", "structure")
    option = _lock(session, _option(session, structure, "deleted"))
    if expected_version is not None:
        check_version(session, option, expected_version)
    sid = option.id
    s, p, e = Structure.__table__, Post.__table__, EnvelopeShare.__table__
    conn = session.connection()
    if not demo_reload:  # only load-demo --force replaces the demo's own, published option
        _check_deletable(conn, actor, option)
    children = [r[0] for r in conn.execute(sa_select(s.c.name).where(s.c.copied_from_id == sid))]
    posts = conn.execute(sa_select(func.count()).select_from(p)
                         .where(p.c.structure_id == sid)).scalar_one()
    conn.execute(update(s).where(s.c.copied_from_id == sid).values(copied_from_id=None))
    conn.execute(delete(e).where(e.c.structure_id == sid))
    removed = _delete_option_records(conn, sid)
    # Reporting lines point inside the option: cut them first so no row is deleted while
    # another still references it (SQLite checks foreign keys row by row in some builds).
    conn.execute(update(p).where(p.c.structure_id == sid).values(reports_to_id=None))
    conn.execute(delete(p).where(p.c.structure_id == sid))
    before = {"name": option.name, "status": option.status, "description": option.description,
              "posts": int(posts), "copied_from_id": option.copied_from_id,
              "copies_unlinked": children, "deleted_with_it": removed,
              "version": option.version}
    session.delete(option)
    session.flush()
    audit.record(session, actor=actor, action="delete", entity="structure", entity_id=str(sid),
                 before=before)
    session.flush()


def _check_deletable(conn: Any, actor: Actor, option: Structure) -> None:
    """A published option is kept: union representatives have read it, and what they read
    must stay answerable. HR's records (consultation plan and stages, ETO rationales,
    equality checkpoints) go only by HR's own hand; anyone else archives instead."""
    if option.status in PUBLISHED_STATUSES:
        raise PlannerError(
            f"{option.name} has been {option.status} and union representatives have read it, "
            "so it cannot be deleted. Archive it instead.")
    if can(actor, "consultation.edit") and can(actor, "equality.assess"):
        return
    held = _option_records(conn, option.id)
    if held:
        kinds = ", ".join(k.replace("_", " ") for k in held)
        raise PlannerError(
            f"{option.name} holds HR's records ({kinds}); only HR may delete them with the "
            "option. Archive it instead, or ask HR.")


_OPTION_RECORDS = (("equality_checkpoints", EqualityCheckpoint), ("eto_rationales", EtoRationale),
                   ("consultation_stages", ConsultationStage),
                   ("consultation_plans", ConsultationPlan))


def _option_records(conn: Any, sid: int | None) -> dict[str, int]:
    """How many of HR's records of each kind belong to option `sid` (none listed when 0)."""
    counts = {}
    for key, model in _OPTION_RECORDS:
        table = model.__table__
        counts[key] = int(conn.execute(sa_select(func.count()).select_from(table)
                                       .where(table.c.structure_id == sid)).scalar_one())
    return {k: v for k, v in counts.items() if v}


def _delete_option_records(conn: Any, sid: int | None) -> dict[str, int]:
    """Delete the consultation and equality records that belong to option `sid`; the count
    of each kind (for the audit). Impacts go before their checkpoints (foreign key)."""
    cp, ei = EqualityCheckpoint.__table__, EqualityImpact.__table__
    checkpoint_ids = sa_select(cp.c.id).where(cp.c.structure_id == sid)
    counts = {"equality_impacts": _count_and_delete(
        conn, ei, ei.c.checkpoint_id.in_(checkpoint_ids))}
    # The people mapping (issue 12) is the option's own: it goes with it, before its posts
    # (a mapping and a pool point at option posts) and pool links before their pools.
    mp, mpp, pm = MappingPool.__table__, MappingPoolPost.__table__, PersonMapping.__table__
    counts["person_mappings"] = _count_and_delete(conn, pm, pm.c.structure_id == sid)
    counts["mapping_pool_posts"] = _count_and_delete(
        conn, mpp, mpp.c.pool_id.in_(sa_select(mp.c.id).where(mp.c.structure_id == sid)))
    counts["mapping_pools"] = _count_and_delete(conn, mp, mp.c.structure_id == sid)
    # Published drafts (issue 13) go only with a demo reload (_check_deletable keeps a
    # published option); responses before their drafts.
    pd_, dr = PublishedDraft.__table__, DraftResponse.__table__
    counts["draft_responses"] = _count_and_delete(
        conn, dr, dr.c.draft_id.in_(sa_select(pd_.c.id).where(pd_.c.structure_id == sid)))
    counts["published_drafts"] = _count_and_delete(conn, pd_, pd_.c.structure_id == sid)
    # The financial plan (issue 15) is the option's own too: its child rows before it.
    fp = FinancialPlan.__table__
    plan_ids = sa_select(fp.c.id).where(fp.c.structure_id == sid)
    for child in (PlanYear, PlanTarget, PlanOneOff, PlanDate):
        t = child.__table__
        _count_and_delete(conn, t, t.c.plan_id.in_(plan_ids))
    counts["financial_plans"] = _count_and_delete(conn, fp, fp.c.structure_id == sid)
    for key, model in _OPTION_RECORDS:
        table = model.__table__
        counts[key] = _count_and_delete(conn, table, table.c.structure_id == sid)
    return {k: v for k, v in counts.items() if v}


def _count_and_delete(conn: Any, table: Any, where: Any) -> int:
    n = int(conn.execute(sa_select(func.count()).select_from(table).where(where)).scalar_one())
    if n:
        conn.execute(delete(table).where(where))
    return n


def _save(session: Session, actor: Actor, structure: Structure, action: str, *,
          before: dict[str, Any], after: dict[str, Any]) -> Structure:
    structure.version += 1
    session.add(structure)
    session.flush()
    audit.record(session, actor=actor, action=action, entity="structure",
                 entity_id=str(structure.id), before=before,
                 after={**after, "version": structure.version})
    session.flush()
    return structure


# --- the budget envelope ---------------------------------------------------------------------


def set_envelope(*, session: Session, actor: Actor, structure: str | int | Structure,
                 envelope_pence: int | None, months: int,
                 shares: Mapping[str, PartnerShare] | None, expected_version: int) -> Structure:
    """Set a structure's budget envelope, the months it covers and the partners' parts of it.

    `shares` maps partner names to a fixed sum (`amount_pence`) or a share in basis points
    (`share_bp`) of what the fixed sums leave; `{}` clears them (equal shares between the
    councils), None leaves them as they are. Shares must add up to 100% and fixed sums may
    not exceed the envelope. The baseline's envelope is the current budget (establishment.edit).
    """
    target = structure if isinstance(structure, Structure) else resolve_structure(session,
                                                                                   structure)
    require(actor, "options.edit" if target.kind == "option" else "establishment.edit",
            "structure")
    require_not_archived(target)
    target = _lock(session, target)
    check_version(session, target, expected_version)
    # Only the current councils hold part of an envelope: a customer pays for its own posts
    # and a retired partner holds nothing (costing.EnvelopePosition).
    partners = {name.lower(): (pid, name) for pid, name in
                session.exec(sa_select(Partner.id, Partner.name).where(
                    Partner.active, Partner.kind == "council")).all()}
    errors = []
    if envelope_pence is not None and envelope_pence < 0:
        errors.append(RowError("envelope", None, "envelope", "The envelope cannot be negative."))
    if not 1 <= months <= MAX_ENVELOPE_MONTHS:
        errors.append(RowError("envelope", None, "months",
                               f"The envelope covers 1 to {MAX_ENVELOPE_MONTHS} months."))
    amounts = 0
    bps: list[int] = []
    seen: set[str] = set()
    for name, part in (shares or {}).items():
        if name.lower() in seen:
            errors.append(RowError("envelope", None, "partner", f"{name} is named twice."))
        seen.add(name.lower())
        if name.lower() not in partners:
            errors.append(RowError("envelope", None, "partner", (
                f"{name!r} is not a council sharing the envelope "
                f"({', '.join(n for _, n in partners.values())}).")))
        if (part.amount_pence is None) == (part.share_bp is None):
            errors.append(RowError("envelope", None, name,
                                   "Give a fixed amount or a share, not both or neither."))
        elif part.amount_pence is not None:
            if part.amount_pence < 0:
                errors.append(RowError("envelope", None, name, "An amount cannot be negative."))
            amounts += part.amount_pence
        elif part.share_bp is not None:
            if not 0 <= part.share_bp <= 10_000:
                errors.append(RowError("envelope", None, name,
                                       "A share is between 0% and 100%."))
            bps.append(part.share_bp)
    if bps and sum(bps) != 10_000:
        errors.append(RowError("envelope", None, "share", (
            f"The shares add up to {sum(bps) / 100:g}%; they must add up to 100%.")))
    if envelope_pence is not None and amounts > envelope_pence:
        errors.append(RowError("envelope", None, "amount", (
            f"The fixed amounts (£{Decimal(amounts) / 100:,.2f}) are more than the envelope "
            f"(£{Decimal(envelope_pence) / 100:,.2f}).")))
    if errors:
        raise ValidationFailed(errors)
    before = {"envelope_pence": target.envelope_pence, "months": target.envelope_months,
              "shares": _shares(session, target.id)}
    target.envelope_pence = envelope_pence
    target.envelope_months = months
    if shares is not None:
        e = EnvelopeShare.__table__
        conn = session.connection()
        conn.execute(delete(e).where(e.c.structure_id == target.id))
        rows = [{"structure_id": target.id, "partner_id": partners[n.lower()][0],
                 "amount_pence": part.amount_pence, "share_bp": part.share_bp}
                for n, part in shares.items()]
        if rows:
            conn.execute(insert(e), rows)
    after = {"envelope_pence": envelope_pence, "months": months,
             "shares": _shares(session, target.id)}
    return _save(session, actor, target, "envelope", before=before, after=after)


def _shares(session: Session, sid: int | None) -> dict[str, dict[str, int | None]]:
    q = (sa_select(Partner.name, EnvelopeShare.amount_pence, EnvelopeShare.share_bp)
         .join(Partner, Partner.id == EnvelopeShare.partner_id)
         .where(EnvelopeShare.structure_id == sid).order_by(Partner.id))
    return {n: {"amount_pence": a, "share_bp": b} for n, a, b in session.exec(q).all()}


# --- editing an option's posts, with no lost updates -----------------------------------------


def edit_option_posts(*, session: Session, actor: Actor, structure: str | int | Structure,
                      edits: PostEdits) -> EditResult:
    """Apply a batch of post edits (establishment.PostEdits) to an option, all-or-nothing.

    The establishment editor's rules apply (establishment.apply_post_edits); options have no
    occupancies, so a post is deleted without occupancy checks. A save built on a stale copy
    is refused with what the other user changed meanwhile, read from the audit trail.
    """
    require(actor, "options.edit", "post")
    option = _lock(session, _option(session, structure, "edited as an option"))
    require_not_archived(option)  # archived between the read and the lock
    assert option.id is not None
    if edits.is_empty():
        return EditResult(0, 0, 0)
    current = posts_frame(session, option.id).set_index("post_id", drop=False)
    stale = {ref: seen for ref, seen in edits.versions.items()
             if ref in current.index and int(current.at[ref, "version"]) != seen}
    missing = [ref for ref in dict.fromkeys([*edits.updated, *edits.deleted])
               if ref not in current.index]
    if stale or missing:
        raise StaleVersion(what_changed(session, option, current, stale, missing))
    deleted_ids = {ref: int(current.at[ref, "id"]) for ref in edits.deleted}
    unmapped = _unmap_posts(session, list(deleted_ids.values()))
    result = apply_post_edits(session=session, actor=actor, edits=edits, structure_id=option.id)
    renamed = {ref: ch["post_id"] for ref, ch in edits.updated.items()
               if ch.get("post_id") and ch["post_id"] != ref}
    session.refresh(option)
    audit.record(session, actor=actor, action="edit_posts", entity="structure",
                 entity_id=str(option.id),
                 after={"added": [r.get("post_id", "") for r in edits.added],
                        "updated": edits.updated, "deleted": deleted_ids, "renamed": renamed,
                        **({"unmapped": unmapped} if unmapped else {}),
                        "version": option.version})
    session.flush()
    return result


def _unmap_posts(session: Session, post_ids: list[int]) -> list[int]:
    """Before option posts are deleted: the people mapped into them go back to their default
    outcome (their mapping rows are deleted) and pools stop competing for them. Returns the
    person ids unmapped, for the audit event."""
    if not post_ids:
        return []
    pm, mpp = PersonMapping.__table__, MappingPoolPost.__table__
    conn = session.connection()
    people = [int(r[0]) for r in conn.execute(sa_select(pm.c.person_id)
                                              .where(pm.c.post_id.in_(post_ids)))]
    conn.execute(delete(pm).where(pm.c.post_id.in_(post_ids)))
    conn.execute(delete(mpp).where(mpp.c.post_id.in_(post_ids)))
    return sorted(people)


# --- comparing two structures ----------------------------------------------------------------


# --- importing an option ---------------------------------------------------------------------


