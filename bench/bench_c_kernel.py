"""What an optional compiled kernel would gain (issue 16): an LSTM forward + backward in plain C, float32.

    python bench/bench_c_kernel.py [--repeats 15] [--json bench/results/c_kernel.json]

The throughput issue asks, where pure NumPy cannot reach torch's speed, for the measured gain of the
alternative. This bench compiles a ~100-line C implementation of the same LSTM (gate order i, f, o, g,
a_t = x_t Wx + h_{t-1} Wh + b, h_0 = c_0 = 0, the direct dL/dh_t of every step given) with the system's C
compiler (cc -O3 -march=native; no BLAS, loops the compiler vectorises), checks its gradients against
gradcore.models.backward on the same inputs (max relative difference, float32), and times both in this
process, interleaved, one thread: medians and the ratio gradcore / C. It is a measurement, not a part of the
app: gradcore stays NumPy-only, and nothing here is imported at runtime. torch is not needed (its ratios
against gradcore are in bench/results/throughput.json, measured by bench/bench_throughput.py).

If no C compiler is found the bench says so and exits 0 with nothing measured.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serve import kernels  # noqa: E402  (standard library only: before NumPy)

PINNED = kernels.pin()  # one OpenBLAS thread and the pinned kernels, as the app and bench_throughput

import numpy as np  # noqa: E402

from gradcore import models  # noqa: E402

C_SOURCE = r"""
#include <math.h>
#include <string.h>
static float sg(float a) { return 1.0f / (1.0f + expf(-a)); }
/* out[N][M] (+)= A[N][K] @ B[K][M] (row-major); i-k-j order so the inner loop vectorises */
static void mm(const float *A, const float *B, float *out, int N, int K, int M, int acc) {
    if (!acc) memset(out, 0, sizeof(float) * N * M);
    for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) {
        float a = A[n * K + k]; const float *b = B + k * M; float *o = out + n * M;
        for (int m = 0; m < M; m++) o[m] += a * b[m];
    }
}
/* out[K][M] += A[N][K]^T @ B[N][M] */
static void mtm(const float *A, const float *B, float *out, int N, int K, int M) {
    for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) {
        float a = A[n * K + k]; const float *b = B + n * M; float *o = out + k * M;
        for (int m = 0; m < M; m++) o[m] += a * b[m];
    }
}
/* out[N][K] = A[N][M] @ B[K][M]^T */
static void mmt(const float *A, const float *B, float *out, int N, int M, int K) {
    for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) {
        const float *a = A + n * M, *b = B + k * M; float s = 0.0f;
        for (int m = 0; m < M; m++) s += a[m] * b[m];
        out[n * K + k] = s;
    }
}
/* x (T,N,D), Wx (D,4H), Wh (H,4H), b (4H), dh (T,N,H); work: G (T,N,4H), C (T+1,N,H), Hs (T+1,N,H),
   da (N,4H), dhn (N,H), dcn (N,H); out: dWx, dWh, db (zeroed here), hT (N,H) */
