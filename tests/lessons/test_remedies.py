"""lessons.remedies called directly, without Streamlit: what a comparison becomes (specs), how a
record is read (analysis) and the leaky-RNN Jacobian of the T x T map, against gradcore and by hand.

The page's AppTests, the replay of the recorded cards and the Lab's training runs are in
tests/pages/test_remedies_lab.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcore import tasks
from lessons.remedies.analysis import baseline_loss, paper_figure, scoreboard_rows, state_map, success_table
from lessons.remedies.runtime import _window_means
from lessons.remedies.specs import Knobs, RunSpec, custom_specs, train_config, why_not

# ----------------------------------------------------------------------------- specs


def test_each_remedy_becomes_its_engine_setting():
    kn = Knobs(task="adding", T=30, k=7, l1=0.01, l2=0.02, omega=3.0, clip_mode="value", clip_threshold=0.5)
    plain = train_config(RunSpec("p", "rnn", seed=4), kn)
    assert (plain.clip, plain.tbptt, plain.l1, plain.l2, plain.omega, plain.init) == (
        None,
        None,
        0.0,
        0.0,
        0.0,
        "uniform",
    )
    assert (plain.task, plain.T, plain.cell, plain.seed) == ("adding", 30, "rnn", 4)
    every = train_config(RunSpec("e", "rnn", ("clip", "tbptt", "l1l2", "omega", "identity")), kn)
    assert (every.clip, every.clip_threshold, every.tbptt) == ("value", 0.5, (7, 7))
    assert (every.l1, every.l2, every.omega, every.init) == (0.01, 0.02, 3.0, "identity")
    assert train_config(RunSpec("o", "lstm", ("orthogonal", "identity")), kn).init == "orthogonal"
    # truncation only when it is shorter than the sequence; overrides win
    assert train_config(RunSpec("t", "rnn", ("tbptt",)), Knobs(T=7, k=7)).tbptt is None
    assert train_config(RunSpec("x", "gru", overrides=(("lr", 0.5),)), kn).lr == 0.5
    with pytest.raises(ValueError, match="not trained by gradient"):
        train_config(RunSpec("esn", "esn"), kn)


def test_custom_specs_apply_what_applies_and_say_what_was_left_out():
    specs, notes = custom_specs(
        ["rnn", "esn", "lstm"], ["clip", "omega", "orthogonal", "identity"], 2, True, "adding"
    )
    by_model = {m: [s for s in specs if s.model == m] for m in ("rnn", "esn", "lstm")}
    assert [s.remedies for s in by_model["rnn"]] == [("clip", "omega", "orthogonal")] * 2 + [()] * 2
    assert [s.seed for s in by_model["rnn"]] == [0, 1, 0, 1]
    assert by_model["rnn"][0].label == "RNN + clipping + Omega + orthogonal init · seed 0"
    assert [s.label for s in by_model["esn"]] == ["ESN (no remedy) · seed 0", "ESN (no remedy) · seed 1"]
    assert {s.remedies for s in by_model["lstm"]} == {("clip", "orthogonal"), ()}  # Omega is for rnn / leaky
    assert "LSTM: left out what does not apply to it here (Omega)." in notes
    assert "RNN: orthogonal and identity init both picked; using orthogonal." in notes
    one, _ = custom_specs(["gru"], [], 1, True, "adding")
    assert [s.label for s in one] == [
        "GRU (no remedy)"
    ]  # one seed: no seed in the label, no duplicate baseline


def test_generation_baseline_is_teacher_forced():
    specs, _ = custom_specs(["rnn"], ["clip"], 1, True, "noisy_sine")
    assert [s.remedies for s in specs] == [("clip",), (), ("teacher_forcing",)]


def test_why_not_names_the_reason():
    assert why_not(RunSpec("a", "rnn", ("clip",)), Knobs()) is None
    assert (
        why_not(RunSpec("a", "rnn"), Knobs(task="temporal_order", T=5))
        == "T must be >= 10 for this task, got 5"
    )
    assert "free-running training" in why_not(RunSpec("a", "lstm"), Knobs(task="noisy_sine"))
    assert why_not(RunSpec("a", "rnn", ("teacher_forcing",)), Knobs(task="noisy_sine")) is None
    assert "not generation" in why_not(RunSpec("a", "hf"), Knobs(task="noisy_sine"))
    assert why_not(RunSpec("a", "transformer"), Knobs()) == "unknown model 'transformer'"


# ----------------------------------------------------------------------------- analysis


def test_baseline_losses_are_the_input_blind_optimum():
    rng = np.random.default_rng(0)
    le = tasks.make_task("adding_le", 20).sample(rng, 40_000)
    y = le.y[le.loss_mask][:, 0]  # X1 + X2, X ~ U(0, 1): mean 1, variance 2/12
    assert baseline_loss("adding_le", 20)[0] == pytest.approx(np.mean((y - 1.0) ** 2), rel=0.02)
    order = tasks.make_task("temporal_order", 20).sample(rng, 40_000)
    freq = np.bincount(order.y[order.loss_mask], minlength=4) / order.y[order.loss_mask].size
    assert baseline_loss("temporal_order", 20)[0] == pytest.approx(-np.sum(freq * np.log(freq)), rel=1e-3)
    assert baseline_loss("copy", 100)[0] == pytest.approx(10 * math.log(8) / 120, rel=1e-12)
    assert baseline_loss("noisy_sine", 20) is None
    for T in (20, 100):  # Hochreiter's adding: a value at the first pair is 0, so below the usual 1/24
        add = tasks.make_task("adding", T).sample(rng, 200_000)
        y = add.y[add.loss_mask][:, 0]
        assert baseline_loss("adding", T)[0] == pytest.approx(np.mean((y - 0.5) ** 2), rel=0.015)
        assert baseline_loss("adding", T)[0] < 1 / 24 * 0.96


def _run(label, T, solved_step, seen, kind="grad", error=0.25, model="rnn", remedies=()):
    return {
        "label": label,
        "config": {"T": T},
        "kind": kind,
        "solved_step": solved_step,
        "sequences_seen": seen,
        "final_error": error,
        "model": model,
        "remedies": list(remedies),
        "note": "",
        "diverged": False,
    }


def test_success_table_by_hand():
    rec = {
        "runs": [
            _run("a", 20, 5, 100),
            _run("b", 20, 9, 300),
            _run("c", 20, -1, 999),
            _run("d", 50, -1, 999),
            _run("e", 50, -1, 999),
        ]
    }
    rows = success_table(rec)
    assert rows == [
        {"T": 20, "seeds": 3, "solved": 2, "success rate": 2 / 3, "median sequences to solve": 200.0},
        {"T": 50, "seeds": 2, "solved": 0, "success rate": 0.0, "median sequences to solve": None},
    ]


def test_scoreboard_rows_by_hand():
    rec = {
        "knobs": {"task": "temporal_order", "T": 30},
        "stopped": True,
        "runs": [
            _run("RNN + clip", 30, 40, 1280, error=0.0625, remedies=("clip",)),
            _run("RNN", 30, -1, 9600, error=None),
            _run("ESN", 30, -1, 2000, kind="esn", error=None, model="esn"),
            {**_run("HF", 30, -1, 0, kind="skip", error=None, model="hf"), "note": "cannot run"},
        ],
    }
    rows = scoreboard_rows(rec, seconds={"RNN + clip": 1.26})
    assert [r["solved"] for r in rows] == ["yes", "no (stopped)", "no (stopped)", "not run"]
    assert [r["wrong on fresh data"] for r in rows] == ["6.2%", "not checked", "-", "-"]
    assert rows[0]["wall time (s)"] == 1.3 and math.isnan(rows[1]["wall time (s)"])
    assert rows[0]["paper's figure (not this run)"].startswith(
        "Pascanu, Mikolov & Bengio 2013: clipping alone"
    )
    assert rows[2]["paper's figure (not this run)"] == "-"
    assert rows[3]["sequences seen"] is None and rows[3]["note"] == "cannot run"


def test_paper_figure_is_the_most_specific_match():
    assert "clipping alone" in paper_figure("temporal_order", "rnn", ("clip",))
    assert "SGD with clipping and Omega" in paper_figure("temporal_order", "rnn", ("clip", "omega", "tbptt"))
    assert "plain SGD" in paper_figure("temporal_order", "rnn", ("tbptt",))
    assert paper_figure("copy", "lstm", ()) == ""


def test_window_means_by_hand():
    assert _window_means([1, 2, 3, 4, 5], 2) == [1.5, 3.5]  # the incomplete last window is dropped
    assert _window_means([1, 2, 3], 4) == []


def test_leaky_state_map_is_the_jacobian_of_the_leaky_step():
    """J_t = diag(alpha) + diag((1 - alpha) f'(a_t)) Wh^T (Jefkine 2018, eq. 14), against centred
    differences of h_t = alpha h_{t-1} + (1 - alpha) tanh(x_t Wx + h_{t-1} Wh + b)."""
    rng = np.random.default_rng(1)
    H, T = 4, 12
    p = {"Wx": rng.normal(size=(2, H)), "Wh": rng.normal(size=(H, H)), "b": 0.1 * rng.normal(size=H)}
    alpha = rng.uniform(0.05, 0.5, H)
    m = state_map("leaky", "tanh", p, alpha, "adding", T)
    b = tasks.make_task("adding", T).sample(np.random.default_rng(7), 1)  # state_map's sequence (seed 7)
    x = b.x[0, b.step_mask[0]]

    def step(h, x_t):
        return alpha * h + (1 - alpha) * np.tanh(x_t @ p["Wx"] + h @ p["Wh"] + p["b"])

    hs = [np.zeros(H)]
    for x_t in x:
        hs.append(step(hs[-1], x_t))
    t, eps = 6, 1e-6  # dh_t/dh_{t-1} and dh_t/dh_{t-2}, by differences
    J1 = np.stack(
        [
            (step(hs[t - 1] + e, x[t - 1]) - step(hs[t - 1] - e, x[t - 1])) / (2 * eps)
            for e in eps * np.eye(H)
        ],
        axis=1,
    )
    J2 = np.stack(
        [
            (step(step(hs[t - 2] + e, x[t - 2]), x[t - 1]) - step(step(hs[t - 2] - e, x[t - 2]), x[t - 1]))
            / (2 * eps)
            for e in eps * np.eye(H)
        ],
        axis=1,
    )
    assert m["T"] == len(x) and m["state"] == "h"
    assert m["log10_norm"][t - 1, t - 2] == pytest.approx(np.log10(np.linalg.norm(J1, 2)), abs=1e-8)
    assert m["log10_norm"][t - 1, t - 3] == pytest.approx(np.log10(np.linalg.norm(J2, 2)), abs=1e-8)
    assert np.isnan(m["log10_norm"][0, 1])  # k > t: not a gradient path


# ----------------------------------------------------------------------------- card findings
def _frec(runs, task="adding", T=20):
    return {"knobs": {"task": task, "T": T}, "runs": runs}


def _frun(label, losses, **extra):
    return {"label": label, "curves": {"loss": losses}, "config": extra.pop("config", {}), **extra}


def test_card_findings_truncation_says_what_the_record_shows():
    from lessons.remedies.analysis import card_findings

    base = baseline_loss("adding", 20)[0]
    runs = [
        _frun("full", [0.03, base * 0.5], config={"tbptt": None}),
        _frun("k4", [0.03, base * 0.74], config={"tbptt": [4, 4]}),
    ]
    got = card_findings("tbptt", _frec(runs))
    assert "full ends at loss" in got[0] and "50% below" in got[0] and "26% below" in got[0]
    assert got[1] == "The shorter the truncation, the higher the final loss."
    runs[1]["curves"]["loss"][-1] = (
        base * 0.3
    )  # the short truncation ends lower: the sentence must not claim order
    assert card_findings("tbptt", _frec(runs))[1].startswith("The final loss is not ordered")
    runs[1]["curves"]["loss"][-1] = base * 1.1
    assert "10% above" in card_findings("tbptt", _frec(runs))[0]


def test_card_findings_l1l2_names_a_run_with_radius_below_one_and_norm_above():
    from lessons.remedies.analysis import card_findings

    def run(label, rho, norm):
        return _frun(
            label,
            [0.04],
            spectral_radius={"step": [1], "value": [rho]},
            spectral_norm={"step": [1], "value": [norm]},
        )

    got = card_findings("l1l2", _frec([run("a", 0.8, 1.3), run("b", 0.5, 0.7), run("c", 1.2, 2.0)], T=30))
    assert "a: ρ = 0.80, ‖W_hh‖₂ = 1.30" in got[0]
    assert got[0].endswith("a: ρ < 1 but ‖W_hh‖₂ ≥ 1, so the guarantee does not cover it.")
    got = card_findings("l1l2", _frec([run("b", 0.5, 0.7)], T=30))
    assert "guarantee does not cover" not in got[0]


def test_leaky_time_constants():
    from lessons.remedies.analysis import card_findings, time_constant

    assert time_constant(0.0) == 1.0 and time_constant(0.9) == pytest.approx(10.0)
    assert time_constant(0.2) == pytest.approx(1.25) and time_constant(1.0) == math.inf
    # 1 / (1 - keep) is the memory sum_t keep^t
    assert time_constant(0.5) == pytest.approx(sum(0.5**t for t in range(200)))
    text = card_findings("leaky", _frec([], T=30))[0]
    assert "1.02-1.25 steps" in text and "α = 0.9 gives 10 steps" in text


def test_recorded_l1l2_card_carries_the_spectral_norm():
    """The record holds ||W_hh||_2 at every report, at least the spectral radius (||W||_2 >= rho(W))."""
    import json
    from pathlib import Path

    rec = json.loads((Path(__file__).resolve().parents[2] / "results/remedies/card_l1l2.json").read_text())
    for r in rec["runs"]:
        rho, nrm = r["spectral_radius"]["value"], r["spectral_norm"]["value"]
        assert len(rho) == len(nrm) > 0
        assert all(n >= p * (1 - 1e-6) for n, p in zip(nrm, rho, strict=True))


def test_run_outcome_explains_a_comparison_from_its_numbers():
    from lessons.remedies.analysis import run_outcome

    base = baseline_loss("adding", 30)[0]

    def run(label, loss, dh, solved=-1):
        return {
            "label": label,
            "kind": "grad",
            "curves": {"loss": [base, loss]},
            "dh_norms": dh,
            "solved_step": solved,
            "steps": 500,
        }

    rec = {
        "knobs": {"task": "adding", "T": 30},
        "runs": [run("RNN", base * 1.06, [1e-6, 1e-2]), run("LSTM", base * 0.08, [1e-7, 1e-4])],
    }
    got = run_outcome(rec)
    assert got[0].startswith("Against the predict the mean (MSE 0.0382): LSTM 92% below; RNN 6% above")
    assert got[1].startswith("LSTM learned the task's long-range dependency")
    assert (
        got[2]
        == "No run met the task's strict criterion within 500 updates (a lower loss is not yet a solve)."
    )
    # the LSTM has the smaller gradient at step 1 in absolute terms, but keeps 1e-3 of it against the RNN's 1e-4
    assert "LSTM has the smallest ||dL/dh_1|| (1.0e-07)" in got[3] and "keeps 1.0e-03" in got[3]
    assert "RNN 1.0e-04" in got[3]
    rec["runs"][1]["solved_step"] = 420
    rec["runs"][1]["dh_norms"] = [1e-5, 1e-4]  # no longer the smallest: no explanation needed
    got = run_outcome(rec)
    assert got[2] == "Solved by the task's criterion: LSTM." and len(got) == 3
    rec["runs"][1]["curves"]["loss"][-1] = (
        base * 0.9
    )  # nobody below half the blind level: no 'learned' sentence
    assert not any("learned" in s for s in run_outcome(rec))


@pytest.mark.slow
def test_the_labs_default_comparison_separates():
    """Issue 17 item 6: Train at the page's defaults (adding, T = 30, H = 16, 500 updates; RNN and LSTM, with
    and without clipping; seed 0) shows the remedy winning: both LSTMs end below half the blind level, both
    RNNs above it (a few seconds of compute)."""
    from lessons.remedies.analysis import run_outcome
    from lessons.remedies.runtime import Lab

    kn = Knobs(task="adding", T=30, H=16, steps=500)
    specs, _ = custom_specs(["rnn", "lstm"], ["clip"], 1, True, "adding")
    rec = Lab(specs, kn).run_to_end().record()
    base = baseline_loss("adding", 30)[0]
    end = {r["label"]: r["curves"]["loss"][-1] for r in rec["runs"]}
    assert len(end) == 4, end
    for label, loss in end.items():
        assert (loss < 0.5 * base) == label.startswith("LSTM"), end
    assert any("LSTM" in s and "learned the task's long-range dependency" in s for s in run_outcome(rec))


def test_seed_bands_median_and_range_per_configuration():
    from lessons.remedies.analysis import configuration_of, many_seeds, seed_bands

    def run(label, model, rem, losses, dh):
        return {
            "label": label,
            "model": model,
            "remedies": rem,
            "curves": {"step": [10, 20], "loss": losses},
            "dh_norms": dh,
            "spectral_radius": {"step": [10, 20], "value": [0.5, 0.6]},
        }

    rec = {
        "runs": [
            run("LSTM + clipping · seed 0", "lstm", ["clip"], [0.3, 0.1], [1e-3, 1e-2]),
            run("LSTM + clipping · seed 1", "lstm", ["clip"], [0.5, float("nan")], [1e-4, 1e-2]),
            run("LSTM + clipping · seed 2", "lstm", ["clip"], [0.4, 0.3], [1e-5, 1e-2]),
            run("RNN (no remedy)", "rnn", [], [0.9, 0.8], [1e-9, 1e-2]),
        ]
    }
    assert configuration_of("LSTM + clipping · seed 2") == "LSTM + clipping" and many_seeds(rec)
    rows = {(r["configuration"], r["step"]): r for r in seed_bands(rec, "loss")}
    a = rows[("LSTM + clipping", 10)]
    assert (a["median"], a["lo"], a["hi"], a["seeds"]) == (0.4, 0.3, 0.5, 3)
    b = rows[("LSTM + clipping", 20)]  # the NaN is left out, not taken as a value
    assert (b["median"], b["lo"], b["hi"], b["seeds"]) == (pytest.approx(0.2), 0.1, 0.3, 2)
    assert (
        rows[("RNN (no remedy)", 20)]["remedies"] == "none"
        and rows[("LSTM + clipping", 20)]["remedies"] == "clip"
    )
    dh = {(r["configuration"], r["step"]): r for r in seed_bands(rec, "dh_norms")}
    assert dh[("LSTM + clipping", 1)]["median"] == 1e-4 and dh[("LSTM + clipping", 2)]["seeds"] == 3
    assert not many_seeds({"runs": rec["runs"][:1] + rec["runs"][3:]})


def test_forget_bias_findings_from_the_record():
    import json
    from pathlib import Path

    from lessons.remedies.analysis import forget_bias_findings

    exp = json.loads((Path(__file__).resolve().parents[2] / "results/adding_lstm_T100.json").read_text())
    text = forget_bias_findings(exp)
    for s_ in exp["settings"]:
        summ = exp["summary"][f"forget_bias_{s_['forget_bias']:g}"]
        assert f"{summ['sequences_seen']:,} sequences" in text
    fake = json.loads(json.dumps(exp))
    for summ in fake["summary"].values():
        summ["solved_step"], summ["sequences_seen"] = 10, 320
    text = forget_bias_findings(fake)
    assert "forget bias 1 solved after 320 sequences; forget bias 5 solved after 320 sequences." in text
    assert "only forget bias" not in text  # both solved: no 'only'
