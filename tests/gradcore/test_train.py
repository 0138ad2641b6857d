"""Training engine: exact gradients of every path, remedies doing what they claim, the loop."""

from dataclasses import replace

import numpy as np
import pytest

from gradcore import clipping, gradcheck, init, losses, models, regularisers, train
from gradcore.tasks import make_task


def _setup(cell, task_name="adding", T=8, M=2, N=3, H=4, seed=0, act="tanh"):
    rng = np.random.default_rng(seed)
    task = make_task(task_name, T)
    cfgs = [
        train.TrainConfig(task=task_name, T=T, cell=cell, H=H, seed=seed + m, activation=act)
        for m in range(M)
    ]
    st = train.Stepper(cfgs)
    batches = [task.sample(rng, N) for _ in range(M)]
    x, y, lm, sm = train.stack_batches(batches, np.float64)
    # random weights of a useful size, so every path carries signal
    params = {k: 0.6 * rng.standard_normal(v.shape) for k, v in st.params.items()}
    return st, params, (x, y, lm, sm), task


@pytest.mark.parametrize(
    "cell,task_name",
    [
        ("rnn", "adding"),
        ("leaky", "adding"),
        ("lstm", "temporal_order"),
        ("gru", "copy"),
        ("lstm", "adding_le"),
        ("rnn", "noisy_sine"),
    ],
)
def test_value_and_grad_gradcheck(cell, task_name):
    st, params, (x, y, lm, sm), task = _setup(
        cell, task_name, T={"adding": 10, "temporal_order": 10, "copy": 2}.get(task_name, 6)
    )
    loss, grads, _ = train.value_and_grad(st.spec, params, x, y, lm, sm, task.kind, st.alpha)

    def fn(**p):
        return float(train.value_and_grad(st.spec, p, x, y, lm, sm, task.kind, st.alpha)[0].sum())

    errs = gradcheck.check(fn, params, grads)
    assert max(errs.values()) < 1e-6, errs


def test_heads_match_gradcore_losses():
    rng = np.random.default_rng(1)
    M, S, N, H, V = 1, 5, 4, 3, 6
    hS = rng.standard_normal((M, S, N, H))
    Wy, by = rng.standard_normal((M, H, V)), rng.standard_normal((M, V))
    yS = rng.integers(0, V, size=(M, S, N))
    mask = rng.random((M, S, N)) < 0.7
    out, loss, dWy, dby, dhS = train.head("classification", hS, Wy, by, yS, mask)
    ref = losses.softmax_cross_entropy(
        hS[0].transpose(1, 0, 2), Wy[0], by[0], yS[0].T, mask[0].T.astype(float)
    )
    assert loss[0] == pytest.approx(ref.total / mask.sum(), rel=1e-12)
    assert np.allclose(dWy[0], ref.dWy / mask.sum(), rtol=1e-12)
    assert np.allclose(dhS[0].transpose(1, 0, 2), ref.dh / mask.sum(), rtol=1e-12)
    yR = rng.standard_normal((M, S, N, V))
    out, loss, *_ = train.head("regression", hS, Wy, by, yR, mask)
    se = losses.squared_error(out[0], yR[0], mask[0].astype(float))
    assert loss[0] == pytest.approx(
        2 * se.total / mask.sum(), rel=1e-12
    )  # ours is ||.||^2, theirs 1/2 ||.||^2


def test_omega_in_value_and_grad_gradcheck():
    st, params, (x, y, lm, sm), task = _setup("rnn", "noisy_sine", T=5)
    lam = np.array([0.5, 2.0])
    loss, grads, aux = train.value_and_grad(st.spec, params, x, y, lm, sm, task.kind, None, omega=lam)
    # the gradient is d(loss)/dtheta + lam dOmega/dtheta with g = dloss/dh fixed at these weights
    _, c0 = models.forward(st.spec, params["Wx"], params["Wh"], params["b"], x, sm)
    g_fixed = aux.dh_total

    def fn(**p):
        l, _, _ = train.value_and_grad(st.spec, p, x, y, lm, sm, task.kind, None)
        _, c = models.forward(st.spec, p["Wx"], p["Wh"], p["b"], x, sm)
        return float(l.sum() + (lam * regularisers.omega(c, g_fixed).value).sum())

    errs = gradcheck.check(fn, params, grads)
    assert max(errs.values()) < 1e-6, errs
    assert np.allclose(aux.penalty, lam * aux.omega)


