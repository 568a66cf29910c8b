"""The server's allocator for pandas text (planner.ui.memory, issue 16)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from tests.app.conftest import app_as


def test_the_app_builds_text_columns_from_the_system_allocator(app_db):
    """Catches: the app left on pyarrow's mimalloc pool, which keeps every page's freed text
    columns for itself (70 MB of one session's 650 MB at 50,000 posts)."""
    at = app_as(None)
    assert not at.exception
    assert pa.default_memory_pool().backend_name == "system"
    before = pa.system_memory_pool().bytes_allocated()
    column = pd.Series([f"post {i}" for i in range(100_000)], dtype="str")
    assert pa.system_memory_pool().bytes_allocated() - before >= 100_000 * 6
    del column


def test_the_pages_modules_leave_networkx_and_openpyxl_until_needed():
    """Catches: a page's import pulling in networkx (12 MB) or openpyxl (12 MB) for every
    server, when they are needed only for a subtree question or a workbook download (issue 16:
    server memory), and the lazy imports then failing where they are needed."""
    import subprocess
    import sys

    from tests.app.conftest import ROOT

    code = ("import importlib, sys\n"
            "from planner.ui.navigation import page_modules\n"
            "for m in page_modules(): importlib.import_module(m)\n"
            "print(sorted(m for m in ('networkx', 'openpyxl') if m in sys.modules))\n"
            "from planner.finance.plan_sheet import plan_workbook\n"
            "from planner.structures.hierarchy import Hierarchy\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    assert out == ["[]", "ok"]
