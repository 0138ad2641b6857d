"""gradcore: exact forward and backward passes for RNN, LSTM and GRU, in NumPy only.

Row-vector convention (seed 000, cs231n): a_t = x_t Wx + h_{t-1} Wh + b. Batch-first arrays
(N, T, D). Every function returns new arrays and never changes its inputs.

Cells: rnn, lstm, gru (activations). Losses: losses. Gradient flow: jacobians, spectra,
attribution. Initialisers: init. Checking: gradcheck. Exploding side: cliff, clipping.
Training (the Remedies lab): tasks, models, optim, regularisers, train, generation, esn, hf,
experiments. Importing gradcore changes nothing outside it (no environment variables, no BLAS or
SIMD settings): the entry points that need pinned kernels set them (serve/kernels.py).
"""

from gradcore import (
    activations,
    attribution,
    cliff,
    clipping,
    gradcheck,
    gru,
    init,
    jacobians,
    losses,
    lstm,
    rnn,
    spectra,
)

__all__ = [
    "activations",
    "attribution",
    "cliff",
    "clipping",
    "gradcheck",
    "gru",
    "init",
    "jacobians",
    "losses",
    "lstm",
    "rnn",
    "spectra",
]
