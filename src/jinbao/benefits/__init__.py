"""Retirement and benefits (退休、待遇核定): issue 6."""
