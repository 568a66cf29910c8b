"""The structure options page's wiring: the list, the forms, the option's post editor.

Every write goes through planner.structures.options (which checks the role and the version); this module
only turns widget values into those calls and their refusals into messages. Session state
holds UI choices only: the selected structure, flash messages, error tables, and the version
of an option the post editor was opened on (so a concurrent save does not wipe unsaved edits).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st

from planner.charts import compare as cc
from planner.core.auth import Actor
from planner.core.errors import (
    NotFound,
    PermissionDenied,
    PlannerError,
    StaleVersion,
    ValidationFailed,
)
from planner.establishment.register import EDITABLE_COLUMNS, edits_from_editor, establishment_frame
from planner.structures.costing import StructureCost
from planner.structures.edit_preview import EditPreview, preview_option_edits
from planner.structures.option_import import import_option
from planner.structures.options import (
    PartnerShare,
    archive_option,
    create_option,
    delete_option,
    describe_option,
    edit_option_posts,
    list_structures,
    rename_option,
    restore_option,
    set_assume_recruited,
    set_envelope,
)
from planner.structures.rebase import list_conflicts, resolve_conflicts
from planner.ui import compare as cmp
from planner.ui import establishment as est
from planner.ui import format as fmt
from planner.ui.session import database_url, reading, writing

SELECT_KEY = "option_selected"
FLASH_KEY = "options_flash"
PINNED_KEY = "option_editor_pinned"  # {structure id: version the editor was opened on}
CREATE_ERRORS_KEY = "option_create_errors"
IMPORT_ERRORS_KEY = "option_import_errors"
DETAILS_ERRORS_KEY = "option_details_errors"
ENVELOPE_ERRORS_KEY = "option_envelope_errors"
EDIT_ERRORS_KEY = "option_edit_errors"
STALE_KEY = "option_stale_message"
SHOW_ARCHIVED_KEY = "options_show_archived"
KIND_LABELS = {"baseline": "Baseline", "option": "Option"}

LIST_COLUMNS = ["name", "kind", "status", "posts", "fte", "full_year_cost", "envelope",
                "copied_from", "description"]
LIST_CONFIG: dict[str, Any] = {
    "name": st.column_config.TextColumn("Structure", width=220, pinned=True),
    "kind": st.column_config.TextColumn("Kind", width=80),
    "status": st.column_config.TextColumn("Status", width=90),
    "posts": st.column_config.NumberColumn("Posts", format="localized", width=70),
    "fte": st.column_config.TextColumn("FTE", width=70),
    "full_year_cost": st.column_config.NumberColumn("Full-year cost (£)", format="localized",
                                                    width=140),
    "envelope": st.column_config.TextColumn("Envelope", width=120),
    "copied_from": st.column_config.TextColumn("Copied from", width=180),
    "description": st.column_config.TextColumn("Description", width="large"),
}
ENVELOPE_COLUMNS = ["partner", "kind", "charged_cost", "shared_cost", "spend", "envelope",
                    "headroom"]
ENVELOPE_CONFIG: dict[str, Any] = {
    "partner": st.column_config.TextColumn("Partner", width=130),
    "kind": st.column_config.TextColumn("Kind", width=90),
    # Money arrives as whole-pound text (envelope_table), right-aligned like numbers.
    "charged_cost": st.column_config.TextColumn(
        "Own posts", alignment="right",
        help="Posts charged to this partner alone (for a customer: what it is charged)."),
    "shared_cost": st.column_config.TextColumn("Its share of shared posts", alignment="right"),
    "spend": st.column_config.TextColumn("Spend", alignment="right"),
    "envelope": st.column_config.TextColumn("Envelope", alignment="right"),
    "headroom": st.column_config.TextColumn(
        "Headroom", alignment="right", help="Envelope − spend; red is an overspend."),
}
STATEMENT_CONFIG: dict[str, Any] = {
    "line": st.column_config.TextColumn("How the spend is made up", width="large"),
    "amount": st.column_config.TextColumn("£", alignment="right", width=140),
}
SHARE_CONFIG: dict[str, Any] = {
    "partner": st.column_config.TextColumn("Partner", disabled=True, width=140),
    "amount": st.column_config.NumberColumn("Fixed amount (£)", min_value=0, format="%.2f",
                                            help="A sum the partner agreed; leave blank to "
                                                 "give a share instead."),
    "share": st.column_config.NumberColumn("Share (%)", min_value=0, max_value=100,
                                           format="%.2f",
                                           help="A share of what the fixed sums leave; the "
                                                "shares add up to 100."),
}


@dataclass(frozen=True)
class Listing:
    """The structures as the page lists them, with each one's reference for the pickers."""

    table: pd.DataFrame
    refs: list[cmp.StructureRef]
    archived: frozenset[int] = frozenset()  # ids of the archived options listed


