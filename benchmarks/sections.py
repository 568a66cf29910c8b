"""results.md is one file written by several benchmarks: each owns a marked section.

`benchmarks.run` writes the import report and keeps every other benchmark's section; each
other benchmark replaces only its own, so running one never erases another's figures.
"""

from __future__ import annotations

import re
from pathlib import Path

_SECTION = re.compile(r"<!-- section:(?P<name>[\w-]+) -->\n.*?<!-- /section:(?P=name) -->\n",
                      re.S)


def block(name: str, text: str) -> str:
    return f"<!-- section:{name} -->\n{text.rstrip()}\n<!-- /section:{name} -->\n"


def sections(text: str) -> dict[str, str]:
    return {m["name"]: m.group(0) for m in _SECTION.finditer(text)}


def without_sections(text: str) -> str:
    return _SECTION.sub("", text)


def update_section(path: Path, name: str, text: str) -> None:
    """Put `text` in section `name` of `path` (replacing the old one, else appended)."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    new_block = block(name, text)
    if name in sections(old):
        old = _SECTION.sub(lambda m: new_block if m["name"] == name else m.group(0), old)
    else:
        old = old.rstrip() + "\n\n" + new_block
    path.write_text(old, encoding="utf-8")


def keep_sections(old_path: Path, report: str) -> str:
    """The import report followed by every other benchmark's section from the old file."""
    kept = sections(old_path.read_text(encoding="utf-8")) if old_path.exists() else {}
    extra = "\n".join(kept.values())
    return without_sections(report).rstrip() + ("\n\n" + extra if extra else "\n")
