"""Date commands for `python -m planner`: consultation, TUPE and notice dates, no database.

`planner.cli.main` wires these in: `add_commands(sub, common)` while building the parser, and
`dispatch(args)` first in `_dispatch` (it returns None for commands that are not ours). They
need no engine, migration or user, so they can run before any of that. Arguments arrive as
strings and are parsed here, so a bad date is a `ValidationFailed` (exit 2, with the errors in
the JSON) like every other bad input, rather than an argparse usage message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from planner.core.errors import RowError, ValidationFailed
from planner.core.values import long_date
from planner.legal import consultation_rules as rules
from planner.legal import tupe_rules
from planner.people import exit_costs, notice

COMMANDS = ("consultation-dates", "tupe-dates", "notice", "redundancy-pay")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the three date subcommands to `sub`, each taking the shared `common` options."""
    c = sub.add_parser("consultation-dates", parents=[common],
                       help="collective consultation (TULRCA s.188) and HR1 (s.193) dates")
    c.add_argument("--proposed", required=True, metavar="N",
                   help="redundancy dismissals proposed at one establishment within 90 days")
    c.add_argument("--launch", required=True, metavar="YYYY-MM-DD",
                   help="the day the s.188(4) information reached the representatives")
    c.add_argument("--first-dismissal", metavar="YYYY-MM-DD",
                   help="the day the first dismissal takes effect")
    c.add_argument("--hr1-sent", metavar="YYYY-MM-DD",
                   help="the day the Redundancy Payments Service received HR1")
    c.add_argument("--notices-issued", metavar="YYYY-MM-DD",
                   help="the day the first individual notice of dismissal was given")
    c.add_argument("--local-minimum-days", metavar="DAYS",
                   help="the organisation's own minimum period below 20 (off by default)")
    t = sub.add_parser("tupe-dates", parents=[common],
                       help="TUPE milestones (inform, ELI, consult, transfer day)")
    t.add_argument("--transfer", required=True, metavar="YYYY-MM-DD", help="the transfer date")
    t.add_argument("--inform-weeks", default=str(tupe_rules.DEFAULT_INFORM_WEEKS), metavar="WEEKS",
                   help="inform representatives this many weeks before (default: %(default)s)")
    t.add_argument("--eli-received", metavar="YYYY-MM-DD",
                   help="the day employee liability information was received")
    n = sub.add_parser("notice", parents=[common], help="statutory notice (ERA 1996 s.86)")
    n.add_argument("--start", required=True, metavar="YYYY-MM-DD",
                   help="continuous service date")
    n.add_argument("--end", required=True, metavar="YYYY-MM-DD",
                   help="the day notice is given")
    r = sub.add_parser("redundancy-pay", parents=[common],
                       help="statutory redundancy pay (ERA 1996 s.162) and a council's "
                            "discretion (SI 2006/2914)")
    r.add_argument("--dob", required=True, metavar="YYYY-MM-DD", help="date of birth")
    r.add_argument("--start", required=True, metavar="YYYY-MM-DD",
                   help="continuous service date (for redundancy)")
    r.add_argument("--relevant", required=True, metavar="YYYY-MM-DD",
                   help="the relevant date (when employment ends)")
    r.add_argument("--week-pay", required=True, metavar="POUNDS",
                   help="the actual week's pay in pounds, e.g. 650 or 650.50")
    r.add_argument("--actual-pay", action="store_true",
                   help="reg 5: pay on the actual week's pay instead of the statutory cap")
    r.add_argument("--multiplier", default="1", metavar="X",
                   help="reg 6: a multiple of the statutory weeks (default: 1)")
    r.add_argument("--max-weeks", default="104", metavar="WEEKS",
                   help="reg 6: the most weeks paid in total (default: 104)")
    n.add_argument("--dismissal", metavar="YYYY-MM-DD",
                   help="the intended leaving date: also show the latest day to give notice")


