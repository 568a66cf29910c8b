"""The analysis commands of `python -m planner`: `equality` (who an option puts at risk against
the service) and `mapping` (each person's outcome, the bench, the exit bill and payback).

`planner.cli.main` adds their parsers and calls them with the engine and the acting user.
What each prints is what the planner/ functions let that user read. A union representative
is refused the mapping outright. Per-person exit costs are printed for hr and admin only.
"""

from __future__ import annotations

import argparse
from typing import Any

from planner.core.auth import Actor, can
from planner.core.db import read_session


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    eq = sub.add_parser("equality", parents=[common],
                        help="an option's equality analysis: who is at risk against the service, "
                             "suppressed as a union rep sees it unless --user names an hr or "
                             "admin user")
    eq.add_argument("--structure", required=True, metavar="NAME",
                    help="an option's name or id")
    mp = sub.add_parser("mapping", parents=[common],
                        help="an option's people mapping: each person's outcome, the people "
                             "without a post, the exit bill and payback")
    mp.add_argument("--structure", required=True, metavar="NAME",
                    help="an option's name or id")


def _pounds(pence: int) -> str:
    sign = "−" if pence < 0 else ""
    pence = abs(int(pence))
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def equality_command(args: argparse.Namespace, engine,
                     actor: Actor) -> tuple[dict[str, Any], str]:
    """Suppressed as a union rep would see it (small counts "<10", secondary suppression);
    unsuppressed only when --user names a user with equality.personal (hr, admin)."""
    from planner.equality import analysis as equality

    unsuppressed = bool(args.user) and can(actor, "equality.personal")
    with read_session(engine) as session:
        a = equality.analyse(session=session, actor=actor, structure=args.structure,
                             unsuppressed=unsuppressed)
    d = a.as_dict()
    view = "unsuppressed" if not a.suppressed else f"suppressed under {a.threshold}"
    lines = [f"{a.structure_name}: {a.at_risk_text} of {a.service_total} employees at risk "
             f"({view})"]
    if a.suppressed_with:
        lines.append("Suppressed together with the other options this user can read: "
                     + ", ".join(a.suppressed_with))
    label = ""
    for r in d["table"]:
        if r["label"] != label:
            label = r["label"]
            lines.append(f"{label}:")
        figures = (f"ratio {r['ratio_text']}, p {r['p_text']}"
                   + (f" ({r['flag']})" if r["flag"] else ""))
        lines.append(f"  {r['category']}: {r['at_risk_text']} at risk of {r['service_text']}; "
                     + figures)
    lines += [f"Note: {w}" for w in a.warnings]
    return {"equality": d}, "\n".join(lines)


def mapping_command(args: argparse.Namespace, engine,
                    actor: Actor) -> tuple[dict[str, Any], str]:
    """The mapping as the People mapping page shows it (mapping.read: hr, manager, admin)."""
    import datetime as dt

    from planner.people import exit_bill, mapping
    from planner.people.suggestions import redeployment_for

    with read_session(engine) as session:
        frame = mapping.mapping_frame(session=session, actor=actor, structure=args.structure)
        bill = exit_bill.exit_bill(session=session, actor=actor, structure=args.structure)
        offers = redeployment_for(session=session, actor=actor, structure=args.structure,
                                  trial_start=dt.date.today())
    shown = frame.assign(outcome=frame["outcome"].replace("", "unmapped"))
    counts = {str(k): int(v) for k, v in shown["outcome"].value_counts().sort_index().items()}
    people = [{"employee_id": r.employee_id, "name": r.name, "post_id": r.post_id,
               "outcome": r.outcome, "option_post_id": r.option_post_id or None,
               "pool": r.pool or None, "status": r.status or None}
              for r in shown.itertuples(index=False)]
    bench = bench_counts(shown)
    redeploy = [{"employee_id": r.employee_id, "name": r.name, "post_id": r.post_id,
                 "title": r.title, "grade_gap": int(r.grade_gap),
                 "family_leave": bool(r.family_leave), "trial_ends": r.trial_ends.isoformat()}
                for r in offers.itertuples(index=False)]
    d = {"structure": bill.structure_name, "people": people, "counts": counts,
         "bench": bench, "redeployment": redeploy, "exit": bill.as_dict()}
    lines = [f"{bill.structure_name}: {len(shown)} people; "
             + ", ".join(f"{n} {k}" for k, n in counts.items())]
    lines.append(f"Without a post in the option: {bench['total']}.")
    if redeploy:
        lines.append(f"Redeployment (vacancies within one grade; trial ends if started today): "
                     f"{len(redeploy)} pairs")
        lines += [f"  {r['employee_id']} -> {r['post_id']} {r['title']}"
                  + (" (family leave: first call)" if r["family_leave"] else "")
                  + f", trial ends {r['trial_ends']}" for r in redeploy]
    lines.append(f"Exit bill {_pounds(bill.total_pence)} for {bill.leaving - bill.uncosted} "
                 f"people leaving (relevant date {bill.relevant.isoformat()}, "
                 f"{bill.relevant_basis}).")
    for kind, pence in bill.by_kind.items():
        lines.append(f"  {kind}: {_pounds(pence)}")
    for r in bill.by_partner.itertuples(index=False):
        lines.append(f"  {r.partner}: {_pounds(r.exit_pence)}")
    months = bill.payback_months
    lines.append(f"Annual saving {_pounds(bill.annual_saving_pence)}; payback "
                 + (f"{months} months." if months is not None else "never (no saving)."))
    lines += [text for _, text in bill.notes()]
    return {"mapping": d}, "\n".join(lines)


BENCH_OUTCOMES = ("at-risk", "ring-fenced", "unmapped")


def bench_counts(frame: Any) -> dict[str, Any]:
    """Everyone without a post in the option (at risk, in a pool, not yet mapped): counts by
    outcome, grade and partner (outcome "unmapped" for a blank one)."""
    bench = frame[frame["outcome"].replace("", "unmapped").isin(BENCH_OUTCOMES)]
    def by(col: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in bench[col].fillna("").value_counts().sort_index().items()}
    return {"total": len(bench), "by_outcome": by("outcome"), "by_grade": by("grade"),
            "by_partner": by("partner")}