def load_listing(actor: Actor, *, include_archived: bool = False) -> Listing:
    """Every structure with its size and full-year cost (each costing cached per version);
    archived options only when asked for, their status saying so."""
    with reading() as session:
        frame = list_structures(session=session, actor=actor, include_archived=include_archived)
    refs = cmp.refs_of(frame)
    table = frame.copy()
    table["kind"] = table["kind"].map(lambda k: KIND_LABELS.get(k, k))
    table["status"] = [f"{s}, archived" if a else s
                       for s, a in zip(table["status"], table["archived"], strict=True)]
    # FTE with thousands separators, as the posts beside it ("47,805.8", not "47805.8").
    table["fte"] = ["" if pd.isna(v) else fmt.fte(v) for v in table["fte"]]
    # Whole pounds for display; the figures underneath stay pence.
    table["full_year_cost"] = [round(cmp.cost_of(actor, ref).full_year_total / 100)
                               for ref in refs]
    table["envelope"] = ["not set" if pd.isna(v) else cc.pounds(v)
                         for v in table["envelope_pence"]]
    return Listing(table=table[LIST_COLUMNS], refs=refs,
                   archived=frozenset(int(i) for i in frame.loc[frame["archived"], "id"]))


def default_selection(listing: Listing) -> None:
    """Select the newest option (else the baseline) unless a structure still listed is."""
    ids = {r.id for r in listing.refs}
    if st.session_state.get(SELECT_KEY) not in ids:
        options = [r.id for r in listing.refs if r.kind == "option"]
        st.session_state[SELECT_KEY] = options[-1] if options else listing.refs[0].id


def clear_caches() -> None:
    _posts.clear()


def flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def pop_flash() -> str | None:
    return st.session_state.pop(FLASH_KEY, None)


def _refuse(exc: PlannerError, errors_key: str | None = None) -> None:
    """Show why nothing changed: an error table for validation, a message otherwise."""
    if isinstance(exc, ValidationFailed) and errors_key:
        st.session_state[errors_key] = fmt.errors_table(exc)
    else:
        st.error(fmt.md_escape(str(exc)))


def show_errors(key: str, headline: str) -> None:
    est.show_errors(key, headline)


# --- creating and importing ------------------------------------------------------------------


def create(actor: Actor, *, name: str, source: int, description: str) -> int | None:
    """A new option copied from `source`; its id, or None (and the reasons kept) if refused."""
    st.session_state.pop(CREATE_ERRORS_KEY, None)
    try:
        with writing() as session:
            option = create_option(session=session, actor=actor, name=name, source=source,
                                   description=description)
            new_id = option.id
    except (ValidationFailed, PermissionDenied, NotFound) as exc:
        _refuse(exc, CREATE_ERRORS_KEY)
        return None
    flash(f"Created {name.strip()}: a draft copy you can now edit.")
    return new_id


def run_import(actor: Actor, *, name: str, source: int,
               files: list[tuple[str, bytes]]) -> int | None:
    """A new option from a posts file, all-or-nothing; its id, or None with every error kept."""
    st.session_state.pop(IMPORT_ERRORS_KEY, None)
    try:
        with writing() as session:
            summary = import_option(session=session, actor=actor, name=name, files=files,
                                    source=source)
    except (ValidationFailed, PermissionDenied, NotFound) as exc:
        _refuse(exc, IMPORT_ERRORS_KEY)
        return None
    notes = " ".join(summary.notes)
    flash(f"Imported {summary.name}: {fmt.plural(summary.posts, 'post')} "
          f"({summary.new} new, {summary.deleted} deleted, {summary.regraded} regraded, "
          f"{summary.resized} resized, {summary.moved} moved). {notes}".strip())
    return summary.structure_id


