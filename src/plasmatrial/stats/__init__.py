"""Survival and inference statistics: numpy arrays in, frozen typed results out, no I/O."""
