"""gradcore: exact forward and backward passes for RNN, LSTM and GRU, in NumPy only.

Row-vector convention (seed 000, cs231n): a_t = x_t Wx + h_{t-1} Wh + b. Batch-first arrays
(N, T, D). Every function returns new arrays and never changes its inputs.
"""
from gradcore import activations, gradcheck, gru, lstm, rnn

__all__ = ["activations", "gradcheck", "gru", "lstm", "rnn"]
