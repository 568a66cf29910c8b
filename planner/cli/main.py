"""`python -m planner`: the same rules as the app, for scripts and checks.

Every command takes `--db URL` (default: the app's database), `--json` and `--user NAME`,
before or after the command. Exit status: 0 on success, 2 on bad input (with the errors in the
JSON), 1 on refusal. Text for people is wrapped to the terminal's width; tables and JSON are
printed as they are.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import re
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlmodel import select

from planner.cli import dates as cli_dates
from planner.cli import drafts as cli_drafts
from planner.cli import organogram as cli_organogram
from planner.cli import plan as cli_plan
from planner.cli import reports as cli_reports
from planner.core.auth import SYSTEM, Actor, add_user, list_users
from planner.core.config import get_settings
from planner.core.db import make_engine, migrate, read_session, write_session
from planner.core.errors import NotFound, PermissionDenied, PlannerError, ValidationFailed
from planner.core.models import ROLES, User
from planner.core.progress import part


def _add_global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--db, --json and --user, accepted before or after the command.

    The top-level copy (`defaults=True`) holds the defaults. Each command's copy defaults to
    SUPPRESS: argparse copies a subcommand's parsed values over the top level's, so a real
    default there would undo `--json cost` (the top level's True replaced by cost's False).
    """
    unset: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("options for every command (before or after it)")
    group.add_argument("--db", metavar="URL", help="database URL (default: the app's database)",
                       **unset)
    group.add_argument("--json", action="store_true", help="print JSON", **unset)
    group.add_argument("--user", metavar="NAME",
                       help="act as this user (default: the system administrator)", **unset)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m planner", description="Workforce restructure and TUPE planner",
        epilog="`python -m planner COMMAND --help` lists a command's own options.")
    _add_global_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, defaults=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands")
    sub.add_parser("init-db", parents=[common], help="migrate and load reference data")
    demo = sub.add_parser("load-demo", parents=[common], help="load the demo establishment and users")
    demo.add_argument("--force", action="store_true",
                      help="replace an existing establishment and the demo's own option "
                           "(refused while other options exist)")
    demo.add_argument("--no-mapping", action="store_false", dest="with_mapping",
                      help="leave the demo option's people unmapped (the legal clocks then "
                           "count people in deleted posts; data/demo/README.md)")
    imp = sub.add_parser("import", parents=[common], help="import an establishment (xlsx or csv files)")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--keep-people", action="store_true",
                     help="with posts but no people sheet: keep the establishment's people in "
                          "the posts the upload keeps (refused otherwise)")
    exp = sub.add_parser("export", parents=[common], help="export the establishment")
    exp.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    exp.add_argument("out", type=Path, help="an .xlsx file, or a folder (or .zip) for csv")
    sub.add_parser("summary", parents=[common], help="the headline metrics")
    hier = sub.add_parser("hierarchy", parents=[common],
                          help="roots, cycles, orphans, layers and spans of control")
    hier.add_argument("--root", action="append", default=None, metavar="POST_ID",
                      help="a declared root (repeat for several); default: exactly one root")
    tpl = sub.add_parser("template", parents=[common], help="write the import template (xlsx)")
    tpl.add_argument("out", type=Path)
    bak = sub.add_parser("backup", parents=[common],
                         help="write the whole database to a file (.zip), for restore on SQLite "
                              "or PostgreSQL")
    bak.add_argument("out", type=Path)
    res = sub.add_parser("restore", parents=[common],
                         help="load a backup into an empty database (every table or none)")
    res.add_argument("file", type=Path)
    users = sub.add_parser("users", parents=[common], help="manage users")
    usub = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND",
                                title="commands")
    add = usub.add_parser("add", parents=[common], help="add a user")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--email", default=None, help="email for single sign-on (OpenID Connect)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input (else prompt; none with --email)")
    usub.add_parser("list", parents=[common], help="list users")
    for verb, about in (("deactivate", "stop a user signing in (their sessions end at once)"),
                        ("activate", "let a deactivated user sign in again")):
        u = usub.add_parser(verb, parents=[common], help=about)
        u.add_argument("username")
    urole = usub.add_parser("role", parents=[common], help="change a user's role")
    urole.add_argument("username")
    urole.add_argument("role", choices=ROLES)
    ureset = usub.add_parser("reset-password", parents=[common],
                             help="set a new password (else prompt); ends the user's sessions")
    ureset.add_argument("username")
    ureset.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input")
    option = sub.add_parser("option", parents=[common],
                            help="structure options (copies of the establishment)")
    osub = option.add_subparsers(dest="option_command", required=True, metavar="COMMAND",
                                 title="commands")
    create = osub.add_parser("create", parents=[common], help="copy a structure into a new option")
    create.add_argument("name")
    create.add_argument("--from", dest="source", default="baseline", metavar="STRUCTURE",
                        help="the structure to copy, by name or id (default: baseline)")
    create.add_argument("--description", default="")
    oimp = osub.add_parser("import", parents=[common],
                           help="a new option from a posts sheet (xlsx) or posts.csv")
    oimp.add_argument("name")
    oimp.add_argument("files", nargs="+", type=Path)
    oimp.add_argument("--from", dest="source", default="baseline", metavar="STRUCTURE",
                      help="the structure whose post_ids the file continues (default: baseline)")
    olist = osub.add_parser("list", parents=[common],
                            help="the baseline and the options (archived ones with --all)")
    olist.add_argument("--all", action="store_true", help="include archived options")
    for verb, text in (("archive", "archive an option: read-only and hidden until restored"),
                       ("restore", "restore an archived option"),
                       ("conflicts", "what establishment imports could not carry into an "
                                     "option on their own")):
        osub.add_parser(verb, parents=[common], help=text).add_argument("name")
    diff = sub.add_parser("diff", parents=[common],
                          help="new, deleted, regraded, resized and moved posts of B against A")
    diff.add_argument("base", metavar="A", help="a structure name or id; baseline = the establishment")
    diff.add_argument("other", metavar="B")
    cli_dates.add_commands(sub, common)
    cost = sub.add_parser("cost", parents=[common],
                          help="a structure's cost by division, partner and funding, and its "
                               "envelope position per partner")
    cost.add_argument("--structure", default="baseline", metavar="NAME",
                      help="a structure name or id (default: baseline, the establishment)")
    cost.add_argument("--months", type=int, default=None,
                      help="part-year months (default: the envelope's period)")
    cli_reports.add_commands(sub, common)
    cli_drafts.add_commands(sub, common)
    cli_organogram.add_commands(sub, common)
    cli_plan.add_commands(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_logging()
    args = build_parser().parse_args(argv)
    url = args.db or get_settings().effective_database_url
    engine = make_engine(url)
    try:
        result, text = _dispatch(args, engine)
    except ValidationFailed as exc:
        return _fail(args, 2, str(exc), [e.as_dict() for e in exc.errors])
    except PermissionDenied as exc:
        return _fail(args, 1, str(exc))
    except (NotFound, PlannerError, FileNotFoundError, IsADirectoryError) as exc:
        return _fail(args, 2, str(exc))
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps({"ok": True, **result}, default=str, indent=2))
    else:
        print(wrap_text(text, _width()))
    return 0


