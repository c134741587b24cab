"""Everything that predicts: baselines, the found simple rule, the existing system, models."""
