"""RNN: vanishing gradients (placeholder until the page lands)."""
import ui

ui.coming_soon('RNN: vanishing gradients', "dh_t/dh_k norms against t - k with the bound, eigenvalues and the unit circle, tanh' and sigmoid' at the actual pre-activations, the T x T attribution table.")