def _quiet_logging() -> None:
    """Refusals are reported once, by `_fail`. planner's modules also log them (for a server's
    log), and with no handler configured Python's last-resort handler would print that line
    to the terminal as well: a NullHandler on "planner" stops that, and a handler anyone
    configures still receives the records."""
    logger = logging.getLogger("planner")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _fail(args: argparse.Namespace, code: int, message: str,
          errors: list[dict[str, Any]] | None = None) -> int:
    """Report a refusal or bad input once: one error in one sentence, several as a list."""
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "message": message, "errors": errors or []}, indent=2))
        return code
    errors = errors or []
    if len(errors) == 1:
        lines = [f"error: {_where(errors[0])}: {errors[0]['message']}"]
    elif errors:
        lines = [f"error: {len(errors)} problems:",
                 *(f"  {_where(e)}: {e['message']}" for e in errors)]
    else:
        lines = [f"error: {message}"]
    print(wrap_text("\n".join(lines), _width()), file=sys.stderr)
    return code


def _where(error: dict[str, Any]) -> str:
    """Where a person finds the problem: `--launch` for an argument, `posts row 3 [grade]`
    for a cell of a file."""
    if error["sheet"] == "arguments":
        return error["column"] or "arguments"
    where = error["sheet"] + (f" row {error['row']}" if error["row"] else "")
    return where + (f" [{error['column']}]" if error["column"] else "")


