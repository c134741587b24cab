"""Bootstrap intervals, paired comparisons, model selection, slices and the learning curve."""
