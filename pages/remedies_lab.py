"""Remedies lab (placeholder until the page lands)."""
import ui

ui.coming_soon('Remedies lab', "every remedy of the article trained live on long-range tasks, with a scoreboard against the papers' numbers.")