# Two or more spaces between cells mark a table row (aligned columns); prose never has them.
_TABLE_ROW = re.compile(r"\S {2,}\S")


def _width() -> int:
    return shutil.get_terminal_size(fallback=(80, 24)).columns


def wrap_text(text: str, width: int) -> str:
    """Wrap prose to `width` columns, each line on its own, continuing under its indent.

    Table rows (cells aligned with runs of spaces) are left whole: a wrapped row no longer
    lines up. Words are never split, post ids like ICT-004 never broken at the hyphen.
    """
    out: list[str] = []
    for line in text.splitlines() or [""]:
        if len(line) <= width or _TABLE_ROW.search(line):
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out += textwrap.wrap(line.strip(), width=max(width, len(indent) + 20),
                             initial_indent=indent, subsequent_indent=indent + "  ",
                             break_long_words=False, break_on_hyphens=False)
    return "\n".join(out)


def _stderr_progress(fraction: float, message: str) -> None:
    """A stage of a long command (import, export) on stderr, so stdout stays the result."""
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def _actor(args: argparse.Namespace, engine) -> Actor:
    if not getattr(args, "user", None):
        return SYSTEM
    with read_session(engine) as session:
        user = session.exec(select(User).where(User.username == args.user)).first()
        if user is None or not user.active:
            raise NotFound(f"No active user {args.user!r}.")
        return Actor.of(user)


def _user_change(args: argparse.Namespace, engine, actor: Actor) -> tuple[dict[str, Any], str]:
    """users deactivate / activate / role / reset-password (admin only, audited)."""
    from planner.core.auth import reset_password, update_user

    verb = args.users_command
    password = None
    if verb == "reset-password":
        password = (sys.stdin.readline().rstrip("\n") if args.password_stdin
                    else getpass.getpass("New password: "))
    with write_session(engine) as session:
        if verb == "reset-password":
            assert password is not None
            user = reset_password(session=session, actor=actor, username=args.username,
                                  password=password)
            text = f"New password set for {user.username}; their sessions have ended."
        else:
            changes = ({"role": args.role} if verb == "role"
                       else {"active": verb == "activate"})
            user = update_user(session=session, actor=actor, username=args.username, **changes)
            text = (f"{user.username} is now {user.role}." if verb == "role" else
                    f"{user.username} is {'active' if user.active else 'deactivated'}.")
        row = {"username": user.username, "role": user.role, "active": user.active}
    return {"user": row}, text


def _backup_or_restore(args: argparse.Namespace, engine) -> tuple[dict[str, Any], str]:
    """Backup reads the database as it is (no migration first: a newer schema is refused, not
    touched); restore migrates an empty database itself, so it has no users to act as yet."""
    from planner.core import backup

    if args.command == "backup":
        actor = _actor(args, engine) if backup.current_revision(engine) else SYSTEM
        s = backup.backup(engine, args.out, actor=actor)
        verb = "Backed up"
    else:
        s = backup.restore(engine, args.file, actor=SYSTEM)
        verb = "Restored"
    result = {"file": str(s.path), "revision": s.revision, "rows": s.rows, "tables": s.tables}
    return {verb.lower().replace(" ", "_"): result}, (
        f"{verb} {s.rows:,} rows in {len(s.tables)} tables (schema {s.revision}): {s.path}")