# --- name, description, deletion -------------------------------------------------------------


def save_details(actor: Actor, ref: cmp.StructureRef, *, name: str, description: str,
                 current_description: str) -> bool:
    """Rename and/or re-describe, each checked against the version the form was filled on."""
    st.session_state.pop(DETAILS_ERRORS_KEY, None)
    version = ref.version
    changed = False
    try:
        with writing() as session:
            if name.strip() != ref.name:
                version = rename_option(session=session, actor=actor, structure=ref.id,
                                        name=name, expected_version=version).version
                changed = True
            if description != current_description:
                describe_option(session=session, actor=actor, structure=ref.id,
                                description=description, expected_version=version)
                changed = True
    except (ValidationFailed, StaleVersion, PermissionDenied, NotFound) as exc:
        _refuse(exc, DETAILS_ERRORS_KEY)
        return False
    if not changed:
        st.info("Nothing to save: the name and description are as they were.")
        return False
    flash(f"Saved the name and description of {name.strip()}.")
    return True


def delete(actor: Actor, ref: cmp.StructureRef) -> bool:
    try:
        with writing() as session:
            delete_option(session=session, actor=actor, structure=ref.id,
                          expected_version=ref.version)
    except (StaleVersion, PermissionDenied, NotFound, PlannerError) as exc:
        _refuse(exc)
        return False
    st.session_state.pop(SELECT_KEY, None)
    flash(f"Deleted {ref.name}.")
    return True


def set_archived(actor: Actor, ref: cmp.StructureRef, archived: bool) -> bool:
    """Archive (read-only, hidden by default) or restore the option, version-checked."""
    change = archive_option if archived else restore_option
    try:
        with writing() as session:
            change(session=session, actor=actor, structure=ref.id, expected_version=ref.version)
    except PlannerError as exc:
        _refuse(exc)
        return False
    if archived:
        st.session_state.pop(SELECT_KEY, None)
        flash(f"Archived {ref.name}: it is read-only and hidden until you restore it "
              "(Show archived options lists it).")
    else:
        flash(f"Restored {ref.name}: it can be changed again.")
    return True


# --- what an establishment import could not carry over ----------------------------------------


def load_conflicts(actor: Actor, ref: cmp.StructureRef) -> pd.DataFrame:
    """The option's open conflicts (a small table: read each run, never cached, so a
    resolution shows at once)."""
    with reading() as session:
        return list_conflicts(session=session, actor=actor, structure=ref.id)


def resolve(actor: Actor, ref: cmp.StructureRef, conflict_ids: list[int] | None) -> bool:
    """Mark the chosen conflicts (None: all) as dealt with."""
    try:
        with writing() as session:
            n = resolve_conflicts(session=session, actor=actor, structure=ref.id,
                                  conflict_ids=conflict_ids)
    except PlannerError as exc:
        _refuse(exc)
        return False
    flash(f"Marked {fmt.plural(n, 'conflict')} of {ref.name} as dealt with.")
    return True


# --- the budget envelope ---------------------------------------------------------------------


def pence_from_text(text: str) -> int | None:
    """'£1,234,567.50' -> 123456750; blank -> None; anything else raises ValueError."""
    clean = text.strip().replace("£", "").replace(",", "").replace(" ", "")
    if not clean:
        return None
    try:
        value = Decimal(clean)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount of money, e.g. 6,950,000") from None
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} has more than two places of pence.")
    return int(value * 100)