void lstm_fb(int T, int N, int D, int H, const float *x, const float *Wx, const float *Wh, const float *b,
             const float *dh, float *G, float *C, float *Hs, float *da, float *dhn, float *dcn,
             float *dWx, float *dWh, float *db) {
    int G4 = 4 * H;
    memset(C, 0, sizeof(float) * N * H); memset(Hs, 0, sizeof(float) * N * H);
    for (int t = 0; t < T; t++) {
        float *g = G + (size_t)t * N * G4, *hp = Hs + (size_t)t * N * H, *cp = C + (size_t)t * N * H;
        float *hn = Hs + (size_t)(t + 1) * N * H, *cn = C + (size_t)(t + 1) * N * H;
        mm(x + (size_t)t * N * D, Wx, g, N, D, G4, 0);
        mm(hp, Wh, g, N, H, G4, 1);
        for (int n = 0; n < N; n++) {
            float *r = g + n * G4;
            for (int j = 0; j < G4; j++) r[j] += b[j];
            for (int j = 0; j < 3 * H; j++) r[j] = sg(r[j]);
            for (int j = 3 * H; j < G4; j++) r[j] = tanhf(r[j]);
            for (int j = 0; j < H; j++) {
                float c = r[H + j] * cp[n * H + j] + r[j] * r[3 * H + j];
                cn[n * H + j] = c; hn[n * H + j] = r[2 * H + j] * tanhf(c);
            }
        }
    }
    memset(dWx, 0, sizeof(float) * D * G4); memset(dWh, 0, sizeof(float) * H * G4); memset(db, 0, sizeof(float) * G4);
    memset(dhn, 0, sizeof(float) * N * H); memset(dcn, 0, sizeof(float) * N * H);
    for (int t = T - 1; t >= 0; t--) {
        const float *g = G + (size_t)t * N * G4, *cp = C + (size_t)t * N * H, *cc = C + (size_t)(t + 1) * N * H;
        const float *d = dh + (size_t)t * N * H;
        for (int n = 0; n < N; n++) for (int j = 0; j < H; j++) {
            const float *r = g + n * G4;
            float i = r[j], f = r[H + j], o = r[2 * H + j], gg = r[3 * H + j];
            float tc = tanhf(cc[n * H + j]), dht = d[n * H + j] + dhn[n * H + j];
            float dc = dht * o * (1.0f - tc * tc) + dcn[n * H + j];
            float *q = da + n * G4;
            q[j] = dc * gg * i * (1.0f - i);
            q[H + j] = dc * cp[n * H + j] * f * (1.0f - f);
            q[2 * H + j] = dht * tc * o * (1.0f - o);
            q[3 * H + j] = dc * i * (1.0f - gg * gg);
            dcn[n * H + j] = dc * f;
        }
        mmt(da, Wh, dhn, N, G4, H);
        mtm(Hs + (size_t)t * N * H, da, dWh, N, H, G4);
        mtm(x + (size_t)t * N * D, da, dWx, N, D, G4);
        for (int n = 0; n < N; n++) for (int j = 0; j < G4; j++) db[j] += da[n * G4 + j];
    }
}
"""

# The same step with OpenBLAS's sgemm for every matrix product (the layout torch's CPU LSTM uses): the input
# projection of all steps and the weight gradients of all steps as single products, the recurrent products
# per step; the gate nonlinearities and their derivatives in the same plain loops as above.
C_BLAS = r"""
#include <math.h>
#include <string.h>
#include <cblas.h>
static float sg(float a) { return 1.0f / (1.0f + expf(-a)); }
void set_threads(int n) { openblas_set_num_threads(n); }
/* as lstm_fb, with DA (T,N,4H) in place of da */
void lstm_fb_blas(int T, int N, int D, int H, const float *x, const float *Wx, const float *Wh, const float *b,
                  const float *dh, float *G, float *C, float *Hs, float *DA, float *dhn, float *dcn,
                  float *dWx, float *dWh, float *db) {
    int G4 = 4 * H;
    memset(C, 0, sizeof(float) * N * H); memset(Hs, 0, sizeof(float) * N * H);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T * N, G4, D, 1.0f, x, D, Wx, G4, 0.0f, G, G4);
    for (int t = 0; t < T; t++) {
        float *g = G + (size_t)t * N * G4, *hp = Hs + (size_t)t * N * H, *cp = C + (size_t)t * N * H;
        float *hn = Hs + (size_t)(t + 1) * N * H, *cn = C + (size_t)(t + 1) * N * H;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, G4, H, 1.0f, hp, H, Wh, G4, 1.0f, g, G4);
        for (int n = 0; n < N; n++) {
            float *r = g + n * G4;
            for (int j = 0; j < G4; j++) r[j] += b[j];
            for (int j = 0; j < 3 * H; j++) r[j] = sg(r[j]);
            for (int j = 3 * H; j < G4; j++) r[j] = tanhf(r[j]);
            for (int j = 0; j < H; j++) {
                float c = r[H + j] * cp[n * H + j] + r[j] * r[3 * H + j];
                cn[n * H + j] = c; hn[n * H + j] = r[2 * H + j] * tanhf(c);
            }
        }
    }
    memset(db, 0, sizeof(float) * G4);
    memset(dhn, 0, sizeof(float) * N * H); memset(dcn, 0, sizeof(float) * N * H);
    for (int t = T - 1; t >= 0; t--) {
        const float *g = G + (size_t)t * N * G4, *cp = C + (size_t)t * N * H, *cc = C + (size_t)(t + 1) * N * H;
        const float *d = dh + (size_t)t * N * H;
        float *da = DA + (size_t)t * N * G4;
        for (int n = 0; n < N; n++) for (int j = 0; j < H; j++) {
            const float *r = g + n * G4;
            float i = r[j], f = r[H + j], o = r[2 * H + j], gg = r[3 * H + j];
            float tc = tanhf(cc[n * H + j]), dht = d[n * H + j] + dhn[n * H + j];
            float dc = dht * o * (1.0f - tc * tc) + dcn[n * H + j];
            float *q = da + n * G4;
            q[j] = dc * gg * i * (1.0f - i);
            q[H + j] = dc * cp[n * H + j] * f * (1.0f - f);
            q[2 * H + j] = dht * tc * o * (1.0f - o);
            q[3 * H + j] = dc * i * (1.0f - gg * gg);
            dcn[n * H + j] = dc * f;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, H, G4, 1.0f, da, G4, Wh, G4, 0.0f, dhn, H);
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, G4, T * N, 1.0f, Hs, H, DA, G4, 0.0f, dWh, G4);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, D, G4, T * N, 1.0f, x, D, DA, G4, 0.0f, dWx, G4);
    for (int r = 0; r < T * N; r++) for (int j = 0; j < G4; j++) db[j] += DA[(size_t)r * G4 + j];
}
"""

SHAPES = [(100, 32, 32, 1), (200, 32, 64, 8), (50, 32, 128, 4)]  # (T, N, H, D), the issue's


def build(source: str = C_SOURCE, libs=("-lm",), flags=()) -> ctypes.CDLL | None:
    """Compile source into a shared library (None: no compiler, or it did not build, e.g. no OpenBLAS)."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        return None
    d = Path(tempfile.mkdtemp(prefix="gradcore-c-"))
    (d / "lstm.c").write_text(source)
    cmd = [
        cc,
        "-O3",
        "-march=native",
        *flags,
        "-shared",
        "-fPIC",
        "-o",
        str(d / "lstm.so"),
        str(d / "lstm.c"),
        *libs,
    ]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        return None
    return ctypes.CDLL(str(d / "lstm.so"))


