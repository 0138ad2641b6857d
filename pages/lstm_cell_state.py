"""LSTM: cell-state flow (placeholder until the page lands)."""
import ui

ui.coming_soon('LSTM: cell-state flow', 'gates and cell state over time, the forget-gate path against the full Jacobian and a vanilla RNN, the per-step components of dL_T/dWx, GRU beside them.')
