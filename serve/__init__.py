"""How the server runs: kernels and BLAS threads, run slots, memory. Standard library only.

app.py calls setup() once per script run, before anything imports NumPy:
    kernels   one BLAS thread and, on x86-64 with AVX2, pinned float32 kernels (recorded runs replay)
    memory    two malloc arenas and a fixed mmap threshold; maybe_trim() after a page run
    activity  run slots (one page computing at a time) and training that gives way to page runs
Nothing here changes the process on import; setup() does it, visibly, from the entry point.
"""

from __future__ import annotations

from serve import activity, kernels, memory

__all__ = ["activity", "kernels", "memory", "setup"]

_DONE: dict = {}


def setup() -> dict:
    """Pin the kernels (before NumPy loads) and tune malloc, once per process; what was done."""
    if not _DONE:
        _DONE["kernels"] = kernels.pin()
        _DONE["memory"] = memory.tune()
    return _DONE