class _Args:
    """Parses string arguments, collecting every error before raising one ValidationFailed."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.errors: list[RowError] = []

    def fail(self, option: str, message: str) -> None:
        self.errors.append(RowError("arguments", None, option, message))

    def date(self, name: str) -> dt.date | None:
        raw = getattr(self.args, name, None)
        option = "--" + name.replace("_", "-")
        if raw is None:
            return None
        try:
            if not _ISO_DATE.fullmatch(str(raw).strip()):
                raise ValueError
            return dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            self.fail(option, f"{raw!r} is not a date; use YYYY-MM-DD, e.g. 2026-04-01.")
            return None

    def count(self, name: str) -> int | None:
        raw = getattr(self.args, name, None)
        option = "--" + name.replace("_", "-")
        if raw is None:
            return None
        try:
            value = int(str(raw).strip())
        except ValueError:
            self.fail(option, f"{raw!r} is not a whole number.")
            return None
        if value < 0:
            self.fail(option, f"{value} must not be negative.")
            return None
        return value

    def money_pence(self, name: str) -> int | None:
        raw = str(getattr(self.args, name)).strip().lstrip("£").replace(",", "")
        option = "--" + name.replace("_", "-")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.fail(option, f"{raw!r} is not an amount in pounds, e.g. 650.50.")
            return None
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
            self.fail(option, f"{raw} must be pounds and pence, not negative.")
            return None
        return int(value * 100)

    def decimal(self, name: str, *, at_least: Decimal) -> Decimal | None:
        raw = str(getattr(self.args, name)).strip()
        option = "--" + name.replace("_", "-")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < at_least:
            self.fail(option, f"{raw!r} must be a number of at least {at_least}.")
            return None
        return value

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def dispatch(args: argparse.Namespace) -> tuple[dict[str, Any], str] | None:
    """Run a date command: (JSON-ready result, text for people), or None if not ours."""
    cmd = getattr(args, "command", None)
    if cmd == "consultation-dates":
        return _consultation(args)
    if cmd == "tupe-dates":
        return _tupe(args)
    if cmd == "notice":
        return _notice(args)
    if cmd == "redundancy-pay":
        return _redundancy(args)
    return None


def _iso(day: dt.date | None) -> str:
    """A date in the text a person reads (JSON keeps ISO): '1 Feb 2027'."""
    return long_date(day, "none")


def _consultation(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    p = _Args(args)
    proposed, launch = p.count("proposed"), p.date("launch")
    first, hr1, notices = p.date("first_dismissal"), p.date("hr1_sent"), p.date("notices_issued")
    local = p.count("local_minimum_days")
    p.check()
    assert proposed is not None and launch is not None  # required by argparse, parsed above
    plan = rules.check_plan(proposed=proposed, launch=launch, first_dismissal=first,
                                   hr1_sent=hr1, notices_issued=notices,
                                   local_minimum_days=local)
    if plan.applies:
        head = (f"{proposed} proposed dismissals: collective consultation applies (TULRCA s.188); "
                f"at least {plan.minimum_days} days.")
    elif plan.minimum_days is not None:
        head = (f"{proposed} proposed dismissals: below 20, no statutory period; the local "
                f"agreement sets {plan.minimum_days} days.")
    else:
        head = f"{proposed} proposed dismissals: below 20, no statutory consultation period."
    lines = [head, f"Consultation began: {_iso(launch)}",
             f"Earliest first dismissal: {_iso(plan.earliest_first_dismissal)}"]
    if first:
        lines.append(f"Planned first dismissal: {_iso(first)}")
    if plan.applies:
        lines.append(f"HR1 to be received by: {_iso(plan.hr1_deadline)} (TULRCA s.193)")
    lines += [f"Breach: {b}" for b in plan.breaches] or ["No breaches found."]
    # A protective award exists only where s.188 applied and was not complied with (s.189).
    award = (rules.protective_award_max_days(first or launch) if plan.applies
             else None)
    if award is not None:
        lines.append(f"Protective award if s.188 is not complied with: up to {award} days' gross "
                     "pay per affected employee (TULRCA s.189(4)).")
    return ({"consultation": {**plan.as_dict(), "protective_award_max_days": award}},
            "\n".join(lines))


def _tupe(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    p = _Args(args)
    transfer, received = p.date("transfer"), p.date("eli_received")
    weeks = p.count("inform_weeks")
    if weeks == 0:
        p.fail("--inform-weeks", "Representatives must be informed at least a week ahead.")
    p.check()
    assert transfer is not None and weeks is not None
    steps = tupe_rules.milestones(transfer, inform_weeks=weeks)
    result: dict[str, Any] = {"transfer": transfer.isoformat(),
                              "milestones": [m.as_dict() for m in steps],
                              "eli_deadline": tupe_rules.eli_deadline(transfer).isoformat()}
    lines = [f"TUPE milestones for a transfer on {_iso(transfer)}:",
             *(f"{_iso(m.due):>11}  {m.name}  [{m.rule}]" for m in steps)]
    if received is not None:
        late = tupe_rules.eli_late(transfer, received)
        result["eli_received"] = received.isoformat()
        result["eli_late"] = late
        lines.append(f"ELI received {_iso(received)}: "
                     + ("late (TUPE reg 11(6))." if late else "on time."))
    return {"tupe": result}, "\n".join(lines)


def _notice(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    p = _Args(args)
    start, end, dismissal = p.date("start"), p.date("end"), p.date("dismissal")
    if start and end and end < start:
        p.fail("--end", f"{_iso(end)} is before the start {_iso(start)}.")
    p.check()
    assert start is not None and end is not None
    weeks = notice.statutory_notice_weeks(start, end)
    years = notice.complete_years(start, end)
    result: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat(),
                              "complete_years": years, "statutory_notice_weeks": weeks}
    lines = [f"Service {_iso(start)} to {_iso(end)}: {years} complete years; "
             f"statutory notice {weeks} week{'' if weeks == 1 else 's'} (ERA 1996 s.86)."]
    if dismissal is not None:
        latest = notice.latest_notice_date(dismissal, weeks)
        result["dismissal"] = dismissal.isoformat()
        result["latest_notice_date"] = latest.isoformat()
        lines.append(f"To leave on {_iso(dismissal)}, give notice by {_iso(latest)} "
                     "(longer contractual notice moves this earlier).")
    return {"notice": result}, "\n".join(lines)


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _redundancy(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """ERA 1996 s.162 (DOMAIN.md §4), with SI 2006/2914 regs 5-6, as the government's own
    redundancy calculator counts it; no database."""
    p = _Args(args)
    dob, start, relevant = p.date("dob"), p.date("start"), p.date("relevant")
    week = p.money_pence("week_pay")
    multiplier = p.decimal("multiplier", at_least=Decimal(1))
    max_weeks = p.decimal("max_weeks", at_least=Decimal(0))
    if dob and start and start < dob:
        p.fail("--start", f"{_iso(start)} is before the date of birth {_iso(dob)}.")
    if start and relevant and relevant < start:
        p.fail("--relevant", f"{_iso(relevant)} is before the start {_iso(start)}.")
    if relevant and relevant < exit_costs.EARLIEST_SUPPORTED:
        p.fail("--relevant", "The week's pay caps held here start on "
               f"{_iso(exit_costs.EARLIEST_SUPPORTED)}.")
    p.check()
    assert dob and start and relevant and week is not None and multiplier and max_weeks is not None
    pay = exit_costs.statutory_redundancy(
        date_of_birth=dob, start=start, relevant=relevant, week_pay_pence=week,
        actual_pay=bool(args.actual_pay), multiplier=multiplier, max_weeks=max_weeks)
    result = {"date_of_birth": dob.isoformat(), "start": start.isoformat(),
              "relevant": relevant.isoformat(), "age": pay.age,
              "complete_years": pay.years, "weeks": str(pay.weeks),
              "week_pay_pence": pay.week_pay_pence, "week_pay_cap_pence": pay.week_pay_cap_pence,
              "week_pay_capped_pence": pay.week_pay_capped_pence,
              "statutory_pence": pay.statutory_pence,
              "discretionary_weeks": str(pay.discretionary_weeks),
              "discretionary_pence": pay.discretionary_pence, "total_pence": pay.total_pence}
    if pay.years == 0:
        head = (f"Under 2 complete years' service at {_iso(relevant)}: no statutory redundancy "
                "pay (ERA 1996 s.155).")
    else:
        head = (f"Age {pay.age}, {pay.years} complete years counted: {pay.weeks} weeks × "
                f"{_pounds(pay.week_pay_capped_pence)} (the week's pay, capped at "
                f"{_pounds(pay.week_pay_cap_pence)}) = {_pounds(pay.statutory_pence)} "
                "statutory redundancy pay (ERA 1996 s.162).")
    lines = [head]
    if pay.discretionary_pence:
        lines.append(f"Council discretion (SI 2006/2914): {pay.discretionary_weeks} weeks in all, "
                     f"{_pounds(pay.discretionary_pence)} above statutory; total "
                     f"{_pounds(pay.total_pence)}.")
    lines.append(f"The first {_pounds(exit_costs.TAX_FREE_PENCE)} of a genuine redundancy "
                 "payment is free of tax and NI (noted, not computed).")
    return {"redundancy_pay": result}, "\n".join(lines)
