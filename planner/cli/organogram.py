"""The open-data organogram commands of `python -m planner` (issue 14): `import-organogram`
(a published senior/junior pair into the establishment, all-or-nothing, with every assumption
the import made) and `export-organogram` (the establishment or an option as the pair and the
Local Government Transparency Code senior salaries table).

`planner.cli.main` adds their parsers and calls `dispatch` with the engine and acting user.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planner.core.auth import Actor
from planner.core.db import read_session, write_session


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    imp = sub.add_parser("import-organogram", parents=[common],
                         help="load a published organogram (senior and junior CSV files) as "
                              "the establishment")
    imp.add_argument("senior", type=Path, help="the senior posts CSV")
    imp.add_argument("junior", type=Path, help="the junior staff CSV")
    exp = sub.add_parser("export-organogram", parents=[common],
                         help="write the establishment or an option as an organogram (senior, "
                              "junior and senior salaries CSV files)")
    exp.add_argument("out", type=Path, help="a folder for senior.csv, junior.csv and "
                                            "senior_salaries.csv")
    exp.add_argument("--structure", default="baseline", metavar="NAME",
                     help="a structure name or id (default: baseline, the establishment)")


def dispatch(args: argparse.Namespace, engine,
             actor: Actor) -> tuple[dict[str, Any], str] | None:
    if args.command == "import-organogram":
        return _import(args, engine, actor)
    if args.command == "export-organogram":
        return _export(args, engine, actor)
    return None


def _import(args: argparse.Namespace, engine, actor: Actor) -> tuple[dict[str, Any], str]:
    from planner.establishment.organogram_import import import_organogram, prepare_organogram

    senior = (args.senior.name, args.senior.read_bytes())
    junior = (args.junior.name, args.junior.read_bytes())
    # Read and check outside the write transaction: the write lock is held for the write.
    with read_session(engine) as session:
        prepared = prepare_organogram(session=session, actor=actor, senior=senior,
                                      junior=junior)
    with write_session(engine) as session:
        s = import_organogram(session=session, actor=actor, prepared=prepared)
    d = s.as_dict()
    lines = [s.headline()]
    if d["top_posts"]:
        lines.append(f"Top posts: {', '.join(d['top_posts'][:20])}"
                     + (" …" if len(d["top_posts"]) > 20 else ""))
    lines += ["Assumptions:", *(f"  - {a}" for a in s.assumptions)] if s.assumptions else []
    lines += [f"Rebased {r['name']}: {r['conflicts']} conflict(s) to review"
              for r in d["options_rebased"]]
    return {"imported": d}, "\n".join(lines)


def _export(args: argparse.Namespace, engine, actor: Actor) -> tuple[dict[str, Any], str]:
    from planner.establishment.organogram_export import write_organogram
    from planner.structures import options

    with read_session(engine) as session:
        structure = options.resolve_structure(session, args.structure)
        name = structure.name
        written = write_organogram(session=session, actor=actor, out_dir=args.out,
                                   structure_id=structure.id)
    names = "names published" if written["names_published"] else "every name N/D"
    text = (f"Wrote {name} as an organogram ({written['senior_rows']:,} senior rows, "
            f"{written['junior_rows']:,} junior rows, {written['senior_salaries_rows']:,} "
            f"senior salaries; {names}): " + ", ".join(written["files"]))
    return {"exported": {"structure": name, **written}}, text
