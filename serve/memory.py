"""glibc malloc settings for a long-lived server in which every script run is a new thread.

Streamlit runs each rerun of each session in a thread of its own, and glibc gives threads
their own malloc arenas (up to 8 per core) and serves freed multi-megabyte NumPy arrays from
them once its mmap threshold has grown past their size. Both keep memory that is free but
never returned: with 30 sessions at a time, six waves of them on one server left RSS at
283, 333, 325, 357, 393, 407 MB after each wave (rest 187 MB; bench/load_test.py --waves 6),
while Python's own objects stayed flat (a gc census between waves; load_30x10_6waves_untuned).
With two arenas and a fixed 1 MiB mmap threshold the same waves left 254, 256, 262, 278, 290,
272 MB (load_30x10_6waves), and clearing the bounded caches after five waves brought it to
206 MB: what stays is the caches, not the sessions.

tune() sets both through mallopt (glibc only; a value the user set in the environment,
MALLOC_ARENA_MAX or MALLOC_MMAP_THRESHOLD_, wins); maybe_trim() hands free heap pages back to
the kernel (malloc_trim) at most once a minute. serve.setup() (from app.py) calls tune() and app.py calls maybe_trim()
after every page run. Elsewhere (macOS, musl) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter numbers (malloc.h)
M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 1 << 20  # bytes: arrays from 1 MiB up are mmapped and unmapped when freed
TRIM_EVERY = 60.0  # seconds between two malloc_trim calls

_lock = threading.Lock()
_state = {"tuned": None, "last_trim": 0.0, "lib": False}


def _libc():
    """glibc, or None where there is no mallopt/malloc_trim (found once)."""
    if _state["lib"] is False:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _state["lib"] = lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else None
        except OSError:
            _state["lib"] = None
    return _state["lib"]


def tune() -> dict:
    """Two malloc arenas and a fixed 1 MiB mmap threshold, once per process; what was set."""
    with _lock:
        if _state["tuned"] is not None:
            return _state["tuned"]
        lib = _libc()
        done = {}
        if lib is not None:
            if "MALLOC_ARENA_MAX" not in os.environ:
                done["arena_max"] = ARENAS if lib.mallopt(M_ARENA_MAX, ARENAS) == 1 else None
            if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
                done["mmap_threshold"] = (
                    MMAP_THRESHOLD if lib.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 else None
                )
        _state["tuned"] = done
        return done


def maybe_trim(now: float | None = None) -> bool:
    """malloc_trim(0) if the last one was TRIM_EVERY seconds ago or more; True if it ran."""
    now = time.monotonic() if now is None else now
    with _lock:
        if now - _state["last_trim"] < TRIM_EVERY:
            return False
        _state["last_trim"] = now
    lib = _libc()
    if lib is None:
        return False
    lib.malloc_trim(0)
    return True
