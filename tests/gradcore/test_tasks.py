"""Task generators against their papers' specs, over many samples."""

import numpy as np
import pytest

from gradcore import tasks


def test_adding_hochreiter_spec():
    T, N = 50, 20000
    b = tasks.adding(np.random.default_rng(0), N, T)
    T_max = T + T // 10
    assert b.x.shape == (N, T_max, 2) and b.y.shape == (N, T_max, 1)
    L, pad, p1, p2 = b.info["length"], b.info["pad"], b.info["p1"], b.info["p2"]
    # lengths uniform over [T, T + T/10], every length seen
    assert L.min() == T and L.max() == T_max and len(np.unique(L)) == T // 10 + 1
    assert np.array_equal(b.step_mask.sum(1), L)
    # first mark among the first 10 pairs, second among the first T/2 - 1 unmarked ones
    assert p1.min() == 0 and p1.max() == 9
    assert p2.min() == 0 and p2.max() == T // 2 - 1 and np.all(p1 != p2)
    marker, value = b.x[..., 1], b.x[..., 0]
    rows = np.arange(N)
    assert np.all((marker == 1).sum(1) == 2)
    assert np.all(marker[rows, pad + p1] == 1) and np.all(marker[rows, pad + p2] == 1)
    # first and last pairs carry -1 unless marked; nothing else is nonzero
    first_marked = (p1 == 0) | (p2 == 0)
    assert np.all(marker[rows, pad][~first_marked] == -1) and np.all(marker[:, -1] == -1)
    assert np.all((marker == -1).sum(1) == 2 - first_marked)
    # padding is all zero; values in [-1, 1]; a marked first pair has value 0
    assert np.all(b.x[~b.step_mask] == 0)
    assert np.abs(value).max() <= 1 and np.all(value[rows, pad][first_marked] == 0)
    assert first_marked.any()
    # the target is 0.5 + (X1 + X2) / 4 of the marked values
    X = (value * (marker == 1)).sum(1)
    assert np.allclose(b.y[:, -1, 0], 0.5 + X / 4)
    assert np.all((b.y[:, -1, 0] >= 0) & (b.y[:, -1, 0] <= 1))
    assert np.array_equal(b.loss_mask, np.eye(T_max, dtype=bool)[[-1] * N])


def test_adding_criterion_and_mean_predictor():
    task = tasks.make_task("adding", 50)
    b = task.sample(np.random.default_rng(1), 4000)
    out = b.y.copy()
    out[:, -1, 0] += 0.039
    assert task.error_rate(out, b) == 0.0
    out[:, -1, 0] += 0.002
    assert task.error_rate(out, b) == 1.0
    # predicting the constant 0.5 gets most sequences wrong: the task is not trivial
    assert task.error_rate(np.full_like(b.y, 0.5), b) > 0.8


def test_adding_le_variant():
    T, N = 100, 100000
    b = tasks.adding(np.random.default_rng(2), N, T, variant="le")
    marker, value = b.x[..., 1], b.x[..., 0]
    assert b.x.shape == (N, T, 2) and b.step_mask.all()
    assert np.all(marker.sum(1) == 2) and value.min() >= 0 and value.max() <= 1
    p1, p2 = b.info["p1"], b.info["p2"]
    assert p1.min() == 0 and p1.max() == T // 2 - 1 and p2.min() == T // 2 and p2.max() == T - 1
    assert np.allclose(b.y[:, -1, 0], (value * marker).sum(1))
    mse = np.mean((b.y[:, -1, 0] - 1.0) ** 2)  # predict the mean, 1
    assert mse == pytest.approx(1 / 6, abs=0.003)


def test_temporal_order_spec():
    T, N = 100, 20000
    b = tasks.temporal_order(np.random.default_rng(3), N, T)
    assert b.x.shape == (N, T, 6) and np.all(b.x.sum(-1) == 1)
    sym = b.x.argmax(-1)
    rows = np.arange(N)
    t1, t2 = b.info["t1"], b.info["t2"]
    assert t1.min() == 10 and t1.max() == 19 and t2.min() == 50 and t2.max() == 59
    # exactly two relevant symbols (A or B), at t1 and t2; distractors elsewhere
    assert np.all((sym < 2).sum(1) == 2)
    assert np.all(sym[rows, t1] < 2) and np.all(sym[rows, t2] < 2)
    cls = 2 * sym[rows, t1] + sym[rows, t2]
    assert np.array_equal(b.y[:, -1], cls) and set(np.unique(cls)) == {0, 1, 2, 3}
    assert np.all(np.bincount(cls) > N / 4 * 0.9)
    # criterion: the right class scores 0 wrong, a shifted one all wrong
    task = tasks.make_task("temporal_order", T)
    logits = np.zeros((N, T, 4))
    logits[rows, -1, cls] = 1.0
    assert task.error_rate(logits, b) == 0.0
    assert task.error_rate(np.roll(logits, 1, axis=-1), b) == 1.0
    assert task.eval_size == 10000 and task.max_wrong == 0.01


def test_copy_spec_and_baseline():
    T, N = 100, 5000
    b = tasks.copy(np.random.default_rng(4), N, T)
    S = T + 20
    assert b.x.shape == (N, S, 10) and b.y.shape == (N, S) and b.loss_mask.all()
    sym = b.x.argmax(-1)
    assert np.all((sym[:, :10] >= 1) & (sym[:, :10] <= 8))
    assert np.all(sym[:, 10 : T + 9] == 0) and np.all(sym[:, T + 9] == 9) and np.all(sym[:, T + 10 :] == 0)
    assert np.all(b.y[:, : T + 10] == 0) and np.array_equal(b.y[:, T + 10 :], sym[:, :10])
    assert set(np.unique(sym[:, :10])) == set(range(1, 9))
    # the memoryless strategy: blank for sure, then uniform over the 8 symbols
    p = np.zeros((N, S, 9))
    p[:, : T + 10, 0] = 1.0
    p[:, T + 10 :, 1:] = 1 / 8
    ce = -np.mean(np.log(np.take_along_axis(p, b.y[..., None], -1)))
    assert ce == pytest.approx(tasks.copy_baseline_ce(T), rel=1e-12)
    assert tasks.copy_baseline_ce(T) == pytest.approx(10 * np.log(8) / 120)
    task = tasks.make_task("copy", T)
    assert task.error_rate(np.log(p + 1e-12), b) > 0.99  # the baseline recalls nothing
    assert task.error_rate(np.eye(9)[b.y], b) == 0.0


def test_noisy_sine():
    b = tasks.noisy_sine(np.random.default_rng(5), 200, 60, noise=0.1)
    assert b.x.shape == (200, 60, 1) and np.array_equal(b.x[:, 1:], b.y[:, :-1])
    resid = b.y[..., 0] - b.info["clean_next"]
    assert np.std(resid) == pytest.approx(0.1, rel=0.05)
    task = tasks.make_task("noisy_sine", 60, noise=0.1)
    clean = b.info["clean_next"][..., None]
    assert task.error_rate(clean, b) == 0.0 and task.error_rate(np.zeros_like(clean), b) == 1.0


def test_generators_are_reproducible_and_validate():
    for name in tasks.TASK_NAMES:
        t = tasks.make_task(name, 40)
        a, b = t.sample(np.random.default_rng(9), 8), t.sample(np.random.default_rng(9), 8)
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
        assert a.x.shape[2] == t.D
    with pytest.raises(ValueError):
        tasks.make_task("nope", 10)
    with pytest.raises(ValueError):
        tasks.adding(np.random.default_rng(0), 4, 5)