def _dispatch(args: argparse.Namespace, engine) -> tuple[dict[str, Any], str]:
    from planner.cli import demo
    from planner.establishment import exports, importer
    from planner.establishment import register as establishment

    cmd = args.command
    dated = cli_dates.dispatch(args)  # statutory date rules: no database, no user
    if dated is not None:
        return dated
    if cmd == "init-db":
        counts = demo.init_database(engine)
        return {"loaded": counts}, "Database ready. Loaded: " + _counts(counts)
    if cmd == "load-demo":
        report = demo.load_demo(engine, force=args.force, with_mapping=args.with_mapping)
        text = (f"Demo establishment loaded, with the option {demo.DEMO_OPTION_NAME!r}"
                + (", its people mapped and drafts 1 and 2 published to the trade unions."
                   if args.with_mapping else " (its people not mapped, nothing published).")
                if report.demo_loaded
                else "An establishment already exists; left as it is (use --force to replace).")
        if report.options_replaced:
            text += " Replaced: " + ", ".join(report.options_replaced) + "."
        if report.sign_ins:
            text += "\n" + demo.sign_ins_text(report.sign_ins)
        return ({"demo_loaded": report.demo_loaded, "users_created": report.users_created,
                 "options_replaced": list(report.options_replaced),
                 "sign_ins": [u.username for u in report.sign_ins],
                 "reference": report.reference}, text)
    if cmd in ("backup", "restore"):
        return _backup_or_restore(args, engine)
    migrate(engine)
    actor = _actor(args, engine)
    progress = None if args.json else _stderr_progress
    if cmd == "import":
        files = [(p.name, p.read_bytes()) for p in args.files]
        # Read and check outside the write transaction: the write lock is held for the write.
        with read_session(engine) as session:
            prepared = importer.prepare_import(session=session, actor=actor, files=files,
                                               keep_people=args.keep_people,
                                               progress=part(progress, 0.0, 0.45))
        del files
        with write_session(engine) as session:
            s = importer.import_establishment(session=session, actor=actor, prepared=prepared,
                                              progress=part(progress, 0.5, 1.0))
        summary = {"posts": s.posts, "people": s.people, "occupancies": s.occupancies,
                   "partners": s.partners, "structure_id": s.structure_id}
        rebased = [r.as_dict() for r in s.rebased]
        lines = ["Imported: " + _counts({k: v for k, v in summary.items()
                                         if k != "structure_id"}), *(
            f"Rebased {r['name']}{' (archived)' if r['archived'] else ''}: "
            f"{_plural(r['conflicts'], 'conflict')} to review (`option conflicts "
            f"{r['name']!r}`)" for r in rebased)]
        return {"imported": {**summary, "options_rebased": rebased}}, "\n".join(lines)
    if cmd == "export":
        with read_session(engine) as session:
            if args.format == "xlsx":
                args.out.write_bytes(exports.export_xlsx(session=session, actor=actor,
                                                         progress=progress))
                written = [args.out]
            elif args.out.suffix == ".zip":
                args.out.write_bytes(exports.export_csv_zip(session=session, actor=actor,
                                                            progress=progress))
                written = [args.out]
            else:
                written = exports.export_csv_dir(session=session, actor=actor, out_dir=args.out,
                                                 progress=progress)
        return {"written": [str(p) for p in written]}, "Wrote " + ", ".join(map(str, written))
    if cmd == "template":
        args.out.write_bytes(exports.template_xlsx())
        return {"written": [str(args.out)]}, f"Wrote {args.out}"
    if cmd == "summary":
        with read_session(engine) as session:
            m = establishment.headline_metrics(session=session, actor=actor)
        d = m.as_dict()
        lines = [
            f"Posts: {m.posts}", f"Establishment FTE: {m.establishment_fte:g}",
            f"Staff in post FTE: {m.staff_in_post_fte:g}",
            establishment.without_employee_sentence(m.vacancies_covered_by_interims,
                                                    m.vacant_uncovered),
            f"Interims and agency workers: {m.interims}", f"Employees: {m.employees}",
            "Employees by origin: " + ", ".join(f"{k} {v}" for k, v in m.people_by_origin.items()),
        ]
        return {"summary": d}, "\n".join(lines)
    if cmd == "hierarchy":
        from planner.structures import hierarchy

        with read_session(engine) as session:
            h = hierarchy.load(session=session, actor=actor)
        d = h.summary(roots=args.root)
        span = d["span"]
        lines = [
            f"Posts: {d['posts']} in {d['layers']} layers; roots: {', '.join(d['roots']) or 'none'}",
            f"Spans of control: {span['managers']} managers, min {span['min']}, "
            f"median {span['median']}, max {span['max']}",
            f"Narrow (< {d['narrow_span']}): {', '.join(d['narrow_managers']) or 'none'}",
            f"Wide (> {d['wide_span']}): {', '.join(d['wide_managers']) or 'none'}",
            *(f"Problem: {p['message']}" for p in d["problems"]),
        ]
        return {"hierarchy": d}, "\n".join(lines)
    if cmd == "users":
        if args.users_command == "list":
            with read_session(engine) as session:
                rows = [{"username": u.username, "role": u.role, "name": u.display_name,
                         "email": u.email, "active": u.active}
                        for u in list_users(session=session, actor=actor)]
            text = "\n".join(f"{r['username']:<20} {r['role']:<8} {r['name']}"
                             + ("" if r["active"] else "  (deactivated)") for r in rows)
            return {"users": rows}, text or "No users."
        if args.users_command != "add":
            return _user_change(args, engine, actor)
        password = None
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        elif not args.email:
            password = getpass.getpass("Password: ")
        with write_session(engine) as session:
            user = add_user(session=session, actor=actor, username=args.username, role=args.role,
                            password=password, display_name=args.name, email=args.email)
            row = {"username": user.username, "role": user.role, "email": user.email}
        return {"user": row}, f"Added {row['username']} ({row['role']})."
    if cmd == "option":
        return _option_command(args, engine, actor)
    if cmd == "cost":
        return _cost_command(args, engine, actor)
    drafts = cli_drafts.dispatch(args, engine, actor)
    if drafts is not None:
        return drafts
    organogram = cli_organogram.dispatch(args, engine, actor)
    if organogram is not None:
        return organogram
    if cmd == "plan":
        return cli_plan.plan_command(args, engine, actor)
    if cmd in ("equality", "mapping"):
        command = cli_reports.equality_command if cmd == "equality" else cli_reports.mapping_command
        return command(args, engine, actor)
    if cmd == "diff":
        from planner.structures import comparison

        with read_session(engine) as session:
            d = comparison.compare_structures(session=session, actor=actor, base=args.base,
                                           other=args.other).as_dict()
        c = d["counts"]
        lines = [f"{d['other']} against {d['base']}: " + ", ".join(
                     f"{v} {k}" for k, v in c.items()),
                 *(f"new {r['post_id']}: {r['title_after']} ({r['grade_after']})" for r in d["new"]),
                 *(f"deleted {r['post_id']}: {r['title_before']} ({r['grade_before']})"
                   for r in d["deleted"]),
                 *(f"regraded {r['post_id']}: {r['grade_before']} → {r['grade_after']}"
                   for r in d["regraded"]),
                 *(f"resized {r['post_id']}: {r['fte_before']} → {r['fte_after']} FTE"
                   for r in d["resized"]),
                 *(f"moved {r['post_id']}: under {r['reports_to_before'] or 'nobody'} → under "
                   f"{r['reports_to_after'] or 'nobody'}" for r in d["moved"]),
                 *(f"at risk: {p['name']} ({p['employee_id']}) in deleted {p['post_id']}"
                   for p in d["people_in_deleted_posts"])]
        return {"diff": d}, "\n".join(lines)
    raise PlannerError(f"unknown command {cmd}")


