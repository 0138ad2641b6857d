"""serve.memory: malloc tuning for a server whose every rerun is a new thread (glibc only)."""

from __future__ import annotations

import pytest
from helpers import fresh_python_json

PROBE = r"""
import json, time
import numpy as np
from serve import memory
t = memory.tune()
again = memory.tune()
blobs = [np.ones(300_000) for _ in range(200)]  # ~480 MB in 2.4 MB arrays: above the fixed mmap threshold
del blobs
t0 = time.perf_counter(); ran = memory.maybe_trim(); dt = time.perf_counter() - t0
print(json.dumps({"tuned": t, "same": t == again, "ran": ran, "trim_s": dt,
                  "second": memory.maybe_trim(), "later": memory.maybe_trim(time.monotonic() + 61)}))
"""


def _probe(env: dict) -> dict:
    return fresh_python_json(PROBE, env=env)


def _glibc() -> bool:
    from serve import memory

    return memory._libc() is not None


@pytest.mark.skipif(not _glibc(), reason="mallopt/malloc_trim are glibc's")
def test_tune_sets_two_arenas_and_a_fixed_mmap_threshold_once_and_trims_at_most_once_a_minute():
    got = _probe({})
    assert got["tuned"] == {"arena_max": 2, "mmap_threshold": 1 << 20}, got
    assert got["same"] is True
    assert got["ran"] is True and got["second"] is False and got["later"] is True
    assert got["trim_s"] < 1.0  # cheap enough to run after a page once a minute


@pytest.mark.skipif(not _glibc(), reason="mallopt/malloc_trim are glibc's")
def test_a_setting_from_the_environment_wins():
    got = _probe({"MALLOC_ARENA_MAX": "4"})
    assert "arena_max" not in got["tuned"] and got["tuned"]["mmap_threshold"] == 1 << 20
