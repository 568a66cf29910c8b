"""Nothing a user typed or imported may reach raw HTML (DESIGN.md, security).

A static check over app.py, pages/ and planner/: no call may pass unsafe_allow_html=True
(or anything but the constant False), and st.html / components.html may only be given a
string literal, so their HTML is fixed in the code and never built from data.

The same holds for `st.components.v2.component(name, html=, css=, js=)`, the one place the app
runs script of its own (planner/ui/session.py writes the session cookie, which Streamlit has
no API for): its code must be a literal; data reaches it only through the mount's `data=`,
which the browser receives as JSON, never as markup or code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW_HTML_CALLS = {"html"}  # st.html, components.html, components.v1.html
COMPONENT_CALLS = {"component"}  # st.components.v2.component
COMPONENT_CODE = ("html", "css", "js")


def _is_literal_string(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def unsafe_html_calls(source: str, filename: str = "<string>") -> list[str]:
    """Every place in `source` that could render non-constant HTML, as 'file:line: why'."""
    problems: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg == "unsafe_allow_html" and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value is False):
                problems.append(f"{filename}:{node.lineno}: unsafe_allow_html is not False")
            if kw.arg is None:  # **kwargs could smuggle unsafe_allow_html in
                name = _call_name(node)
                if name in {"markdown", "write", "caption", "html"}:
                    problems.append(f"{filename}:{node.lineno}: **kwargs passed to st.{name}")
        if _call_name(node) in RAW_HTML_CALLS:
            args = [*node.args, *(kw.value for kw in node.keywords
                                  if kw.arg in (None, "body", "html"))]
            if not args or not all(_is_literal_string(a) for a in args[:1]):
                problems.append(f"{filename}:{node.lineno}: html() given a non-literal")
        if _call_name(node) in COMPONENT_CALLS:
            code = [kw.value for kw in node.keywords if kw.arg in COMPONENT_CODE or kw.arg is None]
            if node.args[1:] or not all(_is_literal_string(v) for v in code):
                problems.append(f"{filename}:{node.lineno}: component() code is not a literal")
    return problems


def _sources() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
             *sorted((ROOT / "planner").rglob("*.py"))]
    return [f for f in files if f.exists()]


def test_the_scan_covers_the_app():
    """Catches: a path change that silently leaves the pages out of the scan."""
    names = {f.relative_to(ROOT).as_posix() for f in _sources()}
    assert {"app.py", "pages/establishment.py", "planner/ui/session.py"} <= names


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_unsafe_html(path: Path):
    """Catches: markup built from data (a name, an imported cell) rendered as HTML."""
    assert unsafe_html_calls(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(("snippet", "expected"), [
    ('st.markdown(name, unsafe_allow_html=True)', 1),
    ('st.markdown(name, unsafe_allow_html=flag)', 1),
    ('st.write(x, **opts)', 1),
    ('st.html(f"<b>{name}</b>")', 1),
    ('st.html(user_html)', 1),
    ('components.html(body)', 1),
    ('st.components.v1.html("<p>" + name + "</p>")', 1),
    ('st.html()', 1),
    ('st.markdown(name)', 0),
    ('st.markdown(name, unsafe_allow_html=False)', 0),
    ('st.html("<hr>")', 0),
    ('components.html("<div></div>", height=10)', 0),
    ('st.components.v2.component("c", js=f"document.cookie = {value}")', 1),
    ('st.components.v2.component("c", html=user_html)', 1),
    ('st.components.v2.component("c", **code)', 1),
    ('st.components.v2.component("c", js="export default function () {}")', 0),
])
def test_the_checker_catches_bad_snippets(snippet, expected):
    """The check itself is tested: a scan that finds nothing because it is broken is no proof."""
    assert len(unsafe_html_calls(snippet)) == expected