def _option_command(args: argparse.Namespace, engine, actor: Actor) -> tuple[dict[str, Any], str]:
    from planner.structures import option_import, options

    if args.option_command == "list":
        with read_session(engine) as session:
            df = options.list_structures(session=session, actor=actor,
                                         include_archived=args.all)
        rows = [{"id": int(r["id"]), "name": r["name"], "kind": r["kind"], "status": r["status"],
                 "posts": int(r["posts"]), "fte": r["fte"], "copied_from": r["copied_from"],
                 "version": int(r["version"]), "created_at": str(r["created_at"]),
                 "archived": bool(r["archived"])}
                for r in df.to_dict(orient="records")]
        text = "\n".join(f"{r['id']:>4} {r['name']:<30} {r['kind']:<8} {r['status']:<10} "
                         f"{r['posts']:>6} posts {r['fte']:>10} FTE"
                         + ("  (archived)" if r["archived"] else "") for r in rows)
        return {"structures": rows}, text or "No structures."
    if args.option_command in ("archive", "restore"):
        change = options.archive_option if args.option_command == "archive" else (
            options.restore_option)
        with write_session(engine) as session:
            # One command reads and writes in one transaction: the version it checks is fresh.
            s = options.resolve_structure(session, args.name)
            s = change(session=session, actor=actor, structure=s, expected_version=s.version)
            row = {"id": s.id, "name": s.name, "archived": s.archived, "version": s.version}
        done = "Archived" if row["archived"] else "Restored"
        return {"option": row}, f"{done} {row['name']}."
    if args.option_command == "conflicts":
        from planner.structures import rebase

        with read_session(engine) as session:
            df = rebase.list_conflicts(session=session, actor=actor, structure=args.name)
        rows = [{"id": int(r["id"]), "post_id": r["post_id"], "kind": r["kind"],
                 "field": r["field"], "option_value": r["option_value"],
                 "old_value": r["old_value"], "new_value": r["new_value"],
                 "message": r["message"]} for r in df.to_dict(orient="records")]
        text = "\n".join(f"{r['id']:>4} {r['kind']:<20} {r['message']}" for r in rows)
        return {"conflicts": rows}, text or f"{args.name} has no open conflicts."
    if args.option_command == "create":
        with write_session(engine) as session:
            s = options.create_option(session=session, actor=actor, name=args.name,
                                      source=args.source, description=args.description)
            row = {"id": s.id, "name": s.name, "status": s.status,
                   "copied_from_id": s.copied_from_id, "version": s.version}
        return {"option": row}, f"Created option {row['name']} (id {row['id']})."
    files = [(p.name, p.read_bytes()) for p in args.files]
    with write_session(engine) as session:
        summary = option_import.import_option(session=session, actor=actor, name=args.name,
                                              files=files, source=args.source)
    d = summary.as_dict()
    text = (f"Imported option {d['name']} (id {d['structure_id']}): {d['posts']} posts, "
            f"{d['continued']} continued, {d['new']} new, {d['deleted']} deleted, "
            f"{d['regraded']} regraded, {d['resized']} resized, {d['moved']} moved.")
    return {"imported": d}, "\n".join([text, *d["notes"]])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()) or "nothing new"


