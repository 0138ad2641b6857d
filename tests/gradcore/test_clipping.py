"""Clipping by norm (eq. 13) and by value over lists / dicts of arrays."""

import numpy as np
import pytest

from gradcore import clipping


def _grads(rng, scale=10.0):
    return {
        "Wx": rng.normal(size=(3, 4)) * scale,
        "Wh": rng.normal(size=(4, 4)) * scale,
        "b": rng.normal(size=(4,)) * scale,
    }


def _flat(g):
    vals = g.values() if isinstance(g, dict) else g
    return np.concatenate([np.asarray(v).ravel() for v in vals])


def test_global_norm_is_over_all_arrays():
    g = [np.array([3.0]), np.array([[4.0]])]
    assert clipping.global_norm(g) == 5.0
    assert clipping.global_norm({"a": np.zeros(3)}) == 0.0
    # no overflow of the sum of squares for huge but finite entries
    assert clipping.global_norm([np.array([3e200, 4e200])]) == pytest.approx(5e200, rel=1e-14)
    assert clipping.global_norm([np.array([np.inf, 1.0])]) == np.inf
    assert np.isnan(clipping.global_norm([np.array([np.nan, 1.0])]))


@pytest.mark.parametrize("threshold", [0.1, 1.0, 5.0])
def test_clip_by_norm_bounds_norm_keeps_direction(threshold):
    rng = np.random.default_rng(0)
    g = _grads(rng)
    before = {k: v.copy() for k, v in g.items()}
    out, n_before, n_after = clipping.clip_by_norm(g, threshold)
    assert set(out) == set(g)
    assert all(out[k].shape == g[k].shape for k in g)
    assert n_before == pytest.approx(np.linalg.norm(_flat(g)), rel=1e-12)
    assert n_after <= threshold * (1 + 1e-12)
    assert n_after == pytest.approx(threshold, rel=1e-12)  # it was above: scaled to exactly threshold
    assert clipping.angle_degrees(g, out) < 1e-6  # direction unchanged
    # the clipped gradient is a positive multiple of the original
    ratio = _flat(out) / _flat(g)
    assert np.allclose(ratio, threshold / n_before, rtol=1e-12)
    # inputs untouched, outputs are new arrays
    assert all(np.array_equal(g[k], before[k]) for k in g)
    assert all(out[k] is not g[k] for k in g)


def test_clip_by_norm_leaves_small_gradients_alone():
    g = [np.array([0.3, -0.4]), np.array([0.0])]
    out, n_before, n_after = clipping.clip_by_norm(g, 1.0)
    assert isinstance(out, list)
    assert n_before == pytest.approx(0.5) and n_after == n_before
    assert all(np.array_equal(a, b) and a is not b for a, b in zip(out, g, strict=True))


def test_clip_by_value_changes_direction_when_it_must():
    # one large and one small entry: clamping only the large one turns the vector
    g = (np.array([10.0, 0.5]),)
    out, n_before, n_after = clipping.clip_by_value(g, 1.0)
    assert isinstance(out, tuple)
    assert np.array_equal(out[0], [1.0, 0.5])
    assert np.max(np.abs(out[0])) <= 1.0
    assert n_after < n_before
    expected = np.degrees(np.arccos((10 * 1 + 0.5 * 0.5) / (np.hypot(10, 0.5) * np.hypot(1, 0.5))))
    assert clipping.angle_degrees(g, out) == pytest.approx(expected, rel=1e-9)
    assert clipping.angle_degrees(g, out) > 20.0
    assert np.array_equal(g[0], [10.0, 0.5])  # not mutated


def test_clip_by_value_with_equal_magnitudes_keeps_direction():
    g = [np.array([5.0, -5.0, 5.0])]
    out, _, _ = clipping.clip_by_value(g, 1.0)
    assert clipping.angle_degrees(g, out) < 1e-6


def test_nonfinite_gradient_is_returned_unchanged_and_flagged():
    g = [np.array([np.inf, 1.0])]
    out, n_before, n_after = clipping.clip_by_norm(g, 1.0)
    assert n_before == np.inf and n_after == np.inf
    assert np.array_equal(out[0], g[0])
    assert np.isnan(clipping.angle_degrees(g, out))


def test_bad_threshold_raises():
    with pytest.raises(ValueError):
        clipping.clip_by_norm([np.ones(2)], 0.0)
    with pytest.raises(ValueError):
        clipping.clip_by_value([np.ones(2)], -1.0)
