"""Long-range benchmark tasks with the papers' exact specs, as batches of arrays.

Every generator takes an explicit ``np.random.Generator`` and returns a ``Batch``:

    x          (N, T, D)  inputs (left-padded with zeros where sequences are shorter)
    y          (N, T, V)  float targets (regression) or (N, T) int labels (classification)
    loss_mask  (N, T)     True where the output is scored
    step_mask  (N, T)     True at real steps; False at left padding (the models hold their
                          state there, so a padded sequence is exactly the shorter one)

A ``Task`` bundles a generator with its criterion: ``task.correct(out, batch)`` says which
sequences are right, and a run has solved the task when the wrong fraction on
``task.eval_size`` fresh sequences is below ``task.max_wrong``.

Tasks:
- ``adding``: Hochreiter & Schmidhuber 1997 experiment 4, or the variant of Le, Jaitly and
  Hinton 2015 (``variant="le"``).
- ``temporal_order``: Hochreiter 1997 experiment 6a in the 6-symbol form of Pascanu,
  Mikolov and Bengio 2013.
- ``copy``: the copy / noiseless memorisation task of Arjovsky, Shah and Bengio 2016.
- ``noisy_sine``: next-value prediction of a noisy sine, for teacher forcing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Batch",
    "Task",
    "adding",
    "temporal_order",
    "copy",
    "noisy_sine",
    "make_task",
    "TASK_NAMES",
    "copy_baseline_ce",
    "ADDING_TOL",
]

ADDING_TOL = 0.04  # Hochreiter 1997: a sequence is right if |error| at its end < 0.04
COPY_SYMBOLS = 8  # Arjovsky 2016: 10 symbols drawn from 8 categories
COPY_LEN = 10
BLANK, DELIM = 0, 9


@dataclass(frozen=True)
class Batch:
    """One batch of a task: inputs, targets and the masks that say which steps count."""

    x: np.ndarray  # (N, T, D) float
    y: np.ndarray  # (N, T, V) float (regression) or (N, T) int (classification)
    loss_mask: np.ndarray  # (N, T) bool, steps whose output is scored
    step_mask: np.ndarray  # (N, T) bool, real steps (False = left padding)
    kind: str  # "regression" | "classification"
    info: dict  # task-specific extras (marker positions, lengths, classes, ...)

    @property
    def N(self) -> int:
        return self.x.shape[0]

    @property
    def T(self) -> int:
        return self.x.shape[1]


@dataclass(frozen=True)
class Task:
    """A named task: its generator, sizes and criterion.

    ``sample(rng, N) -> Batch``; ``correct(out, batch) -> (N,) bool`` where ``out`` is the
    model output at every step, (N, T, V) (values for regression, logits for classification).
    Solved when the wrong fraction on ``eval_size`` fresh sequences is < ``max_wrong``.
    """

    name: str
    T: int
    D: int
    V: int
    kind: str
    sample: Callable[[np.random.Generator, int], Batch]
    correct: Callable[[np.ndarray, Batch], np.ndarray]
    max_wrong: float
    eval_size: int
    description: str

    def error_rate(self, out: np.ndarray, batch: Batch) -> float:
        """Fraction of sequences in `batch` that `out` gets wrong."""
        return float(1.0 - np.mean(self.correct(out, batch)))


def _check_T(T: int, smallest: int) -> int:
    T = int(T)
    if T < smallest:
        raise ValueError(f"T must be >= {smallest} for this task, got {T}")
    return T


# ---------------------------------------------------------------------------------------
# Adding problem
# ---------------------------------------------------------------------------------------
def adding(rng: np.random.Generator, N: int, T: int, variant: str = "hochreiter") -> Batch:
    """Adding problem: y = 0.5 + (X1 + X2) / 4 (Hochreiter) or y = X1 + X2 (Le et al.).

    Hochreiter & Schmidhuber 1997, exp. 4: pairs (value in U[-1, 1], marker); length L
    uniform in [T, T + T//10]; X1 is one of the first 10 pairs, X2 one of the first T//2 - 1
    still unmarked pairs; the first and last pair carry marker -1 unless marked; a marked
    first pair has its value set to 0. Sequences are left-padded to T + T//10 steps.
    Le, Jaitly & Hinton 2015: fixed length T, values in U[0, 1], one marker in the first
    half and one in the second, target the plain sum (predicting its mean 1 scores MSE 1/6).
    The only scored step is the last one. D = 2 (value, marker), V = 1.
    """
    N = int(N)
    if variant == "hochreiter":
        T = _check_T(T, 10)
        T_max = T + T // 10
        L = rng.integers(T, T_max + 1, size=N)  # (N,) lengths, inclusive of T + T//10
        values = rng.uniform(-1.0, 1.0, size=(N, T_max))
        p1 = rng.integers(0, 10, size=N)  # one of the first ten pairs
        r = rng.integers(0, T // 2 - 1, size=N)  # r-th of the still unmarked pairs ...
        p2 = r + (r >= p1)  # ... among the first T//2 - 1 of them
        pad = T_max - L  # (N,) left padding
        rows = np.arange(N)
        marker = np.zeros((N, T_max))
        marker[rows, pad] = -1.0  # first pair
        marker[:, T_max - 1] = -1.0  # last pair (L > 10 + T//2 so never marked)
        marker[rows, pad + p1] = 1.0
        marker[rows, pad + p2] = 1.0
        step = np.arange(T_max)[None, :] >= pad[:, None]  # (N, T_max) real steps
        values = np.where(step, values, 0.0)
        # "In the rare case where the first pair of the sequence gets marked, X1 is set to 0."
        values[rows, pad] = np.where((p1 == 0) | (p2 == 0), 0.0, values[rows, pad])
        X1, X2 = values[rows, pad + p1], values[rows, pad + p2]
        target = 0.5 + (X1 + X2) / 4.0
        T_out = T_max
    elif variant == "le":
        T = _check_T(T, 2)
        L = np.full(N, T)
        values = rng.uniform(0.0, 1.0, size=(N, T))
        p1 = rng.integers(0, T // 2, size=N)
        p2 = rng.integers(T // 2, T, size=N)
        rows = np.arange(N)
        marker = np.zeros((N, T))
        marker[rows, p1] = 1.0
        marker[rows, p2] = 1.0
        step = np.ones((N, T), dtype=bool)
        pad = np.zeros(N, dtype=int)
        X1, X2 = values[rows, p1], values[rows, p2]
        target = X1 + X2
        T_out = T
    else:
        raise ValueError(f"unknown adding variant {variant!r}; expected 'hochreiter' or 'le'")
    x = np.stack([values, marker], axis=-1)  # (N, T, 2)
    y = np.zeros((N, T_out, 1))
    y[:, -1, 0] = target
    loss_mask = np.zeros((N, T_out), dtype=bool)
    loss_mask[:, -1] = True
    info = {
        "variant": variant,
        "length": L,
        "pad": pad,
        "p1": p1,
        "p2": p2,
        "X1": X1,
        "X2": X2,
        "target": target,
    }
    return Batch(x, y, loss_mask, step, "regression", info)


def _adding_correct(tol: float):
    def correct(out: np.ndarray, batch: Batch) -> np.ndarray:
        """|y_T - target| < tol at the last step (Hochreiter: tol = 0.04)."""
        return np.abs(out[:, -1, 0] - batch.y[:, -1, 0]) < tol

    return correct


# ---------------------------------------------------------------------------------------
# Temporal order
# ---------------------------------------------------------------------------------------
TEMPORAL_SYMBOLS = 6  # A, B and four distractors (Pascanu et al. 2013)


def temporal_order(rng: np.random.Generator, N: int, T: int) -> Batch:
    """Temporal order: class = 2 * s1 + s2 for the symbols s1, s2 in {A=0, B=1}.

    Hochreiter 1997 exp. 6a in Pascanu et al.'s 6-symbol form: one-hot inputs of 6 symbols;
    A or B at a position in [0.1T, 0.2T) and again in [0.5T, 0.6T); distractors (symbols
    2..5) everywhere else; the 4 classes (AA, AB, BA, BB) are scored at the last step.
    """
    N, T = int(N), _check_T(T, 10)
    sym = rng.integers(2, TEMPORAL_SYMBOLS, size=(N, T))  # distractors
    # integer bounds (T // 10, not int(0.1 * T)) so rounding of 0.1 * T never moves a bound
    t1 = rng.integers(T // 10, (2 * T) // 10, size=N)
    t2 = rng.integers(T // 2, (6 * T) // 10, size=N)
    s1 = rng.integers(0, 2, size=N)
    s2 = rng.integers(0, 2, size=N)
    rows = np.arange(N)
    sym[rows, t1] = s1
    sym[rows, t2] = s2
    x = np.eye(TEMPORAL_SYMBOLS)[sym]  # (N, T, 6) one-hot
    y = np.zeros((N, T), dtype=np.int64)
    cls = 2 * s1 + s2
    y[:, -1] = cls
    loss_mask = np.zeros((N, T), dtype=bool)
    loss_mask[:, -1] = True
    info = {"t1": t1, "t2": t2, "s1": s1, "s2": s2, "cls": cls, "symbols": sym}
    return Batch(x, y, loss_mask, np.ones((N, T), dtype=bool), "classification", info)


def _last_step_argmax_correct(out: np.ndarray, batch: Batch) -> np.ndarray:
    """argmax of the logits at the last step equals the label."""
    return np.argmax(out[:, -1], axis=-1) == batch.y[:, -1]


# ---------------------------------------------------------------------------------------
# Copy task
# ---------------------------------------------------------------------------------------
def copy(rng: np.random.Generator, N: int, T: int) -> Batch:
    """Copy task (Arjovsky et al. 2016): recall 10 symbols after T blanks.

    Input symbols (one-hot, D = 10): 10 symbols from {1..8}, T - 1 blanks (0), the
    delimiter 9, then 10 blanks: T + 20 steps. Targets (V = 9 classes, 0 = blank): blank for
    the first T + 10 steps, then the 10 symbols. Every step is scored; the memoryless
    baseline (blank, then uniform over the 8 symbols) scores 10 log 8 / (T + 20).
    """
    N, T = int(N), _check_T(T, 1)
    S = T + 2 * COPY_LEN
    data = rng.integers(1, COPY_SYMBOLS + 1, size=(N, COPY_LEN))
    sym = np.full((N, S), BLANK, dtype=np.int64)
    sym[:, :COPY_LEN] = data
    sym[:, T + COPY_LEN - 1] = DELIM
    x = np.eye(COPY_SYMBOLS + 2)[sym]  # (N, S, 10)
    y = np.full((N, S), BLANK, dtype=np.int64)
    y[:, -COPY_LEN:] = data
    mask = np.ones((N, S), dtype=bool)
    return Batch(x, y, mask, mask.copy(), "classification", {"data": data, "symbols": sym})


def copy_baseline_ce(T: int) -> float:
    """Cross-entropy per step of the memoryless strategy: 10 log 8 / (T + 20)."""
    return COPY_LEN * np.log(COPY_SYMBOLS) / (T + 2 * COPY_LEN)


def _copy_correct(out: np.ndarray, batch: Batch) -> np.ndarray:
    """All 10 recalled symbols right (argmax over the 9 classes at the last 10 steps)."""
    return np.all(np.argmax(out[:, -COPY_LEN:], axis=-1) == batch.y[:, -COPY_LEN:], axis=1)


# ---------------------------------------------------------------------------------------
# Noisy sine: next-value prediction (teacher forcing)
# ---------------------------------------------------------------------------------------
def noisy_sine(
    rng: np.random.Generator, N: int, T: int, noise: float = 0.05, period: tuple[float, float] = (10.0, 20.0)
) -> Batch:
    """Next value of a noisy sine: x_t = s_t, y_t = s_{t+1}, s_t = sin(2 pi t / P + phi) + noise eps_t.

    P ~ U[period], phi ~ U[0, 2 pi), eps ~ N(0, 1). Every step is scored (V = D = 1), so
    teacher forcing feeds the observed s_t and free running feeds the model's own y_{t-1}.
    ``info["clean"]`` holds the noiseless continuation sin(2 pi (t + 1) / P + phi).
    """
    N, T = int(N), _check_T(T, 2)
    P = rng.uniform(period[0], period[1], size=(N, 1))
    phi = rng.uniform(0.0, 2 * np.pi, size=(N, 1))
    t = np.arange(T + 1)[None, :]
    clean = np.sin(2 * np.pi * t / P + phi)  # (N, T + 1)
    s = clean + noise * rng.standard_normal((N, T + 1))
    x = s[:, :T, None]
    y = s[:, 1:, None]
    mask = np.ones((N, T), dtype=bool)
    info = {"period": P[:, 0], "phase": phi[:, 0], "clean_next": clean[:, 1:], "noise": noise}
    return Batch(x, y, mask, mask.copy(), "regression", info)


def _sine_correct(tol: float):
    def correct(out: np.ndarray, batch: Batch) -> np.ndarray:
        """Root-mean-square error against the noiseless next values below tol."""
        err = out[..., 0] - batch.info["clean_next"]
        return np.sqrt(np.mean(err * err, axis=1)) < tol

    return correct


# ---------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------
TASK_NAMES = ("adding", "adding_le", "temporal_order", "copy", "noisy_sine")


def make_task(name: str, T: int, **kw) -> Task:
    """The Task called `name` at length T (keyword options: tol for adding / noisy_sine, noise)."""
    if name == "adding":
        tol = kw.get("tol", ADDING_TOL)
        return Task(
            "adding",
            int(T),
            2,
            1,
            "regression",
            lambda rng, N: adding(rng, N, T),
            _adding_correct(tol),
            0.01,
            2560,
            "Hochreiter & Schmidhuber 1997 exp. 4: <1% of 2,560 fresh sequences off by >= 0.04",
        )
    if name == "adding_le":
        tol = kw.get("tol", ADDING_TOL)
        return Task(
            "adding_le",
            int(T),
            2,
            1,
            "regression",
            lambda rng, N: adding(rng, N, T, "le"),
            _adding_correct(tol),
            0.01,
            2560,
            "Le, Jaitly & Hinton 2015: target X1 + X2; baseline MSE 1/6 (predict the mean)",
        )
    if name == "temporal_order":
        return Task(
            "temporal_order",
            int(T),
            TEMPORAL_SYMBOLS,
            4,
            "classification",
            lambda rng, N: temporal_order(rng, N, T),
            _last_step_argmax_correct,
            0.01,
            10000,
            "Pascanu et al. 2013: <1% of 10,000 fresh sequences misclassified",
        )
    if name == "copy":
        return Task(
            "copy",
            int(T),
            COPY_SYMBOLS + 2,
            COPY_SYMBOLS + 1,
            "classification",
            lambda rng, N: copy(rng, N, T),
            _copy_correct,
            0.01,
            1000,
            "Arjovsky et al. 2016: recall all 10 symbols; baseline CE 10 log 8 / (T + 20)",
        )
    if name == "noisy_sine":
        noise = kw.get("noise", 0.05)
        tol = kw.get("tol", 0.1)
        return Task(
            "noisy_sine",
            int(T),
            1,
            1,
            "regression",
            lambda rng, N: noisy_sine(rng, N, T, noise),
            _sine_correct(tol),
            0.01,
            1000,
            "next value of a noisy sine; right if RMS error vs clean < tol",
        )
    raise ValueError(f"unknown task {name!r}; expected one of {TASK_NAMES}")