def _pounds(pence: Any) -> str:
    if pence is None or pence != pence:
        return "–"
    return ("-" if int(pence) < 0 else "") + f"£{abs(int(pence)) / 100:,.2f}"


def _cost_command(args: argparse.Namespace, engine, actor: Actor) -> tuple[dict[str, Any], str]:
    """Totals by division, partner and funding, and the envelope as it is made up: the
    councils' shared and own costs, what customers are charged (income against the envelope,
    or outside it: the `customer_posts` setting), net spend, each partner's headroom, the
    total headroom and the partners over their envelope."""
    from planner.charts import compare as cc
    from planner.structures import costing, options

    with read_session(engine) as session:
        structure = options.resolve_structure(session, args.structure)
        name = structure.name
        months = args.months or structure.envelope_months
        cost = costing.cost_structure(session=session, actor=actor, structure_id=structure.id,
                                      months=months)
        env = cost.envelope(months)

    def table(by: str) -> list[dict[str, Any]]:
        frame = cost.totals(by)
        return [{by: str(r[by]), "posts": int(r["posts"]), "fte": float(r["fte"]),
                 "full_year_pence": int(r["total"]), "part_year_pence": int(r["part_year"])}
                for r in frame.to_dict(orient="records")]

    def pence(value: Any) -> int | None:
        return None if value is None or value != value else int(value)

    partners = [{"partner": str(r["partner"]), "kind": str(r["kind"]),
                 "own_cost_pence": int(r["charged_cost"]),
                 "shared_cost_pence": int(r["shared_cost"]), "spend_pence": int(r["spend"]),
                 "envelope_pence": pence(r["envelope"]), "headroom_pence": pence(r["headroom"]),
                 "over": pence(r["headroom"]) is not None and int(r["headroom"]) < 0}
                for r in env.by_partner.to_dict(orient="records")]
    statement = cc.envelope_statement(env)
    result = {"structure": name, "months": months,
              "full_year_pence": cost.full_year_total, "part_year_pence": cost.part_year_total,
              "by_division": table("division"), "by_partner": table("partner"),
              "by_funding": table("funding"),
              "envelope": {
                  "months": env.months, "envelope_pence": env.envelope,
                  "customer_posts": env.customer_posts, "covers": cc.covers_text(env),
                  "spend_pence": env.spend, "shared_cost_pence": env.shared_cost,
                  "own_cost_pence": env.own_cost, "customer_charges_pence": env.customer_cost,
                  "customer_income_pence": env.customer_income,
                  "unallocated_cost_pence": env.unallocated_cost,
                  "net_spend_pence": env.net_spend, "headroom_pence": env.headroom,
                  "partner_headroom_pence": env.partner_headroom,
                  "reconciling_pence": env.reconciling,
                  "customers": env.customers,
                  "outside_envelope": env.customers if env.customer_posts == "outside" else [],
                  "partners_over": [{"partner": p, "headroom_pence": h} for p, h in env.over],
                  "headline": cc.headroom_headline(env),
                  "partners": partners, "warnings": list(env.warnings)},
              # How salary-band grades (an organogram's) are costed, as the page says.
              "band_notes": [w for w in cost.warnings
                             if "salary-band" in w or "no published pay" in w]}
    lines = [f"{name}: full year {_pounds(cost.full_year_total)}; "
             f"{months} months {_pounds(cost.part_year_total)}",
             *(f"  {r['division'] or '(no division)'}: {_pounds(r['full_year_pence'])}"
               for r in result["by_division"]),
             f"Envelope for {env.months} months: {cc.headroom_headline(env)}",
             *(f"  {line}: {_pounds(amount)}"
               for line, amount in zip(statement["line"], statement["amount"], strict=True)),
             cc.covers_text(env),
             *(f"  {p['partner']} ({p['kind']}): own posts {_pounds(p['own_cost_pence'])}, "
               f"share of shared {_pounds(p['shared_cost_pence'])}, spend "
               f"{_pounds(p['spend_pence'])}, envelope {_pounds(p['envelope_pence'])}, headroom "
               f"{_pounds(p['headroom_pence'])}" + (" (OVER ITS ENVELOPE)" if p["over"] else "")
               for p in partners if p["kind"] == "council"),
             *(f"  {p['partner']} (customer): charged {_pounds(p['own_cost_pence'])}, "
               + ("income against the envelope" if env.customer_posts == "income"
                  else "outside the envelope")
               for p in partners if p["kind"] == "customer"),
             *env.warnings, *result["band_notes"]]
    return {"cost": result}, "\n".join(lines)
