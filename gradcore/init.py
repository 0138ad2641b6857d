"""Initialisers for the recurrent matrix Wh (H, H), each hitting a stated target.

Row-vector convention (a_t = x_t Wx + h_{t-1} Wh + b): column j of Wh holds the incoming
weights of unit j. Every function takes an explicit ``np.random.Generator`` (except the
deterministic ``identity``), returns a new float64 array, and hits its target exactly up to
rounding: the spectral radius max|eig(Wh)|, or the spectral norm (largest singular value).

``make_Wh(kind, H, scale, rng)`` is the one entry point the pages use; for every kind
``scale`` is the target spectral radius, except "gaussian_norm" where it is the target
spectral norm (for "orthogonal" and "identity" the two coincide).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "KINDS",
    "spectral_radius",
    "spectral_norm",
    "gaussian_spectral_radius",
    "gaussian_spectral_norm",
    "orthogonal",
    "identity",
    "smart_tanh",
    "esn_reservoir",
    "nonnormal",
    "nonnormal_norm",
    "make_Wh",
]


def spectral_radius(W: np.ndarray) -> float:
    """rho(W) = max_i |lambda_i(W)|."""
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def spectral_norm(W: np.ndarray) -> float:
    """||W||_2 = sigma_max(W), the largest singular value."""
    return float(np.linalg.norm(W, 2))


def _check_H(H: int) -> int:
    H = int(H)
    if H < 1:
        raise ValueError(f"H must be >= 1, got {H}")
    return H


def _rescale_radius(W: np.ndarray, rho: float) -> np.ndarray:
    # Eigenvalues scale linearly with W, so one rescale hits the radius exactly.
    r = spectral_radius(W)
    if r == 0.0:
        raise ValueError("matrix has spectral radius 0; cannot rescale to a radius")
    return W * (float(rho) / r)


def gaussian_spectral_radius(H: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """W = rho * G / rho(G), G_ij ~ N(0, 1): a Gaussian matrix with spectral radius rho."""
    H = _check_H(H)
    return _rescale_radius(rng.standard_normal((H, H)), rho)


def gaussian_spectral_norm(H: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """W = sigma * G / ||G||_2, G_ij ~ N(0, 1): a Gaussian matrix with spectral norm sigma.

    This is the gamma_W of seed 001 eq. 10-12 (the bound is about the largest singular
    value, not the largest eigenvalue).
    """
    H = _check_H(H)
    G = rng.standard_normal((H, H))
    return G * (float(sigma) / spectral_norm(G))


def orthogonal(H: int, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """W = scale * Q, Q Haar-distributed orthogonal (QR of a Gaussian, signs fixed by diag R).

    Every eigenvalue and every singular value has modulus |scale|.
    """
    H = _check_H(H)
    Q, R = np.linalg.qr(rng.standard_normal((H, H)))
    # NB: without the sign fix QR's Q is not uniformly (Haar) distributed (Mezzadri 2007).
    d = np.sign(np.diag(R))
    d[d == 0] = 1.0
    return float(scale) * (Q * d[None, :])


def identity(H: int, scale: float = 1.0) -> np.ndarray:
    """W = scale * I (the IRNN initialisation of Le, Jaitly and Hinton 2015)."""
    H = _check_H(H)
    return float(scale) * np.eye(H)


def smart_tanh(H: int, rng: np.random.Generator, rho: float = 0.95, fan_in: int = 15) -> np.ndarray:
    """Sparse W: each unit gets ``fan_in`` nonzero N(0,1) incoming weights, then rho(W) = rho.

    Pascanu, Mikolov and Bengio (2013), "smart tanh" initialisation: 15 incoming
    connections per unit and spectral radius 0.95. Incoming weights of unit j are column j
    (row-vector convention). When H <= fan_in every unit is fully connected.
    """
    H = _check_H(H)
    k = min(int(fan_in), H)
    if k < 1:
        raise ValueError(f"fan_in must be >= 1, got {fan_in}")
    for _ in range(100):
        W = np.zeros((H, H))
        for j in range(H):
            rows = rng.choice(H, size=k, replace=False)
            W[rows, j] = rng.standard_normal(k)
        # A sparse draw can be nilpotent (radius 0) for tiny H; draw again.
        if spectral_radius(W) > 1e-8:
            return _rescale_radius(W, rho)
    raise RuntimeError("could not draw a sparse matrix with nonzero spectral radius")


def esn_reservoir(H: int, rho: float, rng: np.random.Generator, density: float = 0.1) -> np.ndarray:
    """Echo-state reservoir: sparse W, W_ij ~ U(-1, 1) with probability ``density``, rho(W) = rho.

    Jaeger (2001). Every unit gets at least one incoming weight, so no unit is cut off
    from the recurrence; rho < 1 is the usual echo-state choice.
    """
    H = _check_H(H)
    if not 0.0 < density <= 1.0:
        raise ValueError(f"density must be in (0, 1], got {density}")
    for _ in range(100):
        mask = rng.random((H, H)) < density
        mask[rng.integers(0, H, size=H), np.arange(H)] = True
        W = np.where(mask, rng.uniform(-1.0, 1.0, size=(H, H)), 0.0)
        if spectral_radius(W) > 1e-8:
            return _rescale_radius(W, rho)
    raise RuntimeError("could not draw a reservoir with nonzero spectral radius")


def nonnormal_norm(rho: float, coupling: float) -> float:
    """||B||_2 for B = [[rho, c], [0, rho]]: (|c| + sqrt(c^2 + 4 rho^2)) / 2."""
    return 0.5 * (abs(coupling) + np.sqrt(coupling**2 + 4.0 * rho**2))


def nonnormal(H: int, rng: np.random.Generator, rho: float = 0.9, coupling: float = 1.0) -> np.ndarray:
    """W = Q B Q^T, B = blockdiag([[rho, c], [0, rho]], ...), Q random orthogonal.

    A non-normal matrix: every eigenvalue equals rho (so the spectral radius is rho < 1),
    yet its spectral norm is (c + sqrt(c^2 + 4 rho^2)) / 2 > 1, and
    ||W^k||_2 = ||B_2^k||_2 with B_2^k = [[rho^k, k c rho^(k-1)], [0, rho^k]]: it first grows
    (about like k c rho^(k-1)) and only then decays like rho^k. Examples:
    rho = 0.9, c = 1: ||W|| = 1.53, max_k ||W^k|| = 3.91 at k = 9, ||W^60|| = 0.12;
    rho = 0.95, c = 1: ||W|| = 1.57, max ||W^k|| = 7.57 at k = 19.
    For odd H the last block is the 1 x 1 block [rho]. The orthogonal similarity keeps
    eigenvalues, singular values and every ||W^k||, and hides the block structure.
    NB: the 2 x 2 blocks are defective, so numerically computed eigenvalues carry an error
    of order sqrt(machine eps) ~ 1e-8.
    """
    H = _check_H(H)
    B = float(rho) * np.eye(H)
    idx = np.arange(0, H - 1, 2)
    B[idx, idx + 1] = float(coupling)
    Q = orthogonal(H, rng)
    return Q @ B @ Q.T


KINDS = ("gaussian_radius", "gaussian_norm", "orthogonal", "identity", "nonnormal", "smart_tanh", "esn")


def make_Wh(kind: str, H: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Wh (H, H) of the given kind; ``scale`` is the spectral radius (norm for "gaussian_norm").

    kind: "gaussian_radius" (radius = scale), "gaussian_norm" (norm = scale),
    "orthogonal" (scale * Q), "identity" (scale * I), "nonnormal" (radius = scale,
    coupling 1, see ``nonnormal``), "smart_tanh" (15 incoming, radius = scale; Pascanu
    et al. use 0.95), "esn" (density 0.1, radius = scale).
    """
    if kind == "gaussian_radius":
        return gaussian_spectral_radius(H, scale, rng)
    if kind == "gaussian_norm":
        return gaussian_spectral_norm(H, scale, rng)
    if kind == "orthogonal":
        return orthogonal(H, rng, scale=scale)
    if kind == "identity":
        return identity(H, scale=scale)
    if kind == "nonnormal":
        return nonnormal(H, rng, rho=scale)
    if kind == "smart_tanh":
        return smart_tanh(H, rng, rho=scale)
    if kind == "esn":
        return esn_reservoir(H, scale, rng)
    raise ValueError(f"unknown initialiser kind {kind!r}; expected one of {KINDS}")
