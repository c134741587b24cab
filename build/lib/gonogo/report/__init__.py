"""Renderings of a result: the HTML report, its plots, and the terminal summary."""
