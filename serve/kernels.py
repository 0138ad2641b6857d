"""Reproducible float32 training: one BLAS thread and the same SIMD kernels on every x86-64 CPU with AVX2.

The Remedies lab shows recorded training runs and promises that pressing "Run live" gives the same
numbers. Float32 sums come out in a different order with OpenBLAS's AVX-512 kernels than with its
AVX2 ones, NumPy dispatches its float32 exp/tanh loops by CPU feature, and OpenBLAS's results depend
on its thread count; after a few hundred updates those last-bit differences grow into different
curves (seen: recorded on an AVX-512 machine, replayed on an AVX2-only one, 75 % apart by the end).

pin() sets, before NumPy loads, OPENBLAS_NUM_THREADS=1 (and OMP/MKL), and on x86-64 with AVX2 and
FMA also OPENBLAS_CORETYPE=Haswell and NPY_DISABLE_CPU_FEATURES (NumPy's dispatch targets above
AVX2, named as the installed NumPy names them). It is called by the entry points that need it,
visibly: app.py (serve.setup), the record commands (reexec_pinned) and tests/conftest.py.
Importing this module, or gradcore, changes nothing. A value the user set wins. Elsewhere (ARM,
no AVX2) only the thread count is set, and recorded runs agree with a replay to within training's
sensitivity to rounding (tests/pages/test_remedies_lab.py states the tolerance).

Standard library only: it must run before NumPy is imported.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from importlib import metadata

THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
CORETYPE = "Haswell"
# NumPy's dispatch targets above AVX2, named as each release names them (PyPI wheels; every one
# must be listed: disabling one does not disable those above it, and a name the release does not
# dispatch gives an ImportWarning): 2.4 groups them as x86-64-v4 (X86_V4) plus two extensions,
# 2.0-2.3 list the AVX-512 families one by one, and AVX512_SPR exists from 2.3.
NUMPY_OFF_V4 = "X86_V4 AVX512_ICL AVX512_SPR"
NUMPY_OFF_AVX512 = "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
NUMPY_OFF_AVX512_SPR = NUMPY_OFF_AVX512 + " AVX512_SPR"
MARK = "GRADFLOW_KERNELS_PINNED"  # set by reexec_pinned so a re-executed command does not loop


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def x86_avx2() -> bool:
    """True on an x86-64 CPU with AVX2 and FMA: where the kernels can be pinned."""
    return platform.machine().lower() in ("x86_64", "amd64") and {"avx2", "fma"} <= cpu_flags()


def numpy_version() -> tuple[int, int]:
    """(major, minor) of the installed NumPy, read without importing it."""
    try:
        parts = metadata.version("numpy").split(".")
        return int(parts[0]), int(parts[1])
    except (metadata.PackageNotFoundError, ValueError, IndexError):
        return (0, 0)


def numpy_disable_list(version: tuple[int, int] | None = None) -> str:
    """NPY_DISABLE_CPU_FEATURES for this NumPy: its targets above AVX2."""
    version = numpy_version() if version is None else version
    if version >= (2, 4):
        return NUMPY_OFF_V4
    return NUMPY_OFF_AVX512_SPR if version >= (2, 3) else NUMPY_OFF_AVX512


def pinned_env(environ=None) -> dict[str, str]:
    """The variables pin() would set (a value already in environ wins)."""
    environ = os.environ if environ is None else environ
    want = dict.fromkeys(THREADS, "1")
    if x86_avx2():
        want["OPENBLAS_CORETYPE"] = CORETYPE
        want["NPY_DISABLE_CPU_FEATURES"] = numpy_disable_list()
    return {k: v for k, v in want.items() if k not in environ}


def pin(environ=None) -> str:
    """Set the variables in environ (os.environ) if NumPy is not loaded yet; says what it did."""
    environ = os.environ if environ is None else environ
    if "numpy" in sys.modules:
        return "numpy already loaded: not pinned"
    environ.update(pinned_env(environ))
    if not x86_avx2():
        return f"{platform.machine()} without AVX2/FMA: one BLAS thread, kernels not pinned"
    return (
        f"pinned: OPENBLAS_CORETYPE={environ['OPENBLAS_CORETYPE']}, "
        f"NPY_DISABLE_CPU_FEATURES={environ['NPY_DISABLE_CPU_FEATURES']}"
    )


def reexec_pinned() -> None:
    """For a command line: pin, or if NumPy is already loaded, run this command again pinned.

    `python -m lessons.remedies.records` imports its package (and NumPy) before its main() runs,
    so setting the variables then would be too late; the command is started again with them.
    """
    if os.environ.get(MARK) or not pinned_env():
        return
    if "numpy" not in sys.modules:
        pin()
        return
    env = dict(os.environ, **pinned_env(), **{MARK: "1"})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


@functools.lru_cache(maxsize=1)  # fixed once NumPy has loaded
def in_effect() -> bool:
    """True if this process runs the pinned kernels: the variables as pin() sets them on an x86-64
    AVX2 CPU, before NumPy loaded (NumPy's own report confirms its dispatch stops at AVX2)."""
    if not x86_avx2():
        return False
    want = {
        "OPENBLAS_CORETYPE": CORETYPE,
        "NPY_DISABLE_CPU_FEATURES": numpy_disable_list(),
        "OPENBLAS_NUM_THREADS": "1",
    }
    if any(os.environ.get(k) != v for k, v in want.items()):
        return False
    import numpy as np

    simd = np.show_config(mode="dicts").get("SIMD Extensions", {})
    found = set(simd.get("found", ()))
    return not (found & set(numpy_disable_list().split()))
