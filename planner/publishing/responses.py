"""Responses to published drafts: a union representative writes, hr replies (issue 13).

A response is on a draft, optionally on one of its posts or teams; it is open until hr
replies, and the reply says whether management answered it, accepted it, or did not accept it
(with its reasons: TULRCA 1992 s.188(6) asks the employer to consider the representations made
and reply to them, giving reasons where it rejects them). The response log per option lists
every response with its reply, for the final report and as an xlsx download.
"""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor, require
from planner.core.errors import NotFound, RowError, StaleVersion, ValidationFailed
from planner.core.models import RESPONSE_STATUSES, DraftResponse, PublishedDraft, utcnow
from planner.core.spreadsheets import Sheet, xlsx_bytes
from planner.publishing.drafts import NO_DRAFT, drafts_frame

MAX_TEXT = 8000
REPLY_STATUSES = tuple(s for s in RESPONSE_STATUSES if s != "open")
RESPONSE_COLUMNS = ["id", "draft_id", "draft", "submitted_at", "author", "post_id", "team",
                    "text", "status", "reply", "replied_by", "replied_at", "version"]


def _err(column: str, message: str) -> ValidationFailed:
    return ValidationFailed([RowError("response", None, column, message)])


def submit_response(*, session: Session, actor: Actor, draft_id: int, text: str,
                    post_id: str = "", team: str = "") -> DraftResponse:
    """A union representative's response to a published (not withdrawn) draft."""
    require(actor, "drafts.respond", "draft_response")
    draft = session.get(PublishedDraft, draft_id)
    if draft is None:
        raise NotFound(NO_DRAFT)
    text, post_id, team = (text or "").strip(), (post_id or "").strip(), (team or "").strip()
    errors: list[RowError] = []
    if draft.status != "published":
        errors.append(RowError("response", None, "draft", (
            f"Draft {draft.number} was withdrawn ({draft.withdrawn_reason}): respond to the "
            "current draft.")))
    if not text:
        errors.append(RowError("response", None, "text", "Write the response."))
    elif len(text) > MAX_TEXT:
        errors.append(RowError("response", None, "text", (
            f"The response is {len(text):,} characters; the limit is {MAX_TEXT:,}.")))
    posts = {p["post_id"] for p in draft.snapshot.get("posts", [])}
    teams = {p["team"] for p in draft.snapshot.get("posts", [])} | {
        p["team_before"] for p in draft.snapshot.get("posts", [])}
    if post_id and post_id not in posts:
        errors.append(RowError("response", None, "post_id", (
            f"{post_id!r} is not a post of draft {draft.number}.")))
    if team and team not in teams:
        errors.append(RowError("response", None, "team", (
            f"{team!r} is not a team of draft {draft.number}.")))
    if errors:
        raise ValidationFailed(errors)
    response = DraftResponse(draft_id=draft_id, author=actor.username, text=text,
                             post_ref=post_id, team=team)
    session.add(response)
    session.flush()
    audit.record(session, actor=actor, action="respond", entity="draft_response",
                 entity_id=str(response.id), before=None,
                 after={"draft_id": draft_id, "post_id": post_id, "team": team})
    session.flush()
    return response


def reply_to_response(*, session: Session, actor: Actor, response_id: int, reply: str,
                      status: str, expected_version: int) -> DraftResponse:
    """hr's reply: answered, accepted, or not accepted (with the reasons in the reply)."""
    require(actor, "drafts.reply", "draft_response")
    response = session.get(DraftResponse, response_id)
    if response is None:
        raise NotFound("There is no such response.")
    if response.version != expected_version:
        raise StaleVersion("The response changed since you read it: reload it.")
    reply = (reply or "").strip()
    if status not in REPLY_STATUSES:
        raise _err("status", f"{status!r}: choose {', '.join(REPLY_STATUSES)}.")
    if not reply:
        raise _err("reply", "Write the reply" + (
            ": a response not accepted needs the reasons." if status == "not accepted"
            else "."))
    if len(reply) > MAX_TEXT:
        raise _err("reply", f"The reply is {len(reply):,} characters; the limit is "
                            f"{MAX_TEXT:,}.")
    before = {"status": response.status, "reply": response.reply}
    response.reply, response.status = reply, status
    response.replied_by, response.replied_at = actor.username, utcnow()
    response.version += 1
    session.add(response)
    session.flush()
    audit.record(session, actor=actor, action="reply", entity="draft_response",
                 entity_id=str(response.id), before=before,
                 after={"status": status, "reply": reply})
    session.flush()
    return response


def responses_frame(*, session: Session, actor: Actor,
                    structure: str | int | None = None) -> pd.DataFrame:
    """Every response (to one option's drafts, or all), oldest first, with its reply
    (drafts.read: union reps read the whole log, their own and management's words)."""
    drafts = drafts_frame(session=session, actor=actor, structure=structure)
    number = dict(zip(drafts["id"], drafts["number"], strict=True))
    if not number:
        return pd.DataFrame(columns=RESPONSE_COLUMNS)
    rows = [{"id": r.id, "draft_id": r.draft_id, "draft": int(number[r.draft_id]),
             "submitted_at": r.submitted_at, "author": r.author, "post_id": r.post_ref,
             "team": r.team, "text": r.text, "status": r.status, "reply": r.reply,
             "replied_by": r.replied_by, "replied_at": r.replied_at, "version": r.version}
            for r in session.exec(select(DraftResponse).where(
                DraftResponse.draft_id.in_(list(number))).order_by(  # type: ignore[attr-defined]
                DraftResponse.id))]
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS)


def response_log_xlsx(frame: pd.DataFrame, *, option: str) -> bytes:
    """The response log as a workbook, one row per response with its reply."""
    out = frame.drop(columns=["id", "draft_id", "version"]).copy()
    for col in ("submitted_at", "replied_at"):
        out[col] = [v.strftime("%d %b %Y %H:%M") if v is not None and not pd.isna(v) else ""
                    for v in out[col]]
    out.columns = ["Draft", "Submitted", "By", "Post", "Team", "Response", "Status", "Reply",
                   "Replied by", "Replied"]
    return xlsx_bytes({"responses": Sheet(
        frame=out, title=f"Responses to the published drafts of {option}",
        widths={"Response": 60, "Reply": 60, "Team": 24})})