def share_table(cost: StructureCost) -> pd.DataFrame:
    """The envelope form's partner rows: each partner's fixed amount (£) or share (%)."""
    shares = cost.shares.set_index("partner_id") if len(cost.shares) else cost.shares
    rows = []
    # Only the active councils share the envelope (a customer pays for its own posts; a
    # retired partner holds nothing): a handful of rows, not posts.
    partners = cost.partners
    if "active" in partners.columns:
        partners = partners[partners["active"].astype(bool)]
    for pid, partner in partners[partners["kind"] == "council"].iterrows():
        amount = share = None
        if len(shares) and pid in shares.index:
            a, b = shares.at[pid, "amount_pence"], shares.at[pid, "share_bp"]
            amount = None if pd.isna(a) else int(a) / 100
            share = None if pd.isna(b) else int(b) / 100
        rows.append({"partner": str(partner["name"]), "amount": amount, "share": share})
    frame = pd.DataFrame(rows, columns=["partner", "amount", "share"])
    return frame.astype({"amount": "float64", "share": "float64"})


def shares_from_table(table: pd.DataFrame) -> dict[str, PartnerShare]:
    """The form's rows as PartnerShares; rows with neither amount nor share are left out, so
    an empty table means equal shares between the councils. Pure, tested without Streamlit."""
    out: dict[str, PartnerShare] = {}
    for row in table.to_dict(orient="records"):
        amount, share = row.get("amount"), row.get("share")
        has_amount = amount is not None and not pd.isna(amount)
        has_share = share is not None and not pd.isna(share)
        if not (has_amount or has_share):
            continue
        out[str(row["partner"])] = PartnerShare(
            amount_pence=int((Decimal(str(amount)) * 100).quantize(Decimal(1)))
            if has_amount else None,
            share_bp=int((Decimal(str(share)) * 100).quantize(Decimal(1))) if has_share else None)
    return out


def save_envelope(actor: Actor, ref: cmp.StructureRef, *, total: str, months: int,
                  table: pd.DataFrame) -> bool:
    st.session_state.pop(ENVELOPE_ERRORS_KEY, None)
    try:
        envelope = pence_from_text(total)
    except ValueError as exc:
        st.error(fmt.md_escape(str(exc)))
        return False
    try:
        with writing() as session:
            set_envelope(session=session, actor=actor, structure=ref.id,
                         envelope_pence=envelope, months=int(months),
                         shares=shares_from_table(table), expected_version=ref.version)
    except (ValidationFailed, StaleVersion, PermissionDenied, NotFound) as exc:
        _refuse(exc, ENVELOPE_ERRORS_KEY)
        return False
    flash(f"Saved the budget envelope of {ref.name}.")
    return True


def envelope_metrics(cost: StructureCost) -> list[tuple[str, str, str]]:
    """(label, value, help) for the four figures above the envelope: the headroom is the
    headline ("Over for 2 partners: …") whenever a council is over, never a bare total."""
    pos = cost.envelope()
    return [
        ("Full-year cost", cc.pounds(cost.full_year_total),
         "Every post for twelve months at this pay year's rates, on-costs included."),
        (f"Spend for {fmt.plural(pos.months, 'month')}", cc.pounds(pos.spend),
         "The part-year cost of every post for the months the envelope covers, customers' "
         "posts included (gross)."),
        ("Envelope", "not set" if pos.envelope is None else cc.pounds(pos.envelope),
         "The councils' budget for those months."),
    ] + [
        # Never a reassuring total while a council is over: the count, named just below.
        ("Councils over their envelope", fmt.count(len(pos.over)),
         f"Each is named below in red. The total headroom ({cc.pounds(pos.headroom or 0)}, "
         f"envelope − net spend) hides them. {cc.covers_text(pos)}") if pos.over else
        ("Headroom", "—" if pos.headroom is None else (
            cc.pounds(pos.headroom) if pos.headroom >= 0
            else f"over by {cc.pounds(-pos.headroom)}"),
         "Envelope − net spend: the sum of the councils' headroom. " + cc.covers_text(pos)),
    ]


def over_headline(cost: StructureCost) -> str | None:
    """'Over for N partners: …' (shown in red) when any council is over its envelope."""
    pos = cost.envelope()
    return cc.headroom_headline(pos) if pos.over else None


