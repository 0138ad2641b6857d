"""Reproducible float32 training: the same BLAS and NumPy SIMD kernels on every x86-64 CPU with AVX2.

The Remedies lab shows recorded training runs and promises that pressing "Run live" gives the same
numbers (results/remedies/, tests/test_page_remedies.py). Float32 sums come out in a different
order with OpenBLAS's AVX-512 kernels than with its AVX2 ones, and NumPy dispatches its float32
exp/tanh loops by CPU feature too; after a few hundred updates those last-bit differences have
grown into different curves (seen: recorded on an AVX-512 machine, replayed on an AVX2-only one,
75% apart by the end). So before NumPy loads, on x86-64 with AVX2 and FMA, this pins OpenBLAS to
its Haswell kernels (OPENBLAS_CORETYPE) and turns NumPy's AVX-512 dispatch off
(NPY_DISABLE_CPU_FEATURES); both stay AVX2, so the cost on an AVX-512 machine is small. OpenBLAS
also gets one thread (as app.py gives it): its float32 results depend on the thread count too (seen:
the same card recorded with 2 threads and replayed with 1 differed from the 156th line on).

A value the user set wins; elsewhere (ARM, no AVX2, no /proc/cpuinfo) nothing is pinned, and the
recorded runs agree only to within training's sensitivity to rounding. Standard library only: this
runs before NumPy is imported (gradcore/__init__.py calls it first).
"""
from __future__ import annotations

import os
import platform
import sys

THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
CORETYPE = "Haswell"
NUMPY_OFF = "X86_V4 AVX512_ICL AVX512_SPR"  # NumPy 2.x dispatch targets above AVX2 (X86_V3)


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def pin(environ=None) -> str:
    """Pin the kernels if NumPy is not loaded yet and the CPU can run them; says what it did."""
    environ = os.environ if environ is None else environ
    if "numpy" in sys.modules:
        return "numpy already loaded: not pinned"
    for var in THREADS:
        environ.setdefault(var, "1")
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return f"{platform.machine()}: not pinned"
    flags = _cpu_flags()
    if not {"avx2", "fma"} <= flags:
        return "no AVX2/FMA: not pinned"
    environ.setdefault("OPENBLAS_CORETYPE", CORETYPE)
    environ.setdefault("NPY_DISABLE_CPU_FEATURES", NUMPY_OFF)
    return f"pinned: OPENBLAS_CORETYPE={environ['OPENBLAS_CORETYPE']}, " \
           f"NPY_DISABLE_CPU_FEATURES={environ['NPY_DISABLE_CPU_FEATURES']}"


PINNED = pin()
