"""Frozen engine output for regression tests."""
