"""The audit trail read aloud: each event as one plain sentence a director can follow.

"Marcus Obi changed the envelope of Option 2 from £7,000,000 to £6,800,000." The event
itself (planner.core.audit) keeps the raw before and after, with database ids and ISO dates, for
anyone who needs the detail; this module only words it. `describe` is pure: the names it
needs (people, structures, the structure a post belongs to, cohorts) come in an
`AuditNames`, which `names_for` reads from the database in a handful of queries.

Money is written in pounds, dates as "1 Feb 2027" (planner.core.values.long_date), people by
their display name (without the job title in brackets) where the user exists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from planner.core.models import Post, Structure, TupeCohort, User
from planner.core.values import is_blank, long_date

ROLE_WORDS = {"hr": "HR", "manager": "senior manager", "union": "trade-union representative",
              "admin": "administrator"}
# How a field reads in a sentence ("grade", "FTE", "reports to").
FIELD_WORDS = {"post_id": "post id", "fte": "FTE", "reports_to": "reports to",
               "min_scp": "lowest point", "max_scp": "highest point",
               "envelope_pence": "envelope", "annual_pence": "annual value",
               "share_bp": "share", "eli_received_on": "ELI received",
               "eli_items": "ELI items", "measures_notified_on": "measures notified",
               "transferor_measures": "transferor's measures",
               "transferee_measures": "transferee's measures", "done_on": "done on",
               "assume_recruited": "interims recruited to permanently"}
# Bookkeeping fields nobody needs read out.
_QUIET = {"version", "id", "structure_id", "person_id", "partner_id", "cohort_id",
          "copied_from_id", "source_id", "updated_at", "created_at"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.+]*)?$")
_TITLE_IN_BRACKETS = re.compile(r"\s*\(.*\)\s*$")


@dataclass(frozen=True)
class AuditNames:
    """What the sentences name: display names by username, structure names by id, the
    structure each (still existing) post belongs to, cohort names by id."""

    people: Mapping[str, str] = field(default_factory=dict)
    structures: Mapping[int, str] = field(default_factory=dict)
    post_structure: Mapping[int, int] = field(default_factory=dict)
    cohorts: Mapping[int, str] = field(default_factory=dict)


def names_for(session: Session) -> AuditNames:
    """Every name `describe` may need, read once for a page of events."""
    people = {u.username: u.display_name or u.username for u in session.exec(select(User))}
    structures = {int(i): n for i, n in session.exec(select(Structure.id, Structure.name))}
    posts = {int(i): int(s) for i, s in session.exec(select(Post.id, Post.structure_id))}
    cohorts = {int(i): n for i, n in session.exec(select(TupeCohort.id, TupeCohort.name))}
    return AuditNames(people=people, structures=structures, post_structure=posts,
                      cohorts=cohorts)


# --- values as words ----------------------------------------------------------------------

def _pounds(pence: Any) -> str:
    if is_blank(pence):
        return "none"
    d = Decimal(int(pence)) / 100
    sign = "-" if d < 0 else ""
    d = abs(d)
    text = f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"
    return f"{sign}£{text}"


def value_text(key: str, value: Any) -> str:
    """One recorded value as a person reads it: pence as pounds, basis points as a percent,
    ISO dates long, lists joined, nothing as "none"."""
    if is_blank(value) or value == []:
        return "none"
    if key.endswith("_pence"):
        return _pounds(value)
    if key.endswith("_bp"):
        return f"{(Decimal(int(value)) / 100).normalize():f}%"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return long_date(value)
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return long_date(dt.date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return ", ".join(value_text(key, v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{field_word(k)} {value_text(k, v)}" for k, v in value.items()
                         if k not in _QUIET) or "none"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def field_word(key: str) -> str:
    return FIELD_WORDS.get(key, key.removesuffix("_pence").replace("_", " "))


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """'grade from PO3 to PO4' for each field whose value differs (bookkeeping left out)."""
    before, after = before or {}, after or {}
    keys = [k for k in after if k not in _QUIET and before.get(k) != after.get(k)]
    keys += [k for k in before if k not in after and k not in _QUIET]
    return [f"{field_word(k)} from {value_text(k, before.get(k))} to "
            f"{value_text(k, after.get(k))}" for k in keys]


def person(username: str, names: AuditNames) -> str:
    """'Marcus Obi' for the user marcus whose display name is 'Marcus Obi (Head of …)'."""
    if not username:
        return "Someone not signed in"
    display = names.people.get(username) or ("System" if username == "system" else username)
    return _TITLE_IN_BRACKETS.sub("", display) or username


# --- the sentences ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Event:
    who: str
    action: str
    entity: str
    entity_id: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    names: AuditNames

    def structure(self, sid: Any) -> str:
        try:
            return self.names.structures.get(int(sid), "a structure since deleted")
        except (TypeError, ValueError):
            return "a structure"

    def own_structure(self) -> str:
        return self.structure(self.entity_id)

    def post_place(self) -> str:
        """' in Option 1' where the post still exists, '' where it no longer does."""
        try:
            sid = self.names.post_structure.get(int(self.entity_id))
        except ValueError:
            sid = None
        return "" if sid is None else f" in {self.structure(sid)}"

    def post_ref(self) -> str:
        return str(self.after.get("post_id") or self.before.get("post_id") or "a post")


def _join(parts: Iterable[str]) -> str:
    return "; ".join(parts)


def _post_update(e: _Event) -> str:
    ref, where = e.post_ref(), e.post_place()
    diff = {k for k in e.after if k not in _QUIET and e.before.get(k) != e.after.get(k)}
    b, a = e.before, e.after
    if diff == {"grade"}:
        return f"{e.who} regraded {ref}{where} from {b.get('grade')} to {a.get('grade')}"
    if diff == {"title"}:
        return f"{e.who} retitled {ref}{where} from “{b.get('title')}” to “{a.get('title')}”"
    if diff == {"reports_to"}:
        return (f"{e.who} moved {ref}{where} to report to {a.get('reports_to') or 'nobody'} "
                f"(was {b.get('reports_to') or 'nobody'})")
    if diff == {"fte"}:
        return (f"{e.who} changed the FTE of {ref}{where} from {value_text('fte', b.get('fte'))}"
                f" to {value_text('fte', a.get('fte'))}")
    if diff == {"post_id"}:
        return f"{e.who} renumbered {b.get('post_id')}{where} as {a.get('post_id')}"
    if not diff:
        return f"{e.who} saved {ref}{where} without changing it"
    return f"{e.who} changed {ref}{where}: {_join(changes(b, a))}"


def _post_create(e: _Event) -> str:
    a = e.after
    return (f"{e.who} added {e.post_ref()} ({a.get('title') or 'untitled'}, "
            f"{a.get('grade') or 'no grade'}){e.post_place().replace(' in ', ' to ', 1)}")


def _post_delete(e: _Event) -> str:
    return f"{e.who} deleted {e.post_ref()} ({e.before.get('title') or 'untitled'})"


def _structure_import(e: _Event) -> str:
    a = e.after
    if "people" in a:  # the establishment (planner.establishment.importer)
        return (f"{e.who} imported the establishment: {a.get('posts', 0):,} posts, "
                f"{a.get('people', 0):,} people")
    return (f"{e.who} imported {a.get('name') or e.own_structure()} from a file, based on "
            f"{a.get('source') or 'the baseline'}: {a.get('posts', 0):,} posts "
            f"({a.get('new', 0):,} new, {a.get('deleted', 0):,} deleted)")


def _organogram_import(e: _Event) -> str:
    a = e.after
    grades = len(a.get("grades_added") or [])
    return (f"{e.who} imported the establishment from a published organogram: "
            f"{a.get('senior_posts', 0):,} senior and {a.get('junior_posts', 0):,} junior posts, "
            f"{a.get('junior_fte', '0')} junior FTE, {_count(grades, 'grade')} added as salary "
            f"bands, {_count(len(a.get('assumptions') or []), 'assumption')} recorded")


def _structure_create(e: _Event) -> str:
    a = e.after
    return (f"{e.who} created {a.get('name') or e.own_structure()} as a copy of "
            f"{a.get('copied_from') or 'another structure'} ({a.get('posts', 0):,} posts)")


def _structure_delete(e: _Event) -> str:
    b = e.before
    return f"{e.who} deleted {b.get('name') or 'an option'} ({b.get('posts', 0):,} posts)"


def _envelope(e: _Event) -> str:
    b, a, name = e.before, e.after, e.own_structure()
    parts = []
    if b.get("envelope_pence") != a.get("envelope_pence"):
        parts.append(f"changed the envelope of {name} from {_pounds(b.get('envelope_pence'))} "
                     f"to {_pounds(a.get('envelope_pence'))}")
    if b.get("months") != a.get("months"):
        parts.append(f"{'set it' if parts else f'set the envelope of {name}'} to cover "
                     f"{a.get('months')} months (was {b.get('months')})")
    if b.get("shares") != a.get("shares"):
        parts.append(f"changed the partners' shares of {'it' if parts else name}")
    if not parts:
        return f"{e.who} saved the envelope of {name} unchanged"
    return f"{e.who} " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1
                          else parts[0])


def _edit_posts(e: _Event) -> str:
    a = e.after
    counts = [(len(a.get("added") or []), "added"), (len(a.get("updated") or {}), "changed"),
              (len(a.get("deleted") or {}), "deleted")]
    said = ", ".join(f"{n:,} {word}" for n, word in counts if n) or "no change"
    return f"{e.who} edited the posts of {e.own_structure()}: {said}"


def _status(e: _Event) -> str:
    return (f"{e.who} moved {e.own_structure()} from {e.before.get('status')} to "
            f"{e.after.get('status')}")


def _signin(e: _Event) -> str:
    how = " with single sign-on" if e.after.get("via") == "oidc" else ""
    return f"{e.who} signed in{how}"


def _signin_failed(e: _Event) -> str:
    if e.after.get("via") == "oidc":
        return (f"A single sign-on as {e.after.get('email') or e.entity_id} was refused: "
                "no active user has that email")
    return (f"A sign-in as “{e.after.get('username') or e.entity_id}” was refused: wrong user "
            "name or password, or the user is not active")


def _denied(e: _Event) -> str:
    message = str(e.after.get("message") or "").rstrip(".")
    return f"{e.who} was refused: {message}" if message else f"{e.who} was refused"


def _user_create(e: _Event) -> str:
    a = e.after
    role = ROLE_WORDS.get(str(a.get("role")), str(a.get("role")))
    return f"{e.who} added the user {a.get('username')} ({role})"


def _grade(e: _Event) -> str:
    b, a = e.before, e.after
    return (f"{e.who} changed grade {e.entity_id}'s pay range from SCP {b.get('min_scp')}–"
            f"{b.get('max_scp')} to SCP {a.get('min_scp')}–{a.get('max_scp')}")


def _spine(e: _Event) -> str:
    year, _, scp = e.entity_id.rpartition("/")
    return (f"{e.who} changed SCP {scp} in {year} from {_pounds(e.before.get('annual_pence'))} "
            f"to {_pounds(e.after.get('annual_pence'))} a year")


def _partner(e: _Event) -> str:
    a = e.after
    if e.action == "create":
        share = value_text("share_bp", a.get("share_bp"))
        host = ", the host" if a.get("is_host") else ""
        return f"{e.who} added the partner {a.get('name')} ({share}{host})"
    said = _join(changes(e.before, a))
    return f"{e.who} changed the partner {a.get('name') or e.before.get('name')}: {said or 'no change'}"


def _cohort(e: _Event) -> str:
    try:
        name = e.names.cohorts.get(int(e.entity_id)) or e.after.get("name") or "a TUPE cohort"
    except ValueError:
        name = "a TUPE cohort"
    people = e.after.get("people") or []
    if e.action == "create":
        return (f"{e.who} started the TUPE cohort {name} with "
                f"{len(people):,} {'person' if len(people) == 1 else 'people'}")
    if e.action == "join":
        return (f"{e.who} added {len(people):,} {'person' if len(people) == 1 else 'people'} "
                f"to the TUPE cohort {name}")
    verb = {"record_eli": "recorded the employee liability information of",
            "set_measures": "recorded the measures of"}.get(e.action, "changed")
    said = _join(changes(e.before, e.after))
    return f"{e.who} {verb} {name}" + (f": {said}" if said else "")


def _milestone(e: _Event) -> str:
    a = e.after
    try:
        cohort = e.names.cohorts.get(int(a.get("cohort_id")), "a TUPE cohort")
    except (TypeError, ValueError):
        cohort = "a TUPE cohort"
    step = str(a.get("key") or "a milestone").replace("_", " ")
    if is_blank(a.get("done_on")):
        return f"{e.who} cleared the date of the milestone “{step}” of {cohort}"
    return (f"{e.who} marked the milestone “{step}” of {cohort} done on "
            f"{value_text('done_on', a.get('done_on'))}")


def _plan(e: _Event) -> str:
    said = _join(changes(e.before, e.after))
    verb = "set up" if e.action == "create" else "changed"
    return (f"{e.who} {verb} the consultation plan of {e.own_structure()}"
            + (f": {said}" if said and e.action != "create" else ""))


def _stage(e: _Event) -> str:
    a = e.after
    name = a.get("name") or str(a.get("key") or "a stage").replace("_", " ")
    where = e.structure(a.get("structure_id"))
    said = _join(changes(e.before, {k: a.get(k) for k in e.before})) if e.before else ""
    return f"{e.who} saved the consultation stage “{name}” of {where}" + (f": {said}" if said else "")


def _checkpoint(e: _Event) -> str:
    sid, _, stage = e.entity_id.partition(":")
    where = e.structure(sid)
    what = f"stage {stage} of the equality analysis of {where}"
    verb = {"save": "saved", "sign_off": "signed off",
            "withdraw_sign_off": "withdrew the sign-off of"}.get(e.action, e.action)
    return f"{e.who} {verb} {what}"


def _equality_record(e: _Event) -> str:
    if e.action == "import":
        a = e.after
        return (f"{e.who} imported equality monitoring answers: {a.get('rows', 0):,} rows "
                f"({a.get('created', 0):,} new, {a.get('updated', 0):,} updated)")
    verb = "recorded" if e.action == "create" else "updated"
    return f"{e.who} {verb} the equality monitoring answers of employee {e.entity_id}"


def _eto(e: _Event) -> str:
    a = e.after
    return (f"{e.who} recorded the ETO reason for {a.get('baseline_post_id') or 'a post'} in "
            f"{e.structure(a.get('structure_id'))}: {value_text('rationale', a.get('rationale'))}")


def _count(n: Any, one: str, many: str | None = None) -> str:
    n = int(n or 0)
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _user_update(e: _Event) -> str:
    name = e.after.get("username") or e.before.get("username") or "a user"
    parts = []
    if e.before.get("role") != e.after.get("role"):
        parts.append(f"role from {ROLE_WORDS.get(str(e.before.get('role')), e.before.get('role'))}"
                     f" to {ROLE_WORDS.get(str(e.after.get('role')), e.after.get('role'))}")
    if e.before.get("active") != e.after.get("active"):
        parts.append("reactivated the account" if e.after.get("active")
                     else "deactivated the account")
    if e.before.get("display_name") != e.after.get("display_name"):
        parts.append(f"name to {e.after.get('display_name')}")
    return f"{e.who} changed {name}: {_join(parts) or 'nothing'}"


def _rebase(e: _Event) -> str:
    a = e.after
    done = [_count(len(a.get("updated") or {}) + len(a.get("moved") or []), "post") + " updated",
            _count(len(a.get("added") or []), "new post") + " added"]
    if a.get("detached"):
        done.append(_count(len(a["detached"]), "post") + " kept that the establishment deleted")
    return (f"{e.who}'s establishment import rebased {e.own_structure()}: {_join(done)}; "
            f"{_count(a.get('conflicts'), 'conflict')} to review")


def _restore_database(e: _Event) -> str:
    taken = e.after.get("taken_at")
    when = f", taken {value_text('taken_at', str(taken)[:10])}" if taken else ""
    return (f"{e.who} restored the database from {e.after.get('file')} "
            f"({int(e.after.get('rows') or 0):,} rows{when})")


def _fallback(e: _Event) -> str:
    said = _join(changes(e.before, e.after))
    what = e.own_structure() if e.entity == "structure" else (
        f"{e.entity.replace('_', ' ')} {e.entity_id}".rstrip())
    return (f"{e.who}: {e.action.replace('_', ' ')} {what}"
            + (f" ({said})" if said else ""))


_SENTENCES: dict[tuple[str, str], Callable[[_Event], str]] = {
    ("post", "update"): _post_update,
    ("post", "create"): _post_create,
    ("post", "delete"): _post_delete,
    ("structure", "import"): _structure_import,
    ("organogram", "import"): _organogram_import,
    ("structure", "create"): _structure_create,
    ("structure", "delete"): _structure_delete,
    ("structure", "envelope"): _envelope,
    ("structure", "edit_posts"): _edit_posts,
    ("structure", "status"): _status,
    ("structure", "rename"): lambda e: (f"{e.who} renamed {e.before.get('name')} to "
                                        f"{e.after.get('name')}"),
    ("structure", "describe"): lambda e: f"{e.who} rewrote the description of {e.own_structure()}",
    ("structure", "assume_recruited"): lambda e: (
        f"{e.who} {'turned on' if e.after.get('assume_recruited') else 'turned off'} the "
        f"assumption that interim-covered posts in {e.own_structure()} are recruited to "
        "permanently"),
    ("user", "signin"): _signin,
    ("user", "signin_failed"): _signin_failed,
    ("user", "signout"): lambda e: f"{e.who} signed out",
    ("user", "timeout"): lambda e: f"{e.who} was signed out after a time without activity",
    ("user", "create"): _user_create,
    ("grade", "update"): _grade,
    ("pay_spine", "update"): _spine,
    ("partner", "create"): _partner,
    ("partner", "update"): _partner,
    ("consultation_plan", "create"): _plan,
    ("consultation_plan", "save"): _plan,
    ("consultation_stage", "create"): _stage,
    ("consultation_stage", "save"): _stage,
    ("equality_record", "create"): _equality_record,
    ("equality_record", "update"): _equality_record,
    ("equality_record", "import"): _equality_record,
    ("equality_checkpoint", "save"): _checkpoint,
    ("equality_checkpoint", "sign_off"): _checkpoint,
    ("equality_checkpoint", "withdraw_sign_off"): _checkpoint,
    ("tupe_cohort", "create"): _cohort,
    ("tupe_cohort", "join"): _cohort,
    ("tupe_cohort", "record_eli"): _cohort,
    ("tupe_cohort", "set_measures"): _cohort,
    ("tupe_cohort", "update"): _cohort,
    ("tupe_milestone", "mark"): _milestone,
    ("eto_rationale", "set_eto"): _eto,
    ("user", "update"): _user_update,
    ("user", "reset_password"): lambda e: (
        f"{e.who} set a new password for {e.after.get('username') or 'a user'}, ending their "
        "other sessions"),
    ("user", "signin_locked"): lambda e: (
        f"A sign-in as “{e.after.get('username') or e.entity_id}” was refused after too many "
        "failed attempts"),
    ("user", "deactivated"): lambda e: f"{e.who} was signed out: the account is no longer active",
    ("partner", "retire"): lambda e: (
        f"{e.who} retired the partner {e.before.get('name') or e.after.get('name')}: the new "
        "partners sheet no longer names it"),
    ("structure", "archive"): lambda e: f"{e.who} archived {e.own_structure()}",
    ("structure", "restore"): lambda e: f"{e.who} restored {e.own_structure()} from the archive",
    ("structure", "rebase"): _rebase,
    ("structure", "resolve_conflicts"): lambda e: (
        f"{e.who} marked {_count(len(e.after.get('conflicts') or []), 'conflict')} in "
        f"{e.own_structure()} as dealt with"),
    ("database", "backup"): lambda e: (
        f"{e.who} backed up the database ({int(e.after.get('rows') or 0):,} rows) to "
        f"{e.after.get('file')}"),
    ("database", "restore"): _restore_database,
    ("app_secret", "create"): lambda e: f"{e.who} created the key that signs session cookies",
    # Published drafts (issue 13): the draft's option and number are in the event.
    ("published_draft", "publish"): lambda e: (
        f"{e.who} published draft {e.after.get('number')} of {e.after.get('option')} for "
        "consultation with the trade unions"),
    ("published_draft", "withdraw"): lambda e: (
        f"{e.who} withdrew a published draft (draft id {e.entity_id}): "
        f"{e.after.get('reason')}"),
    ("draft_response", "respond"): lambda e: (
        f"{e.who} responded to a published draft"
        + (f" on post {e.after.get('post_id')}" if e.after.get("post_id") else "")
        + (f" on the {e.after.get('team')} team" if e.after.get("team") else "")),
    ("draft_response", "reply"): lambda e: (
        f"{e.who} replied to a union response ({e.after.get('status')})"),
    # The medium-term financial plan (issue 15): the option is named in the event.
    ("financial_plan", "save"): lambda e: (
        f"{e.who} saved the financial plan of {e.after.get('option') or 'an option'}: "
        f"{e.after.get('years')} years from {e.after.get('first_year')}, taking effect "
        f"{value_text('effective_on', e.after.get('effective_on'))}"),
    ("app", "error"): lambda e: (
        f"{e.who} met an unexpected error{' on ' + str(e.after.get('page')) if e.after.get('page') else ''}"
        f" (reference {e.entity_id}); the details are in this event"),
}


# The (entity, action) pairs said in their own words; anything else gets the plain fallback.
KINDS: frozenset[tuple[str, str]] = frozenset(_SENTENCES)
ACTIONS: tuple[str, ...] = tuple(sorted({a for _, a in _SENTENCES} | {"denied"}))
ENTITIES: tuple[str, ...] = tuple(sorted({e for e, _ in _SENTENCES} | {"audit"}))


def describe(*, action: str, entity: str, entity_id: str = "", username: str = "",
             before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
             names: AuditNames | None = None) -> str:
    """One audit event as a sentence, ending with a full stop. A refusal ("denied") reads
    the same whatever it was about; an action this module does not know is still said,
    plainly, with what changed."""
    names = names or AuditNames()
    event = _Event(who=person(username, names), action=action, entity=entity,
                   entity_id=str(entity_id or ""),
                   before=before if isinstance(before, Mapping) else {},
                   after=after if isinstance(after, Mapping) else {}, names=names)
    if action == "denied":
        text = _denied(event)
    else:
        text = _SENTENCES.get((entity, action), _fallback)(event)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."
