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