def test_clip_by_norm_and_value():
    rng = np.random.default_rng(4)
    grads = {"W": 10 * rng.standard_normal((3, 4, 5)), "b": rng.standard_normal((3, 5))}
    grads["W"][2] *= 1e-3
    grads["b"][2] *= 1e-3
    thr = np.array([1.0, 0.5, 100.0])
    new, before, after = train.clip(grads, "norm", thr)
    assert np.allclose(after[:2], thr[:2]) and after[2] == pytest.approx(before[2])  # small one untouched
    assert np.array_equal(new["W"][2], grads["W"][2])
    # direction kept, and the same as gradcore.clipping on each model alone
    for m in range(3):
        ref = clipping.clip_by_norm({k: v[m] for k, v in grads.items()}, thr[m])
        assert np.allclose(new["W"][m], ref.grads["W"], rtol=1e-12) and after[m] == pytest.approx(
            ref.norm_after
        )
    newv, _, _ = train.clip(grads, "value", 0.2)
    assert np.abs(newv["W"]).max() == pytest.approx(0.2) and np.abs(newv["b"]).max() <= 0.2
    ref = clipping.clip_by_value({k: v[0] for k, v in grads.items()}, 0.2)
    assert np.array_equal(newv["W"][0], ref.grads["W"])
    assert all(np.array_equal(v, grads[k]) for k, v in train.clip(grads, None, 1.0)[0].items())


def test_training_reports_clipped_norms_and_stops():
    cfg = train.TrainConfig(
        cell="rnn",
        T=20,
        H=8,
        steps=100,
        report_every=5,
        clip="norm",
        clip_threshold=0.05,
        init="gaussian_radius",
        init_scale=1.5,
        lr=0.01,
    )
    seen = []

    def cb(p):
        seen.append(p)
        return p.step < 30

    r = train.train(cfg, cb)
    assert r.stopped and r.steps == 30 and [p.step for p in seen] == [5, 10, 15, 20, 25, 30]
    assert np.all(r.history["clipped_norm"] <= 0.05 * (1 + 1e-12))
    assert np.any(r.history["grad_norm"] > 0.05)
    p = seen[-1]
    assert p.dh_norms.shape == (1, 22) and np.all(p.dh_norms > 0)
    # the loss sits at the last step: ||dL/dh_k|| is largest at the end for this exploding W
    assert p.spectral_radius.shape == (1,) and p.spectral_radius[0] > 1.0


def test_reproducible_bit_for_bit():
    cfg = train.TrainConfig(cell="gru", T=12, H=6, steps=25, seed=7, task="temporal_order")
    a, b = train.train(cfg), train.train(cfg)
    assert all(np.array_equal(a.history[k], b.history[k]) for k in a.history)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    c = train.train(replace(cfg, seed=8))
    assert not np.array_equal(a.history["loss"], c.history["loss"])


def test_no_clip_is_the_unclipped_run_bit_for_bit_and_joins_a_clipped_ensemble():
    """norm_clipped(c) of an unclipped run clips by norm at inf: scale exactly 1, so it trains the same
    numbers as clip=None, also where the gradient norm is large (lr 3 on a tanh RNN with radius 3)."""
    cfg = train.TrainConfig(
        cell="rnn", T=20, H=8, steps=15, seed=3, clip=None, lr=3.0, init_scale=3.0, stop_when_solved=False
    )
    nc = train.norm_clipped(cfg)
    assert nc.clip == "norm" and nc.clip_threshold == train.NO_CLIP
    assert train.norm_clipped(replace(cfg, clip="value")).clip == "value"
    a, b = train.train(cfg), train.train(nc)
    assert max(a.history["grad_norm"]) > 10  # far above the clipped member's threshold 1
    for k in a.history:
        assert np.array_equal(a.history[k], b.history[k], equal_nan=True), k
    ens = train.train_ensemble([nc, replace(nc, clip_threshold=1.0)])
    assert np.array_equal(ens[0].history["loss"], a.history["loss"], equal_nan=True)
    assert not np.array_equal(ens[1].history["loss"], a.history["loss"], equal_nan=True)


