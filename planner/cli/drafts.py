"""`publish`, `drafts` and `draft show N`: published drafts from the command line (issue 13).

`publish` needs `--user` naming a manager or hr user (the checklist's failures are the
refusal); `drafts` and `draft show` print what a union representative reads, from the stored
snapshots only, whoever asks.
"""

from __future__ import annotations

import argparse
from typing import Any

from planner.core.auth import Actor
from planner.core.db import read_session, write_session

COMMANDS = ("publish", "drafts", "draft")


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    pub = sub.add_parser("publish", parents=[common],
                         help="publish an option's next draft for the trade unions (manager "
                              "or hr: --user); refused with the checklist's failures")
    pub.add_argument("--structure", required=True, metavar="NAME", help="an option's name or id")
    pub.add_argument("--note", default="", help="the covering note")
    lst = sub.add_parser("drafts", parents=[common],
                         help="the published drafts (of one option with --structure)")
    lst.add_argument("--structure", metavar="NAME", default=None)
    draft = sub.add_parser("draft", parents=[common], help="one published draft")
    dsub = draft.add_subparsers(dest="draft_command", required=True, metavar="COMMAND",
                                title="commands")
    show = dsub.add_parser("show", parents=[common],
                           help="a draft as a union representative reads it: posts, figures, "
                                "and what changed since the previous draft")
    show.add_argument("number", type=int, help="the draft's number")
    show.add_argument("--structure", metavar="NAME", default=None,
                      help="the option (needed when more than one option has drafts)")


def _pounds(pence: int | None) -> str:
    if pence is None:
        return "—"
    sign = "−" if pence < 0 else ""
    pence = abs(int(pence))
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def dispatch(args: argparse.Namespace, engine: Any,
             actor: Actor) -> tuple[dict[str, Any], str] | None:
    """Run a drafts command, or None if `args` is not one."""
    from planner.core.errors import NotFound
    from planner.publishing import drafts as d

    cmd = getattr(args, "command", None)
    if cmd not in COMMANDS:
        return None
    if cmd == "publish":
        with write_session(engine) as session:  # refused: the checklist's failures
            draft = d.publish(session=session, actor=actor, structure=args.structure,
                              note=args.note)
            out = {"id": draft.id, "option": draft.snapshot["option"]["name"],
                   "number": draft.number, "note": draft.note}
        return {"draft": out}, f"Published draft {out['number']} of {out['option']}."
    if cmd == "drafts":
        with read_session(engine) as session:
            frame = d.drafts_frame(session=session, actor=actor, structure=args.structure)
        rows = [{"option": r.option, "number": int(r.number),
                 "published_at": r.published_at.isoformat(timespec="minutes"),
                 "published_by": r.published_by, "note": r.note, "status": r.status,
                 "withdrawn_reason": r.withdrawn_reason or None,
                 "responses": int(r.responses)} for r in frame.itertuples(index=False)]
        text = "\n".join(f"{r['option']} draft {r['number']} ({r['published_at'][:10]}, "
                         f"{r['status']}; {r['responses']} responses): {r['note']}"
                         for r in rows)
        return {"drafts": rows}, text or "No drafts have been published."
    with read_session(engine) as session:
        structure = args.structure
        if structure is None:
            frame = d.drafts_frame(session=session, actor=actor)
            options = sorted(set(frame["option"]))
            if len(options) != 1:
                raise NotFound("Name the option with --structure: " + (
                    ", ".join(options) if options else "no drafts have been published") + ".")
            structure = options[0]
        view = d.read_draft(session=session, actor=actor, structure=structure,
                            number=args.number)
        out = view.as_dict()
    snap = out["snapshot"]
    changes = out["changes_since_previous"]
    c = snap["counts"]
    lines = [f"{out['option']}, draft {out['number']} ({out['status']}), published "
             f"{out['published_at'][:10]} by {out['published_by']}.",
             f"Note: {snap['note']}" if snap["note"] else "",
             f"{c['posts']} posts ({c['fte']} FTE): {c['new']} new, {c['deleted']} deleted, "
             f"{c['regraded']} regraded, {c['moved']} moved.",
             f"Full-year cost {_pounds(snap['costs']['option_full_year_pence'])} "
             f"(establishment {_pounds(snap['costs']['baseline_full_year_pence'])}; saving "
             f"{_pounds(snap['costs']['saving_pence'])})."]
    lines += [f"  {r['partner']}: spend {_pounds(r['spend_pence'])}, envelope "
              f"{_pounds(r['envelope_pence'])}" for r in snap["costs"]["by_partner"]]
    lines.append(f"Proposed dismissals: {snap['consultation']['proposed']}.")
    if changes["first"]:
        lines.append("The first draft of this option.")
    else:
        lines.append("Since the previous draft: " + ", ".join(
            f"{len(changes[k])} {k}" for k in ("added", "removed", "regraded", "moved",
                                               "resized", "retitled")) + ".")
        def shown(figure: str, v: Any) -> str:
            return _pounds(v) if "(pence)" in figure else str(v)

        lines += [f"  {t['figure'].replace(' (pence)', '')}: {shown(t['figure'], t['before'])}"
                  f" → {shown(t['figure'], t['after'])}" for t in changes["totals"]
                  if t["changed"]]
    return {"draft": out}, "\n".join(line for line in lines if line)
