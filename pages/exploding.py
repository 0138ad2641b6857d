"""Exploding gradients (placeholder until the page lands)."""
import ui

ui.coming_soon('Exploding gradients', "growth above spectral radius 1, Pascanu's single-unit cliff, descent with clipping by norm and by value.")