def c_runner(lib, x, Wx, Wh, b, dh, blas=False):
    T, N, D = x.shape
    H = Wh.shape[0]
    f32 = np.float32
    fn = lib.lstm_fb_blas if blas else lib.lstm_fb
    fn.restype = None
    bufs = dict(
        G=np.empty((T, N, 4 * H), f32),
        C=np.empty((T + 1, N, H), f32),
        Hs=np.empty((T + 1, N, H), f32),
        da=np.empty((T, N, 4 * H) if blas else (N, 4 * H), f32),
        dhn=np.empty((N, H), f32),
        dcn=np.empty((N, H), f32),
        dWx=np.empty((D, 4 * H), f32),
        dWh=np.empty((H, 4 * H), f32),
        db=np.empty(4 * H, f32),
    )
    args = [x, Wx, Wh, b, dh, *bufs.values()]
    ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in args]

    def run():
        fn(ctypes.c_int(T), ctypes.c_int(N), ctypes.c_int(D), ctypes.c_int(H), *ptrs)
        return bufs

    return run


def gradcore_runner(x, Wx, Wh, b, dh):
    spec = models.Spec("lstm", "tanh")
    X = x.transpose(1, 0, 2)[None]  # (1, N, T, D)
    DH = dh[None]  # (1, T, N, H)

    def run():
        _, cache = models.forward(spec, Wx[None], Wh[None], b[None], X)
        return models.backward(cache, DH)

    return run


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args(argv)
    lib = build()
    if lib is None:
        print("no C compiler found (cc / gcc): nothing measured")
        return 0
    blas = build(C_BLAS, ("-lopenblas", "-lm"))
    if blas is None:
        print(
            "OpenBLAS's cblas.h / libopenblas not found (Debian: apt-get install libopenblas-dev): C + BLAS skipped"
        )
    else:
        blas.set_threads(1)
    # -ffast-math lets gcc call glibc's vectorised expf / tanhf (libmvec), as torch calls its own vector maths
    fast = build(C_BLAS, ("-lopenblas", "-lmvec", "-lm"), ("-ffast-math",)) if blas is not None else None
    if fast is not None:
        fast.set_threads(1)
    rows = []
    for T, N, H, D in SHAPES:
        rng = np.random.default_rng(0)
        f32 = np.float32
        x = rng.standard_normal((T, N, D)).astype(f32)
        Wx = (rng.standard_normal((D, 4 * H)) / np.sqrt(D)).astype(f32)
        Wh = (rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(f32)
        b = (0.1 * rng.standard_normal(4 * H)).astype(f32)
        dh = (rng.standard_normal((T, N, H)) / N).astype(f32)
        runs = {"gradcore": gradcore_runner(x, Wx, Wh, b, dh), "c": c_runner(lib, x, Wx, Wh, b, dh)}
        if blas is not None:
            runs["c_blas"] = c_runner(blas, x, Wx, Wh, b, dh, blas=True)
        if fast is not None:
            runs["c_blas_vector_maths"] = c_runner(fast, x, Wx, Wh, b, dh, blas=True)
        out_g = runs["gradcore"]()
        err = {}
        for name in ("c", "c_blas", "c_blas_vector_maths"):
            if name in runs:
                o = runs[name]()
                err[name] = {k: float(f"{rel(o[k], getattr(out_g, k)[0]):.2e}") for k in ("dWx", "dWh", "db")}
        times = {k: [] for k in runs}
        for _ in range(3):
            for r in runs.values():
                r()
        for _ in range(a.repeats):  # interleaved: all see the same machine load
            for k, r in runs.items():
                t0 = time.perf_counter()
                r()
                times[k].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) for k, v in times.items()}
        row = {
            "shape (T, N, H, D)": [T, N, H, D],
            **{f"{k}_ms": round(1e3 * v, 3) for k, v in med.items()},
            **{f"gradcore_over_{k}": round(med["gradcore"] / med[k], 2) for k in med if k != "gradcore"},
            "max_rel_diff_float32_vs_gradcore": err,
        }
        rows.append(row)
        print(
            f"(T, N, H, D) = {(T, N, H, D)}: "
            + ", ".join(f"{k} {1e3 * v:.2f} ms" for k, v in med.items())
            + "; "
            + ", ".join(f"gradcore / {k} = {med['gradcore'] / med[k]:.2f}x" for k in med if k != "gradcore")
            + f"; max rel diff {err}"
        )
    if a.json:
        out = {
            "what": "LSTM forward + backward, float32, one thread: plain C loops and C + OpenBLAS sgemm "
            "(cc -O3 -march=native) against gradcore.models, interleaved medians in one process",
            "command": "python bench/bench_c_kernel.py --json bench/results/c_kernel.json",
            "machine": platform.machine(),
            "numpy": np.__version__,
            "pinned_kernels": bool(PINNED),
            "repeats": a.repeats,
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),  # other work on the machine meanwhile
            "rows": rows,
        }
        Path(a.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
