"""gradcore.activations: the rule table of the vanilla RNN's activations (f, f', gamma_h)."""

import numpy as np
import pytest

from gradcore import rnn


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation"):
        rnn.forward(
            np.zeros((1, 2, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1), "swish"
        )