def customer_posts_caption(cost: StructureCost) -> str:
    """What the headroom covers and how customers' posts are treated (the setting)."""
    pos = cost.envelope()
    return f"{cc.covers_text(pos)} (Setting PLANNER_CUSTOMER_POSTS = {pos.customer_posts}.)"


RED = "color: #b3261e; font-weight: 600"


def statement_table(cost: StructureCost) -> Any:
    """The envelope's make-up, line by line, whole pounds (display only); the headroom line
    red when any council is over its envelope, totals in bold."""
    statement = cc.envelope_statement(cost.envelope())
    frame = pd.DataFrame({"line": statement["line"],
                          "amount": ["not set" if v is None or pd.isna(v) else cc.pounds(v)
                                     for v in statement["amount"]]})
    kinds = statement["kind"].tolist()

    def style(_: pd.Series) -> list[str]:
        return [RED if k == "over" else "font-weight: 600" if k == "total"
                else "color: #5f6b7a; font-style: italic" if k == "below" else "" for k in kinds]

    return frame.style.apply(style, subset=["amount"]).apply(style, subset=["line"])


def envelope_table(cost: StructureCost) -> Any:
    """Each partner's position as whole pounds (display only), an overspent partner in red.

    Cells are text so a missing envelope reads "not set" (a customer: "none (customer)")
    rather than a blank or "None"; the colour comes from the pence underneath, never from
    parsing the text.
    """
    position = cost.envelope().by_partner
    frame = position[["partner", "kind"]].copy()
    money = ["charged_cost", "shared_cost", "spend", "envelope", "headroom"]
    customer = (position["kind"] == "customer").tolist()
    for col in money:
        frame[col] = [("none (customer)" if c and col in ("envelope", "headroom") else "not set")
                      if pd.isna(v) else cc.pounds(v)
                      for v, c in zip(position[col], customer, strict=True)]
    over = [bool(pd.notna(v) and v < 0) for v in position["headroom"]]

    def colour(column: pd.Series) -> list[str]:
        return [RED if o else "" for o in over]

    return frame.style.apply(colour, subset=["partner", "spend", "headroom"])


# --- the recruitment assumption -------------------------------------------------------------

RECRUITED_LABEL = "Assume interim-covered posts are recruited to permanently"
RECRUITED_CAPTION = (
    "When on, the interim and agency workers this option would carry from the baseline are "
    "assumed to leave as the posts are filled permanently: their posts are costed as vacancies "
    "at the vacancy costing point, with on-costs, instead of at day rates. The difference shows "
    "on the Compare page as \"Interims replaced by permanent staff\". Employees, and anyone "
    "placed in the option's posts directly, are costed as before; nobody's contract changes.")


def recruited_key(ref: cmp.StructureRef) -> str:
    # Keyed on the version: after any save the toggle is rebuilt from the database.
    return f"assume_recruited_{ref.id}_v{ref.version}"


def save_assume_recruited(actor: Actor, ref: cmp.StructureRef, value: bool) -> bool:
    """Turn the option's recruitment assumption on or off, checked against the version read."""
    try:
        with writing() as session:
            set_assume_recruited(session=session, actor=actor, structure=ref.id, value=value,
                                 expected_version=ref.version)
    except PlannerError as exc:
        _refuse(exc)
        return False
    flash(f"{ref.name} now assumes interim-covered posts are recruited to permanently."
          if value else f"{ref.name} now keeps its interims at their day rates.")
    return True


# --- the option's post editor ----------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=4)
def _posts(url: str, structure_id: int, version: int, role: str, _actor: Actor) -> pd.DataFrame:
    """The option's posts as the editor takes them, read once per version."""
    with reading() as session:
        frame = establishment_frame(session=session, actor=_actor, structure_id=structure_id)
    return frame[[*EDITABLE_COLUMNS, "version"]].reset_index(drop=True)


def pinned_version(ref: cmp.StructureRef) -> int:
    """The version the editor was opened on: kept until a save or a reload, so another
    user's save (which bumps the version) does not swap the editor's input and lose edits."""
    pinned = st.session_state.setdefault(PINNED_KEY, {})
    return int(pinned.setdefault(ref.id, ref.version))


