"""Metrics, bootstrap intervals, model selection, slices and the learning curve."""
