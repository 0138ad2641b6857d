"""Generation with and without teacher forcing: an RNN that feeds its own output back.

    y_t = h_t Wy + by                                      prediction of the next value
    u_t = x_t                  for t < prime  (and always, with teacher forcing)
    u_t = y_{t-1}              for t >= prime (free running)
    h_t = alpha h_{t-1} + (1 - alpha) f(u_t Wx + h_{t-1} Wh + b)   (alpha = 0: vanilla RNN)

Teacher forcing (Williams & Zipser 1989; seed 001 "teacher forcing") trains the model on
the observed inputs, so each step's error is local; free running trains the closed loop
the model will actually run, and its gradient also flows through the fed-back outputs:

    dL/dy_t = (direct loss gradient) + dL/du_{t+1},   dL/du_{t+1} = dL/da_{t+1} Wx^T.

Loss: the masked mean of ||y_t - target_t||^2, as gradcore.train. Arrays carry a leading
model axis M, like gradcore.models: x (M, N, T, D) with D = V.
"""

from __future__ import annotations

import numpy as np

from gradcore import models
from gradcore.models import _F, dfa

__all__ = ["forward_free", "value_and_grad_free", "free_run"]


def forward_free(spec: models.Spec, params: dict, x, prime: int, alpha=None):
    """Closed-loop run -> (y (M, T, N, V), record for the backward pass).

    The first `prime` steps read x; later steps read the model's previous output.
    """
    if spec.cell not in ("rnn", "leaky"):
        raise ValueError("free running is implemented for the rnn and leaky cells")
    if int(prime) < 1:  # u_1 = y_0 does not exist: step 1 must read the data
        raise ValueError(f"prime must be at least 1 (the first input is read from x), got {prime}")
    Wx, Wh, b, Wy, by = params["Wx"], params["Wh"], params["b"], params["Wy"], params["by"]
    M, N, T, D = x.shape
    H, V = Wh.shape[1], Wy.shape[2]
    if D != V:
        raise ValueError(f"free running feeds outputs back as inputs: needs D == V, got D={D}, V={V}")
    dtype = Wh.dtype
    f = _F[spec.activation]
    al = None if alpha is None else np.asarray(alpha, dtype=dtype).reshape(M, 1, H)
    x_tm = np.ascontiguousarray(x.transpose(0, 2, 1, 3), dtype=dtype)  # (M, T, N, D)
    u = np.empty_like(x_tm)
    a = np.empty((M, T, N, H), dtype=dtype)
    fa = np.empty_like(a)
    hbuf = np.zeros((M, T + 1, N, H), dtype=dtype)
    y = np.empty((M, T, N, V), dtype=dtype)
    h = hbuf[:, 0]
    for t in range(T):
        u[:, t] = x_tm[:, t] if t < prime else y[:, t - 1]
        a[:, t] = np.matmul(u[:, t], Wx) + np.matmul(h, Wh) + b[:, None, :]
        fa[:, t] = f(a[:, t])
        hbuf[:, t + 1] = fa[:, t] if al is None else al * h + (1.0 - al) * fa[:, t]
        h = hbuf[:, t + 1]
        y[:, t] = np.matmul(h, Wy) + by[:, None, :]
    return y, {"u": u, "a": a, "fa": fa, "hbuf": hbuf, "alpha": al, "prime": int(prime)}


def value_and_grad_free(spec: models.Spec, params: dict, x, y_target, loss_mask, prime: int, alpha=None):
    """Masked mean squared error of the closed loop (M,) and its exact gradient (dict, model axis first).

    y_target (M, N, T, V); loss_mask (M, N, T). Returns (loss, grads, y (M, T, N, V), dh_total).
    """
    Wx, Wh, Wy = params["Wx"], params["Wh"], params["Wy"]
    y, rec = forward_free(spec, params, x, prime, alpha)
    M, T, N, V = y.shape
    H = Wh.shape[1]
    w = loss_mask.transpose(0, 2, 1).astype(y.dtype)  # (M, T, N)
    w = w / np.maximum(w.sum(axis=(1, 2)), 1.0)[:, None, None]
    err = y - y_target.transpose(0, 2, 1, 3)
    loss = (w * np.sum(err * err, axis=-1)).sum(axis=(1, 2))
    dy_direct = 2.0 * err * w[..., None]
    fp = dfa(spec.activation, rec["a"], rec["fa"])
    al = rec["alpha"]
    if al is not None:
        fp = fp * (1.0 - al[:, None])
    WhT, WxT, WyT = Wh.transpose(0, 2, 1), Wx.transpose(0, 2, 1), Wy.transpose(0, 2, 1)
    da = np.empty((M, T, N, H), dtype=y.dtype)
    dy = np.empty_like(y)
    dh_total = np.empty((M, T, N, H), dtype=y.dtype)
    carry = np.zeros((M, N, H), dtype=y.dtype)
    du_next = np.zeros((M, N, V), dtype=y.dtype)
    for t in range(T - 1, -1, -1):
        dy[:, t] = dy_direct[:, t] + (du_next if t + 1 >= prime and t + 1 < T else 0.0)
        dh = carry + np.matmul(dy[:, t], WyT)
        dh_total[:, t] = dh
        da[:, t] = dh * fp[:, t]
        carry = np.matmul(da[:, t], WhT)
        if al is not None:
            carry = carry + al * dh
        du_next = np.matmul(da[:, t], WxT)  # dL/du_t, which is dL/dy_{t-1} when t >= prime
    D = Wx.shape[1]
    da2 = da.reshape(M, T * N, H)
    grads = {
        "Wx": np.matmul(rec["u"].reshape(M, T * N, D).transpose(0, 2, 1), da2),
        "Wh": np.matmul(rec["hbuf"][:, :-1].reshape(M, T * N, H).transpose(0, 2, 1), da2),
        "b": da2.sum(axis=1),
        "Wy": np.matmul(rec["hbuf"][:, 1:].reshape(M, T * N, H).transpose(0, 2, 1), dy.reshape(M, T * N, V)),
        "by": dy.reshape(M, T * N, V).sum(axis=1),
    }
    return loss, grads, y, dh_total


def free_run(spec: models.Spec, params: dict, x, prime: int, alpha=None) -> np.ndarray:
    """Outputs (M, N, T, V) of the closed loop primed with the first `prime` observed steps."""
    y, _ = forward_free(spec, params, x, prime, alpha)
    return y.transpose(0, 2, 1, 3)
