"""The server's memory between page runs (issue 16: one session at 50,000 posts held 650 MB
against a 400 MB target).

pyarrow's default pool (mimalloc), which backs every pandas text column, keeps what a page
frees for its own reuse rather than give it back. A long-running server that builds and
drops frames of tens of thousands of rows on every page then holds the high-water mark of
every page it ever drew: measured at 50,000 posts, one session's pass over every page held
647 MB with mimalloc and 577 MB with the system allocator, at the same speed. (glibc's
malloc_trim after each run was tried as well and returned nothing measurable.)
"""

from __future__ import annotations

import functools


@functools.cache
def use_system_arrow_pool() -> str:
    """Arrow's buffers from the system allocator, once per process; the pool's name."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name
