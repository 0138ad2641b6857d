"""The Start page's computation: one RNN run at two spectral radii, and what its figure says.

NumPy and pandas on top of gradcore, no Streamlit or Altair. The draw is the RNN page's
(lessons.rnn_vanishing: Wh, then Wx ~ N(0, 1/D), then x), so the two pages' curves match.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gradcore import activations, init, jacobians, rnn
from lessons import fmt, rnn_vanishing

D = 4  # input size
SCALES = (0.8, 1.2)  # spectral radii of the two runs: one below 1, one above


def jacobian_norms(T: int, act: str, H: int, seed: int) -> pd.DataFrame:
    """log10 ||dh_T/dh_k||_2 = log10 ||J_T ... J_{k+1}||, J_s = diag(f'(a_s)) Wh^T, per radius.

    gradcore.jacobians renormalises the product at every step and keeps its log-norm, so
    no float over- or underflows however long T is (an exact zero stays -inf).
    """
    frames = []
    for scale in SCALES:
        rng = np.random.default_rng(seed)  # same draw for both radii: only the scale differs
        Wh = init.make_Wh("gaussian_radius", H, scale, rng)
        Wx = rng.standard_normal((D, H)) / np.sqrt(D)
        x = rng.standard_normal((1, T, D))  # (N=1, T, D)
        _, cache = rnn.forward(x, np.zeros((1, H)), Wx, Wh, np.zeros(H), activation=act)
        norms = jacobians.rnn_product_norms(cache)  # natural logs over d = T - k = 0..T
        frames.append(
            pd.DataFrame(
                {"scale": scale, "distance": norms.distance, "log10_norm": norms.log_spec / np.log(10.0)}
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df["run"] = [f"spectral radius {s:g}" for s in df["scale"]]
    return df


def read_off(df: pd.DataFrame, T: int) -> str:
    """'Read it off': the gradient norm after T steps at both radii, and the rate per step."""
    end = df[df["distance"] == T].set_index("scale")["log10_norm"]
    lo, hi = end.get(SCALES[0]), end.get(SCALES[1])
    return (
        f"**Read it off:** after {T} steps the gradient norm is {fmt.decade(log10=lo, zero='exactly 0')} at "
        f"radius {SCALES[0]:g} and {fmt.decade(log10=hi, zero='exactly 0')} at radius {SCALES[1]:g}"
        + (
            f", about {10 ** (lo / T):.2f}x and {10 ** (hi / T):.2f}x per step."
            if np.isfinite(lo) and np.isfinite(hi)
            else "."
        )
    )


def activation_note(act: str) -> str | None:
    """What f' adds to W_h's product (None for the linear activation, where f' = 1)."""
    if act == "linear":
        return None
    return (
        f"With {act}, every step also multiplies by f'(a_t) <= {activations.get(act).gamma:g}, "
        "so saturated units pull even the larger radius down."
    )


def bound_claim(act: str, init_kind: str, scale: float, H: int, seed: int) -> str:
    """What eq. 12's bound (gamma_W gamma_h)^(t-k) does per step for the RNN page's W_hh at these settings.

    The W_hh is the RNN page's draw (lessons.rnn_vanishing.make_problem), so a preset that opens that
    page at (act, init_kind, scale) with its H and seed says what its chart then shows.
    """
    p = rnn_vanishing.make_problem(2, H, act, init_kind, scale, 1.0, seed)
    gamma_W = float(np.linalg.norm(p.Wh, 2))
    gamma_h = activations.get(act).gamma
    per_step = gamma_W * gamma_h
    if per_step < 1:
        trend = f"drops {1 / per_step:.3g}× per step"
    elif per_step > 1:
        trend = f"grows {per_step:.3g}× per step"
    else:
        trend = "stays at 1"
    gh = "1/4" if gamma_h == 0.25 else f"{gamma_h:g}"
    return (
        f"γ_h = {gh} for {act} and γ_W = ‖W_hh‖₂ = {gamma_W:.3g} ({init_kind}, scale {scale:g}): "
        f"the bound (γ_W γ_h)^(t−k) {trend}."
    )
