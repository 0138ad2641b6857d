"""Predict, then reveal (issue 19, item 1): the nine predict-first lessons and the answers they reveal.

The lessons follow Jefkine's (2018) argument: vanishing below radius 1 (rnn_radius), the sigmoid's quarter
(rnn_sigmoid), the non-normal surprise (rnn_nonnormal), the forget bias (lstm_forget_bias), the cell path
against the full Jacobian (lstm_cell_path), the cliff (exp_cliff), clipping (exp_clipping), and one remedy
(lab_remedy, with lab_truncation beside it).

Each question is a *what if* on the settings on screen: one setting is changed (stated in the question) and
everything else is the page's, so the question makes sense at any settings and the page's own charts do not
already show the answer. Each reveal function takes the engine's numbers (the page's cached results at those
settings) and the learner's prediction and returns the computed answer and one sentence that says why.

Streamlit-free (lessons may not import it): LESSON_DEFS holds each lesson's fields as plain data; ui.predict
registers them as ui.predict.Lesson at import (ui/__init__.py), so every page run has them.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from lessons import fmt
from lessons.remedies.jsonable import recorded_float

LN10 = math.log(10.0)
# each page's own style of numbers (the same partials as lessons.rnn_vanishing.sci and lessons.lstm_cell_state.sci;
# not imported from there, so that importing ui, which registers these lessons, loads no engine)
rsci = functools.partial(fmt.sci, digits=2, plain=(-2, 2), pad=False, zero="0", nonfinite="overflow")
lsci = functools.partial(fmt.sci, digits=2, plus=False, pad=False, zero="exactly 0", nonfinite="overflowed")
esci = fmt.sci  # lessons.exploding
msci = functools.partial(fmt.sci, digits=2)  # lessons.remedies.analysis ('.1e')


class Reveal(NamedTuple):
    """The computed answer (an option, or the measured value), whether the prediction got it (a choice: the
    same option; a value: within half a decade, or 10% for a linear value), and the one-sentence reason."""

    answer: object
    right: bool
    sentence: str


# ----------------------------------------------------------------------------- the lessons (plain data)

NONNORMAL_OPTIONS = ("falls from the first step", "grows for some steps, then falls", "keeps growing")
CELL_PATH_OPTIONS = ("far above the cell path", "on the cell path (within x10)", "far below the cell path")
TRUNCATION_OPTIONS = ("about as much as with full BPTT", "a small share (under 1e-2)", "nothing at all")

# key -> the fields of ui.predict.Lesson (page, section, question, kind, options, lo, hi, unit, log)
LESSON_DEFS: dict[str, dict] = {
    "rnn_radius": dict(
        page="pages/rnn_vanishing.py",
        section="Decay",
        question="With W_hh at scale 0.9 (the rest as on screen), what is ||dh_T/dh_0||_2?",
        kind="value",
        lo=1e-60,
        hi=1e30,
        unit="||dh_T/dh_0||_2",
        log=True,
    ),
    "rnn_sigmoid": dict(
        page="pages/rnn_vanishing.py",
        section="Derivative",
        question="With f = sigmoid (the rest as on screen), by what factor per step does ||dh_T/dh_k||_2 change?",
        kind="value",
        lo=0.0,
        hi=1.5,
        unit="x per step",
    ),
    "rnn_nonnormal": dict(
        page="pages/rnn_vanishing.py",
        section="Spectrum",
        question="A non-normal W_hh with spectral radius 0.9, f linear: what does ||dh_T/dh_k||_2 do as T - k grows?",
        kind="choice",
        options=NONNORMAL_OPTIONS,
    ),
    "lstm_forget_bias": dict(
        page="pages/lstm_cell_state.py",
        section="Two paths",
        question="At the other forget bias (0 from a high b_f, 4 from a low one), where does the cell path end?",
        kind="value",
        lo=1e-100,
        hi=1.0,
        unit="||prod diag(f_s)||_2",
        log=True,
    ),
    "lstm_cell_path": dict(
        page="pages/lstm_cell_state.py",
        section="Two paths",
        question="At another recurrent scale, where does the full ||dc_T/dc_0|| end against the cell path?",
        kind="choice",
        options=CELL_PATH_OPTIONS,
    ),
    "exp_cliff": dict(
        page="pages/exploding.py",
        section="Descent",
        question="Unclipped descent from the start on screen: how long is its longest step in (w, b)?",
        kind="value",
        lo=1e-4,
        hi=1e4,
        unit="||(w, b)_{k+1} - (w, b)_k||",
        log=True,
    ),
    "exp_clipping": dict(
        page="pages/exploding.py",
        section="Clipping",
        question="Clipped by norm at the threshold on screen: how long is the run's longest step in (w, b)?",
        kind="value",
        lo=1e-4,
        hi=1e4,
        unit="||(w, b)_{k+1} - (w, b)_k||",
        log=True,
    ),
    "lab_remedy": dict(
        page="pages/remedies_lab.py",
        section=None,
        question="Recorded LSTM card (adding task): what share of ||dL/dh_T|| reaches step 1 in the LSTM?",
        kind="value",
        lo=1e-12,
        hi=10.0,
        unit="||dL/dh_1|| / ||dL/dh_T||",
        log=True,
    ),
    "lab_truncation": dict(
        page="pages/remedies_lab.py",
        section=None,
        question="Recorded truncation card: with BPTT(4, 4), how much of ||dL/dh_T|| reaches step 1?",
        kind="choice",
        options=TRUNCATION_OPTIONS,
    ),
}
ORDER = tuple(LESSON_DEFS)  # seed 001's order of the argument


def _decades(guess: float, log10_answer: float) -> float:
    """How many decades the answer lies above (+) or below (-) a positive guess."""
    return float(log10_answer) - math.log10(guess) if guess > 0 else math.inf


def _gap_words(guess: float, log10_answer: float) -> str:
    """' 2.3 decades below your guess' / ' within half a decade of your guess'."""
    if not math.isfinite(log10_answer):
        return ""
    g = _decades(guess, log10_answer)
    if abs(g) < 0.5:
        return ", within half a decade of your guess"
    return f", {abs(g):.1f} decades {'above' if g > 0 else 'below'} your guess"


def _right_value(guess: float, log10_answer: float) -> bool:
    return math.isfinite(log10_answer) and abs(_decades(guess, log10_answer)) < 0.5


# ----------------------------------------------------------------------------- RNN page


def radius_scale(scale: float) -> float:
    """The scale rnn_radius asks about: 0.9, or 0.8 when 0.9 is already on screen."""
    return 0.8 if abs(float(scale) - 0.9) < 1e-9 else 0.9


def radius_question(scale_asked: float, init_label: str, T: int) -> str:
    return (
        f"Same draw, same T = {T}, but W_hh at **scale {scale_asked:g}** ({init_label}). "
        "What is ‖∂h_T/∂h_0‖₂ at T - k = T? Pick its power of ten."
    )


def reveal_radius(r, guess: float) -> Reveal:
    """r: lessons.rnn_vanishing.Run at the asked scale. The measured ||dh_T/dh_0||_2 against the guess."""
    e, d = float(r.spec_log10[r.t_end]), int(r.t_end)
    rate = 10 ** (e / d) if math.isfinite(e) else 0.0
    gw = r.gamma_W * r.gamma_h
    if gw < 1:
        why = (
            f"every step multiplies it by at most γ_W γ_h = {gw:.3f} < 1 (eq. 12), on average by x{rate:.3f}"
        )
    elif r.rho < 1:
        m = float(np.mean(r.fprime_mean))
        also = f" and f' (mean |f'| = {m:.3f}) shrinks them further" if m < 0.999 else ""
        why = (
            f"ρ(W) = {r.rho:.3f} < 1 shrinks the powers of W_hh{also}: x{rate:.3f} per step on average, although "
            f"the bound γ_W γ_h = {gw:.3f} ≥ 1 promises nothing"
        )
    elif e < -3:
        why = (
            f"f' along this run (mean |f'| = {float(np.mean(r.fprime_mean)):.3f}) shrinks it by x{rate:.3f} per "
            f"step on average, though ρ(W) = {r.rho:.3f} ≥ 1"
        )
    else:
        why = f"ρ(W) = {r.rho:.3f} ≥ 1 lets it grow: x{rate:.3f} per step on average"
    sentence = (
        f"You predicted {fmt.decade(guess)}; the measured ‖∂h_T/∂h_0‖₂ at T = {d} is **{rsci(log10=e)}**"
        f"{_gap_words(guess, e)}, because {why}."
    )
    return Reveal(e, _right_value(guess, e), sentence)


def sigmoid_question(gamma_W: float, T: int, act: str) -> str:
    was = "" if act == "sigmoid" else f" instead of {act}"
    return (
        f"Same W_hh (‖W_hh‖₂ = {gamma_W:.3f}), same inputs, T = {T}, but **f = sigmoid**{was}. "
        "By what factor per step does ‖∂h_T/∂h_k‖₂ change, on average over the T steps?"
    )


def per_step(r) -> float:
    """The measured average factor per step, (||dh_T/dh_0||_2)^(1/T)."""
    e = float(r.spec_log10[r.t_end])
    return 10 ** (e / r.t_end) if math.isfinite(e) else (0.0 if e < 0 else math.inf)


def reveal_sigmoid(r, guess: float) -> Reveal:
    """r: the Run with f = sigmoid. Its measured factor per step against the guess; the bound gamma_W / 4."""
    f = per_step(r)
    bound = r.gamma_W * r.gamma_h
    top = float(np.max(r.fprime_max))
    sentence = (
        f"You predicted x{guess:.2f} per step; the sigmoid RNN's ‖∂h_T/∂h_k‖₂ changed by **x{f:.3f}** per step "
        f"over {r.t_end} steps, because σ' is at most 1/4 (its largest along this run: {top:.4f}), so each step "
        f"multiplies it by at most γ_W γ_h = {r.gamma_W:.3f} × 1/4 = {bound:.3f}."
    )
    return Reveal(f, abs(guess - f) <= 0.1 * max(f, 0.05), sentence)


def sigmoid_frame(r, guess: float, r_now=None) -> pd.DataFrame:
    """Bars: the guess, the measured factor per step with the sigmoid, its bound (and the run on screen's)."""
    rows = [
        ("your prediction", guess),
        ("measured, sigmoid", per_step(r)),
        ("bound γ_W/4", r.gamma_W * r.gamma_h),
    ]
    if r_now is not None and r_now.act != "sigmoid":
        rows.append((f"measured, {r_now.act} (on screen)", per_step(r_now)))
    df = pd.DataFrame(rows, columns=["bar", "factor"])
    return df[np.isfinite(df["factor"])].reset_index(drop=True)


def nonnormal_question(T: int, H: int) -> str:
    return (
        f"A **non-normal W_hh with spectral radius 0.9** (H = {H}, same seed), **f linear**, T = {T}. "
        "Going back from h_T, what does ‖∂h_T/∂h_k‖₂ do as T - k grows?"
    )


def nonnormal_answer(r) -> tuple[str, int, float]:
    """(option, distance of the peak, its log10 norm) from the measured norms."""
    v = np.where(np.isnan(r.spec_log10), -np.inf, np.asarray(r.spec_log10, dtype=float))
    v[0] = -np.inf
    d = int(np.argmax(v))
    peak = float(v[d])
    end = float(r.spec_log10[r.t_end])
    if not peak > 0:
        return NONNORMAL_OPTIONS[0], d, peak
    if d >= r.t_end or end >= peak - 1e-9:
        return NONNORMAL_OPTIONS[2], d, peak
    return NONNORMAL_OPTIONS[1], d, peak


def reveal_nonnormal(r, guess: str) -> Reveal:
    """r: the Run with init nonnormal at scale 0.9 (f linear)."""
    ans, d, peak = nonnormal_answer(r)
    end = float(r.spec_log10[r.t_end])
    if ans == NONNORMAL_OPTIONS[0]:
        why = (
            f"it never rises above 1 (at T - k = 1 it is {rsci(log10=float(r.spec_log10[1]))}): here "
            f"‖W_hh‖₂ γ_h = {r.gamma_W * r.gamma_h:.3f} leaves no room to grow"
        )
    else:
        why = (
            f"it rises to {rsci(log10=peak)} at T - k = {d}"
            + (f" and falls to {rsci(log10=end)} at T - k = {r.t_end}" if ans == NONNORMAL_OPTIONS[1] else "")
            + f", because ‖W_hh‖₂ = {r.gamma_W:.2f} > 1 lets the powers of a non-normal W grow for a while, "
            f"although ρ(W) = {r.rho:.3f} < 1 makes them vanish in the end"
        )
    lead = "Right" if guess == ans else f"You predicted '{guess}'; it {ans}"
    return Reveal(ans, guess == ans, f"{lead}: {why}.")


# ----------------------------------------------------------------------------- LSTM page


def other_bias(fbias: float) -> float:
    """The forget bias lstm_forget_bias asks about: 0 from a high bias, 4 from a low one."""
    return 0.0 if fbias >= 2.0 else 4.0


def forget_question(end_ln: float, T: int, fbias: float) -> str:
    return (
        f"With b_f = {fbias:g} the cell path ‖∏ diag(f_s)‖₂ ends at {lsci(ln=end_ln)} after {T} steps. "
        f"With **b_f = {other_bias(fbias):g}** instead (same weights, same inputs), where does it end? "
        "Pick its power of ten."
    )


def reveal_forget_bias(end_ln: float, other_ln: float, fbias: float, T: int, guess: float) -> Reveal:
    """end_ln, other_ln: ln ||prod_s diag(f_s)||_2 at b_f = fbias and at other_bias(fbias)."""
    ob = other_bias(fbias)
    e = other_ln / LN10
    dec = (other_ln - end_ln) / LN10
    sentence = (
        f"You predicted {fmt.decade(guess)}; at b_f = {ob:g} the cell path ends at **{lsci(ln=other_ln)}**"
        f"{_gap_words(guess, e)} ({abs(dec):.1f} decades {'above' if dec > 0 else 'below'} b_f = {fbias:g}), "
        f"because each step multiplies it by a forget gate: on average x{math.exp(other_ln / T):.3f} per step "
        f"at b_f = {ob:g} against x{math.exp(end_ln / T):.3f} at b_f = {fbias:g}."
    )
    return Reveal(e, _right_value(guess, e), sentence)


def forget_frame(end_ln: float, other_ln: float, fbias: float, guess: float) -> pd.DataFrame:
    """Bars (log10): the cell path's end on screen, at the other bias, and the guess."""
    return pd.DataFrame(
        {
            "bar": [f"b_f = {fbias:g} (on screen)", f"b_f = {other_bias(fbias):g}", "your prediction"],
            "log10": [end_ln / LN10, other_ln / LN10, math.log10(guess)],
        }
    )


def other_scale(scale: float) -> float:
    """The recurrent scale lstm_cell_path asks about: 2.0, or 0.5 from a scale of 1.5 or more."""
    return 0.5 if scale >= 1.5 else 2.0


def cell_path_question(scale: float, T: int) -> str:
    return (
        f"Scale the recurrent weights to **ρ = {other_scale(scale):g}** (now {scale:g}), T = {T}. "
        "Where does the full ‖∂c_T/∂c_0‖, every detour through h included, end against the cell path "
        "‖∏ diag(f_s)‖?"
    )


def cell_path_answer(R: dict) -> tuple[str, float]:
    """(option, decades of the full Jacobian above the cell path at distance T) from lessons.lstm_cell_state.compute."""
    dec = float(R["ln_full"][-1] - R["ln_cell"][-1]) / LN10
    if not math.isfinite(dec):
        dec = math.copysign(999.0, dec) if not math.isnan(dec) else 0.0
    if dec > 1:
        return CELL_PATH_OPTIONS[0], dec
    if dec < -1:
        return CELL_PATH_OPTIONS[2], dec
    return CELL_PATH_OPTIONS[1], dec


def reveal_cell_path(R: dict, scale_asked: float, guess: str) -> Reveal:
    ans, dec = cell_path_answer(R)
    how = {
        CELL_PATH_OPTIONS[0]: "add far more than the forget gates alone carry",
        CELL_PATH_OPTIONS[1]: "add little to the product of forget gates",
        CELL_PATH_OPTIONS[2]: "cancel part of the product of forget gates",
    }[ans]
    lead = "Right" if guess == ans else f"You predicted '{guess}'; it ends {ans}"
    sentence = (
        f"{lead}: at ρ = {scale_asked:g} the full ‖∂c_T/∂c_0‖ ends at **{lsci(ln=float(R['ln_full'][-1]))}**, "
        f"{abs(dec):.1f} decades {'above' if dec >= 0 else 'below'} the cell path's {lsci(ln=float(R['ln_cell'][-1]))}, "
        f"because the detours through h pick up W_h (at the last step ‖∂c_T/∂h_(T-1)‖₂ = {R['norm_dc_dh_T']:.2f}, "
        f"‖∂h_T/∂h_(T-1)‖₂ = {R['norm_dh_dh_T']:.2f}) and {how}."
    )
    return Reveal(ans, guess == ans, sentence)


# ----------------------------------------------------------------------------- exploding page


def step_lengths(d) -> np.ndarray:
    """||(w, b)_{k+1} - (w, b)_k|| of a gradcore.cliff.Descent (non-finite steps as NaN)."""
    s = np.linalg.norm(np.diff(np.asarray(d.path, dtype=float), axis=0), axis=1)
    return np.where(np.isfinite(s), s, np.nan)


def steps_frame(R: dict, runs: dict) -> pd.DataFrame:
    """Tidy step lengths of the descents (lessons.exploding.descents) by run name (runs: mode -> label)."""
    parts = []
    for mode, label in runs.items():
        s = step_lengths(R["runs"][mode])
        ok = np.isfinite(s)
        parts.append(pd.DataFrame({"step": np.arange(1, s.size + 1)[ok], "length": s[ok], "run": label}))
    return pd.concat(parts, ignore_index=True)


def _longest(d) -> tuple[float, int]:
    s = step_lengths(d)
    if not np.isfinite(s).any():
        return math.nan, 0
    k = int(np.nanargmax(s))
    return float(s[k]), k


def cliff_question(w0: float, b0: float, lr: float, steps: int) -> str:
    return (
        f"Gradient descent **without clipping** from (w, b) = ({w0:g}, {b0:g}), learning rate {lr:g}, {steps} steps. "
        "How long is its longest step ‖(w, b)_(k+1) - (w, b)_k‖? Pick its power of ten."
    )


def reveal_cliff(R: dict, lr: float, guess: float) -> Reveal:
    """R: lessons.exploding.descents. The unclipped run's longest step, and the gradient that made it."""
    free = R["runs"]["none"]
    L, k = _longest(free)
    if not math.isfinite(L):
        return Reveal(math.nan, False, "The unclipped run's first gradient was not finite: it took no step.")
    g = float(free.grad_norm_before[k])
    med = float(np.nanmedian(step_lengths(free)))
    e = math.log10(L) if L > 0 else -math.inf
    wall = L > 100 * med  # one step a hundred times the typical one: the wall's gradient
    why = (
        f"there it met the wall: ‖g‖ = {esci(g)} and a step is lr × ‖g‖ = {lr:g} × {esci(g)}"
        if wall
        else f"it never met the wall: its largest gradient, ‖g‖ = {esci(g)}, moves it by lr × ‖g‖ = {lr:g} × {esci(g)}"
    )
    sentence = (
        f"You predicted {fmt.decade(guess)}; the unclipped run's longest step, from step {k} to {k + 1}, is "
        f"**{esci(L)}**{_gap_words(guess, e)} (its median step is {esci(med)}), because {why}."
    )
    return Reveal(L, _right_value(guess, e), sentence)


def clipping_question(threshold: float, lr: float) -> str:
    return (
        f"The same descent **clipped by norm** at threshold {threshold:g} (eq. 13), learning rate {lr:g}. "
        "How long is its longest step in (w, b)? Pick its power of ten."
    )


def reveal_clipping(R: dict, lr: float, threshold: float, guess: float) -> Reveal:
    """R: lessons.exploding.descents. The clipped-by-norm run's longest step against the unclipped one's."""
    clipped, free = R["runs"]["norm"], R["runs"]["none"]
    L, k = _longest(clipped)
    Lu, _ = _longest(free)
    if not math.isfinite(L):
        return Reveal(math.nan, False, "The clipped run's first gradient was not finite: it took no step.")
    g = float(clipped.grad_norm_before[k])
    e = math.log10(L) if L > 0 else -math.inf
    if g > threshold:
        why = (
            f"eq. 13 rescales every g longer than the threshold to length {threshold:g} and keeps its direction, "
            f"so no step is longer than lr × threshold = {lr * threshold:.3g} (there ‖g‖ was {esci(g)})"
        )
    else:
        why = f"its gradient never grew past the threshold {threshold:g} at that step (‖g‖ = {esci(g)}), so eq. 13 left it alone"
    sentence = (
        f"You predicted {fmt.decade(guess)}; clipped by norm, the longest step is **{esci(L)}**{_gap_words(guess, e)}"
        + (f" (unclipped: {esci(Lu)})" if math.isfinite(Lu) else "")
        + f", because {why}."
    )
    return Reveal(L, _right_value(guess, e), sentence)


# ----------------------------------------------------------------------------- remedies lab (recorded cards)


def reach(run: dict) -> float:
    """||dL/dh_1|| / ||dL/dh_T|| of one recorded run (its dh_norms, recorded floats)."""
    d = [recorded_float(x) for x in run["dh_norms"]]
    return d[0] / d[-1] if len(d) > 1 and d[-1] > 0 and math.isfinite(d[0]) else math.nan


def _run(rec: dict, label: str) -> dict | None:
    return next((r for r in rec.get("runs", []) if r.get("label") == label), None)


def remedy_question(rec: dict) -> str:
    kn = rec["knobs"]
    rnn = _run(rec, "RNN")
    known = f" In the RNN it is {msci(reach(rnn))}." if rnn is not None else ""
    return (
        f"Recorded LSTM card: {kn['task']} task, T = {kn['T']}, after training.{known} "
        "What share of the last step's ‖dL/dh_T‖ reaches **step 1** in the **LSTM**? Pick its power of ten."
    )


def reveal_remedy(rec: dict, guess: float) -> Reveal:
    """rec: the LSTM card's record (results/remedies/card_lstm.json, with recorded_float values)."""
    lstm, rnn = _run(rec, "LSTM"), _run(rec, "RNN")
    if lstm is None:
        return Reveal(math.nan, False, "This record has no LSTM run.")
    q = reach(lstm)
    n = len(lstm["dh_norms"]) - 1
    e = math.log10(q) if q > 0 else -math.inf
    other = ""
    if rnn is not None and math.isfinite(reach(rnn)) and reach(rnn) > 0:
        other = f", x{reach(rnn) ** (1 / n):.3f} in the RNN, where W_hh diag f' multiplies it instead"
    sentence = (
        f"You predicted {fmt.decade(guess)}; recorded, **{msci(q)}** of the LSTM's ‖dL/dh_T‖ reaches step 1"
        f"{_gap_words(guess, e)} ({msci(reach(rnn)) if rnn else 'no RNN'} in the RNN), because along its cell the "
        f"gradient is multiplied by the forget gate: x{q ** (1 / n):.3f} per step on average{other}."
    )
    return Reveal(q, _right_value(guess, e), sentence)


def _truncation(run: dict) -> int | None:
    tb = (run.get("config") or {}).get("tbptt")
    return int(tb[-1]) if tb else None


def truncation_runs(rec: dict) -> tuple[dict | None, dict | None]:
    """(full BPTT run, the shortest truncation's run) of the truncation card's record."""
    full = next((r for r in rec.get("runs", []) if _truncation(r) is None), None)
    cut = [r for r in rec.get("runs", []) if _truncation(r) is not None]
    short = min(cut, key=_truncation) if cut else None
    return full, short


def truncation_question(rec: dict) -> str:
    full, short = truncation_runs(rec)
    k = _truncation(short) if short else "k"
    kn = rec["knobs"]
    return (
        f"Recorded truncation card: an LSTM on the {kn['task']} task, T = {kn['T']}, trained with "
        f"**BPTT({k}, {k})**. How much of the last step's ‖dL/dh_T‖ reaches step 1"
        + (f" (with full BPTT: {msci(reach(full))})" if full else "")
        + "?"
    )


def truncation_answer(q: float, q_full: float) -> str:
    if not q > 0:
        return TRUNCATION_OPTIONS[2]
    if q < 1e-2 or (math.isfinite(q_full) and q < 0.1 * q_full):
        return TRUNCATION_OPTIONS[1]
    return TRUNCATION_OPTIONS[0]


def reveal_truncation(rec: dict, guess: str) -> Reveal:
    full, short = truncation_runs(rec)
    if short is None:
        return Reveal(None, False, "This record has no truncated run.")
    k = _truncation(short)
    q, qf = reach(short), (reach(full) if full else math.nan)
    ans = truncation_answer(q, qf)
    lead = "Right" if guess == ans else f"You predicted '{guess}'; it is {ans.lower()}"
    amount = "exactly 0" if not q > 0 else msci(q)
    sentence = (
        f"{lead}: with BPTT({k}, {k}) **{amount}** of ‖dL/dh_T‖ reaches step 1"
        + (f" (full BPTT: {msci(qf)})" if math.isfinite(qf) else "")
        + f", because the backward pass stops {k} steps back: a step further back than that gets no gradient at all."
    )
    return Reveal(ans, guess == ans, sentence)