def unpin(ref: cmp.StructureRef) -> None:
    st.session_state.setdefault(PINNED_KEY, {}).pop(ref.id, None)
    st.session_state.pop(STALE_KEY, None)


def editor_input(actor: Actor, ref: cmp.StructureRef) -> pd.DataFrame:
    return _posts(database_url(), ref.id, pinned_version(ref), actor.role, actor)


def editor_key(ref: cmp.StructureRef) -> str:
    return f"option_editor_{ref.id}_v{pinned_version(ref)}"


def save_posts(actor: Actor, ref: cmp.StructureRef, original: pd.DataFrame,
               state: dict[str, Any]) -> bool:
    """Save the editor's delta to the option; on refusal keep the edits and say why."""
    st.session_state.pop(EDIT_ERRORS_KEY, None)
    st.session_state.pop(STALE_KEY, None)
    edits = edits_from_editor(original, state)
    if edits.is_empty():
        st.info("There are no changes to save.")
        return False
    try:
        with writing() as session:
            result = edit_option_posts(session=session, actor=actor, structure=ref.id,
                                       edits=edits)
    except ValidationFailed as exc:
        st.session_state[EDIT_ERRORS_KEY] = fmt.errors_table(exc)
        return False
    except (StaleVersion, PermissionDenied, NotFound) as exc:
        # Kept in session state so the message survives the reruns the user makes to fix it.
        st.session_state[STALE_KEY] = str(exc)
        return False
    unpin(ref)
    clear_caches()
    flash(f"Saved {ref.name}: {fmt.plural(result.added, 'post')} added, "
          f"{fmt.count(result.updated)} changed, {fmt.count(result.deleted)} deleted.")
    return True


def _whole_pounds(pence: int) -> int:
    return int((Decimal(int(pence)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pounds(pounds: int, sign: bool = False) -> str:
    mark = ("+" if pounds > 0 else "±" if pounds == 0 else "−") if sign else (
        "−" if pounds < 0 else "")
    return f"{mark}£{abs(pounds):,}"


def preview_sentence(preview: EditPreview) -> str:
    """'Unsaved changes: cost £6,812,000 a year (−£85,990), headroom £188,000 (+£85,990),
    people affected 3.' Whole pounds, each change the difference of the rounded figures, so
    the saved figure plus the change is the figure shown."""
    if preview.problems:
        return ("Unsaved changes: the figures wait for values that can be costed. "
                + " ".join(preview.problems))
    cost, saved = _whole_pounds(preview.cost), _whole_pounds(preview.saved_cost)
    if preview.headroom is None or preview.saved_headroom is None:
        headroom = "no envelope set"
    else:
        now, was = _whole_pounds(preview.headroom), _whole_pounds(preview.saved_headroom)
        headroom = f"{_pounds(now)} ({_pounds(now - was, sign=True)})"
    return (f"Unsaved changes: cost {_pounds(cost)} a year ({_pounds(cost - saved, sign=True)}),"
            f" headroom {headroom}, people affected {fmt.count(preview.people_affected)}.")


def edit_preview(actor: Actor, ref: cmp.StructureRef, original: pd.DataFrame,
                 state: dict[str, Any] | None) -> str | None:
    """The grid's unsaved delta priced (planner.structures.edit_preview), or None while there is none."""
    edits = edits_from_editor(original, state or {})
    if edits.is_empty():
        return None
    try:
        with reading() as session:
            preview = preview_option_edits(session=session, actor=actor, structure=ref.id,
                                           edits=edits)
    except PlannerError as exc:
        return f"Unsaved changes: no preview ({exc})."
    return fmt.md_escape(preview_sentence(preview))


def stale_message() -> str | None:
    message = st.session_state.get(STALE_KEY)
    return fmt.md_escape(message) if message else None


def band_notes(cost: Any) -> list[str]:
    """What costing says about salary-band grades (an organogram's): the point they are
    costed at (setting band_cost_point) and any grade with no published pay."""
    return [w for w in cost.warnings if "salary-band" in w or "no published pay" in w]