@pytest.mark.parametrize("cell", ["lstm", "leaky", "rnn", "gru"])
def test_ensemble_equals_separate_runs(cell):
    base = train.TrainConfig(
        cell=cell,
        T=15,
        H=8,
        steps=20,
        report_every=5,
        stop_when_solved=False,
        l2=1e-3,
        omega=0.1 if cell in ("rnn", "leaky") else 0.0,
    )
    cfgs = train.ensemble_over(base, seed=[0, 1, 2], lr=[3e-3, 1e-2, 3e-3], clip_threshold=[1.0, 0.1, 1.0])
    ens = train.train_ensemble(cfgs)
    for c, e in zip(cfgs, ens, strict=True):
        s = train.train(c)
        for k in s.params:
            assert np.allclose(e.params[k], s.params[k], rtol=0, atol=1e-10)
        for k in s.history:
            assert np.allclose(e.history[k], s.history[k], rtol=1e-10, atol=1e-12)
        assert np.allclose(e.reports["dh_norms"], s.reports["dh_norms"], rtol=1e-9, atol=1e-14)


def test_ensemble_rejects_mixed_shapes():
    with pytest.raises(ValueError):
        train.train_ensemble([train.TrainConfig(H=4), train.TrainConfig(H=5)])
    with pytest.raises(ValueError):
        train.ensemble_over(train.TrainConfig(), H=[4, 5])


def test_l2_lowers_spectral_norm_of_Wh():
    base = train.TrainConfig(
        cell="rnn",
        T=10,
        H=16,
        steps=60,
        init="gaussian_radius",
        init_scale=1.2,
        optimiser="sgd",
        lr=0.05,
        stop_when_solved=False,
    )
    runs = train.train_ensemble(train.ensemble_over(base, l2=[0.0, 1.0]))
    norms = [init.spectral_norm(r.params["Wh"]) for r in runs]
    assert norms[1] < 0.8 * norms[0]


def test_l1_drives_weights_to_small_values():
    base = train.TrainConfig(
        cell="rnn", T=10, H=16, steps=60, optimiser="sgd", lr=0.05, stop_when_solved=False
    )
    runs = train.train_ensemble(train.ensemble_over(base, l1=[0.0, 0.05]))
    assert np.abs(runs[1].params["Wh"]).sum() < 0.7 * np.abs(runs[0].params["Wh"]).sum()


def test_omega_brings_the_norm_ratio_towards_one():
    """Training with Omega lowers Omega (the mean of (||g J|| / ||g|| - 1)^2) on fresh data."""
    base = train.TrainConfig(
        cell="rnn",
        T=30,
        H=16,
        steps=80,
        init="gaussian_radius",
        init_scale=0.5,
        lr=0.01,
        stop_when_solved=False,
    )
    runs = train.train_ensemble(train.ensemble_over(base, omega=[0.0, 3.0]))
    task = make_task("adding", 30)
    b = task.sample(np.random.default_rng(11), 64)
    vals = []
    for r in runs:
        p = {k: v[None] for k, v in r.params.items()}
        _, _, aux = train.value_and_grad(
            models.Spec("rnn"),
            p,
            b.x[None],
            b.y[None],
            b.loss_mask[None],
            b.step_mask[None],
            "regression",
            omega=1.0,
        )
        vals.append(aux.omega[0])
    assert vals[1] < 0.5 * vals[0]


def test_leaky_alphas_sampled_in_range():
    st = train.Stepper([train.TrainConfig(cell="leaky", H=200)])
    assert st.alpha.shape == (1, 200) and st.alpha.min() >= 0.02 and st.alpha.max() <= 0.2
    st = train.Stepper([train.TrainConfig(cell="leaky", H=5, alpha=0.7)])
    assert np.all(st.alpha == 0.7)


def test_lstm_learns_short_adding():
    """A smoke run of the real loop: T = 10, a few hundred steps, clearly below the baseline."""
    cfg = train.TrainConfig(
        task="adding_le", T=10, cell="lstm", H=16, steps=300, lr=1e-2, dtype="float32", report_every=50
    )
    r = train.train(cfg)
    assert r.history["loss"][-50:].mean() < 0.05  # predicting the mean scores 1/6


