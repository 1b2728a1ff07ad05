"""Synthetic data: the demo country loaded by ``make run`` (a synthetic nation comes later)."""
