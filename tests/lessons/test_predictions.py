"""The predict-first lessons' reveals (lessons.predictions): each answer recomputed from the engine at two
settings where it comes out differently, and the one sentence quoting it and its reason."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from gradcore import lstm
from lessons import exploding as E
from lessons import lstm_cell_state as LC
from lessons import predictions as P
from lessons import rnn_vanishing as RV
from lessons.remedies import records as rec_io

CLIFF = dict(csteps=50, x0=0.5, target=0.7)


def _one_sentence(s: str) -> None:
    body = s.rstrip(".").replace("eq. ", "eq ")
    assert s.endswith(".") and ". " not in body, s


# ----------------------------------------------------------------------------- RNN


@pytest.mark.parametrize(
    ("scale", "act", "init", "why"),
    [
        (0.9, "tanh", "gaussian_norm", "at most γ_W γ_h"),  # ||W||_2 = 0.9: eq. 12 guarantees it
        (0.9, "tanh", "gaussian_radius", "ρ(W) = 0.900 < 1 shrinks the powers"),  # rho < 1 < ||W||_2
        (1.2, "linear", "orthogonal", "lets it grow"),  # every singular value 1.2: it explodes
    ],
)
def test_radius_reveal_quotes_the_measured_end(scale, act, init, why):
    r = RV.compute(50, 16, act, init, scale, 1.0, 0)
    rv = P.reveal_radius(r, 1e-3)
    assert rv.answer == pytest.approx(RV.end_spec(r))
    assert f"is **{RV.sci(log10=RV.end_spec(r))}**" in rv.sentence and why in rv.sentence
    assert ("below your guess" in rv.sentence) == (rv.answer < -3.5)
    _one_sentence(rv.sentence)
    if init == "orthogonal":  # ||dh_T/dh_0|| = 1.2^50 exactly for a linear RNN
        assert rv.answer == pytest.approx(50 * math.log10(1.2), abs=1e-6)
        assert P.reveal_radius(r, 10.0 ** round(rv.answer)).right


def test_radius_asks_about_another_scale_than_the_one_on_screen():
    assert P.radius_scale(1.0) == 0.9 and P.radius_scale(0.9) == 0.8


@pytest.mark.parametrize(("init", "scale"), [("gaussian_radius", 1.0), ("gaussian_norm", 2.0)])
def test_sigmoid_reveal_is_below_its_quarter_bound(init, scale):
    r = RV.compute(50, 16, "sigmoid", init, scale, 1.0, 0)
    rv = P.reveal_sigmoid(r, 0.5)
    want = 10 ** (RV.end_spec(r) / 50)
    assert rv.answer == pytest.approx(want)
    assert rv.answer <= r.gamma_W / 4 + 1e-12  # eq. 12 with gamma_h = 1/4
    assert f"x{want:.3f}" in rv.sentence and f"= {r.gamma_W / 4:.3f}" in rv.sentence
    _one_sentence(rv.sentence)
    df = P.sigmoid_frame(r, 0.5, RV.compute(50, 16, "tanh", init, scale, 1.0, 0))
    assert list(df["bar"])[:3] == ["your prediction", "measured, sigmoid", "bound γ_W/4"]


def test_sigmoid_factors_differ_between_the_two_settings():
    a = P.reveal_sigmoid(RV.compute(50, 16, "sigmoid", "gaussian_radius", 1.0, 1.0, 0), 0.5).answer
    b = P.reveal_sigmoid(RV.compute(50, 16, "sigmoid", "gaussian_norm", 2.0, 1.0, 0), 0.5).answer
    assert a != pytest.approx(b, rel=0.1)


@pytest.mark.parametrize(
    ("T", "act", "answer"),
    [
        (60, "linear", P.NONNORMAL_OPTIONS[1]),  # ||W^9|| = 3.9 for rho = 0.9, then it falls
        (5, "linear", P.NONNORMAL_OPTIONS[2]),  # still rising at T - k = 5
        (60, "sigmoid", P.NONNORMAL_OPTIONS[0]),  # gamma_h = 1/4 leaves no room
    ],
)
def test_nonnormal_reveal_follows_the_measured_curve(T, act, answer):
    r = RV.compute(T, 32, act, "nonnormal", 0.9, 1.0, 0)
    assert P.nonnormal_answer(r)[0] == answer
    right = P.reveal_nonnormal(r, answer)
    assert right.right and right.sentence.startswith("Right:")
    wrong = next(o for o in P.NONNORMAL_OPTIONS if o != answer)
    rv = P.reveal_nonnormal(r, wrong)
    assert not rv.right and rv.sentence.startswith(f"You predicted '{wrong}'; it {answer}")
    _one_sentence(rv.sentence)


# ----------------------------------------------------------------------------- LSTM


@pytest.mark.parametrize(("fbias", "other", "word"), [(1.0, 4.0, "above"), (3.0, 0.0, "below")])
def test_forget_bias_reveal_recomputes_the_other_bias(fbias, other, word):
    T, H = 60, 16
    assert P.other_bias(fbias) == other
    end = LC.cell_path_end(T, H, 8, fbias, 0.9, 1.0, 0)
    p = LC.make_problem(T, H, 8, other, 0.9, 1.0, 0)
    _, cache = lstm.forward(p.x, np.zeros((1, H)), **p.lstm)
    want = float(np.log(cache.f[0]).sum(axis=0).max())  # ln max_j prod_s f_s[j], from the forward pass
    rv = P.reveal_forget_bias(end, want, fbias, T, 1e-2)
    assert rv.answer == pytest.approx(want / math.log(10))
    assert (
        f"ends at **{LC.sci(ln=want)}**" in rv.sentence and f"decades {word} b_f = {fbias:g}" in rv.sentence
    )
    _one_sentence(rv.sentence)


@pytest.mark.parametrize(
    ("scale", "fbias", "H", "answer"),
    [(2.0, 1.0, 16, P.CELL_PATH_OPTIONS[0]), (0.5, 5.0, 8, P.CELL_PATH_OPTIONS[1])],
)
def test_cell_path_reveal_compares_the_full_jacobian(scale, fbias, H, answer):
    R = LC.compute(50, H, 8, fbias, scale, 1.0, 0, "none")
    ans, dec = P.cell_path_answer(R)
    assert ans == answer
    assert dec == pytest.approx(float(R["ln_full"][-1] - R["ln_cell"][-1]) / math.log(10))
    rv = P.reveal_cell_path(R, scale, P.CELL_PATH_OPTIONS[2])
    assert not rv.right and f"ends at **{LC.sci(ln=float(R['ln_full'][-1]))}**" in rv.sentence
    _one_sentence(rv.sentence)


# ----------------------------------------------------------------------------- exploding


def test_cliff_reveal_on_and_off_the_wall():
    at_wall = E.descents(4.4, -2.2, 0.2, 100, 1.0, **CLIFF)
    rv = P.reveal_cliff(at_wall, 0.2, 1e-1)
    steps = P.step_lengths(at_wall["runs"]["none"])
    assert rv.answer == pytest.approx(np.nanmax(steps)) and rv.answer > 1
    assert "met the wall" in rv.sentence
    k = int(np.nanargmax(steps))
    assert rv.answer == pytest.approx(0.2 * at_wall["runs"]["none"].grad_norm_before[k])  # lr x ||g||
    far = E.descents(0.0, 0.0, 0.2, 100, 1.0, **CLIFF)
    rv2 = P.reveal_cliff(far, 0.2, 1e-1)
    assert rv2.answer < 0.1 and "never met the wall" in rv2.sentence
    _one_sentence(rv.sentence)
    _one_sentence(rv2.sentence)


@pytest.mark.parametrize(("threshold", "clipped"), [(1.0, True), (100.0, False)])
def test_clipping_reveal_is_lr_times_threshold_when_it_clips(threshold, clipped):
    R = E.descents(4.4, -2.2, 0.2, 100, threshold, **CLIFF)
    rv = P.reveal_clipping(R, 0.2, threshold, 1e-1)
    assert rv.answer == pytest.approx(np.nanmax(P.step_lengths(R["runs"]["norm"])))
    if clipped:
        assert rv.answer == pytest.approx(0.2 * threshold) and "rescales every g" in rv.sentence
    else:
        assert rv.answer > 1 and "left it alone" in rv.sentence
    _one_sentence(rv.sentence)


# ----------------------------------------------------------------------------- remedies (recorded)


@pytest.mark.parametrize("card", ["card_lstm", "card_gru"])  # both records hold an LSTM run (T = 30, 20)
def test_remedy_reveal_reads_the_record(card):
    rec, _ = rec_io.load_shared(card)
    lstm_run = next(r for r in rec["runs"] if r["label"] == "LSTM")
    d = lstm_run["dh_norms"]
    want = float(d[0]) / float(d[-1])
    rv = P.reveal_remedy(rec, 1e-3)
    assert rv.answer == pytest.approx(want)
    assert (
        f"**{P.msci(want)}**" in rv.sentence and f"x{want ** (1 / (len(d) - 1)):.3f} per step" in rv.sentence
    )
    _one_sentence(rv.sentence)


def test_truncation_reveal_reads_the_record_and_flips_with_it():
    rec, _ = rec_io.load_shared("card_tbptt")
    rv = P.reveal_truncation(rec, P.TRUNCATION_OPTIONS[2])
    assert rv.answer == P.TRUNCATION_OPTIONS[2] and rv.right and "**exactly 0**" in rv.sentence
    # the same record with the truncated runs' gradients replaced by the full run's: the answer flips
    full, short = P.truncation_runs(rec)
    other = copy.deepcopy(rec)
    for r in other["runs"]:
        if r["label"] == short["label"]:
            r["dh_norms"] = list(full["dh_norms"])
    rv2 = P.reveal_truncation(other, P.TRUNCATION_OPTIONS[2])
    assert rv2.answer == P.TRUNCATION_OPTIONS[0] and not rv2.right
    _one_sentence(rv.sentence)