def test_teacher_forcing_and_free_running_train():
    base = train.TrainConfig(
        task="noisy_sine", T=30, cell="rnn", H=16, steps=150, lr=1e-2, prime=5, stop_when_solved=False
    )
    tf = train.train(base)
    fr = train.train(replace(base, teacher_forcing=False))
    assert tf.history["loss"][-20:].mean() < 0.5 * tf.history["loss"][:5].mean()
    # the closed loop is much harder to train (Doya 1993): it improves, but slowly
    assert fr.history["loss"][-20:].mean() < 0.85 * fr.history["loss"][:5].mean()
    assert fr.history["loss"][-20:].mean() > tf.history["loss"][-20:].mean()
    with pytest.raises(ValueError):
        train.Stepper([replace(base, teacher_forcing=False, cell="lstm")])


def test_random_truncation_in_training_is_reproducible_and_changes_gradients():
    base = train.TrainConfig(cell="lstm", T=20, H=8, steps=15, stop_when_solved=False)
    a = train.train(replace(base, tbptt=("random", 0.5)))
    b = train.train(replace(base, tbptt=("random", 0.5)))
    full = train.train(base)
    assert np.array_equal(a.history["grad_norm"], b.history["grad_norm"])
    assert not np.array_equal(a.history["grad_norm"], full.history["grad_norm"])
    assert np.array_equal(a.history["loss"][:1], full.history["loss"][:1])  # same data and weights at step 1
    with pytest.raises(ValueError):
        train.Stepper([replace(base, tbptt=("random", 0.0))])


@pytest.mark.parametrize("optimiser", ["adam", "momentum", "sgd"])
@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_float32_training_stays_float32(optimiser, cell):
    """dtype='float32' means float32 all the way: parameters, optimiser state and the forward
    cache after several updates (Adam once promoted everything to float64 after step 1)."""
    cfg = train.TrainConfig(
        cell=cell,
        T=10,
        H=6,
        batch=4,
        dtype="float32",
        optimiser=optimiser,
        stop_when_solved=False,
        clip="norm",
    )
    st = train.Stepper(train.ensemble_over(cfg, seed=[0, 1]))
    for _ in range(3):
        out = st.step()
    assert {v.dtype for v in st.params.values()} == {np.dtype(np.float32)}
    assert out["dh_total"].dtype == np.float32 and out["grad_norm"].dtype == np.float32
    _, cache = models.forward(
        st.spec,
        st.params["Wx"],
        st.params["Wh"],
        st.params["b"],
        np.zeros((2, 4, 10, st.task.D), dtype=np.float32),
    )
    assert cache.hbuf.dtype == np.float32


@pytest.mark.parametrize("cell,task_name", [("lstm", "temporal_order"), ("rnn", "adding")])
def test_evaluate_in_chunks_equals_one_pass(monkeypatch, cell, task_name):
    """train.evaluate runs the forward pass EVAL_CHUNK sequences at a time (memory): the per-model
    error rates and the outputs they come from are those of one pass over every sequence."""
    cfgs = [train.TrainConfig(task=task_name, T=12, cell=cell, H=6, seed=s) for s in (0, 1)]
    st = train.Stepper(cfgs)
    for _ in range(30):
        st.step()
    batches = [st.task.sample(np.random.default_rng(40 + m), 37) for m in range(2)]
    monkeypatch.setattr(train, "EVAL_CHUNK", 10**6)
    whole = train.evaluate(st.spec, st.params, st.alpha, st.task, batches)
    monkeypatch.setattr(train, "EVAL_CHUNK", 5)  # 8 chunks, the last one short
    chunked = train.evaluate(st.spec, st.params, st.alpha, st.task, batches)
    np.testing.assert_array_equal(chunked, whole)
    assert whole.shape == (2,) and np.all((whole >= 0) & (whole <= 1))


def test_each_run_of_an_ensemble_gets_its_own_solved_step():
    """Issue 17 item 4: the official check runs per model, so seeds solve at their own steps (an ensemble-wide
    check gave 331/331/331), and a run's solved step is the one it gets when trained alone."""
    from dataclasses import replace

    from gradcore.train import TrainConfig, train, train_ensemble

    c = TrainConfig(task="temporal_order", T=10, H=16, steps=1500, check_every=10, dtype="float64")
    cs = [replace(c, seed=s) for s in range(3)]
    together = [r.solved_step for r in train_ensemble(cs)]
    alone = [train(x).solved_step for x in cs]
    assert all(s > 0 for s in together), together
    assert len(set(together)) == 3, together
    assert together == alone
