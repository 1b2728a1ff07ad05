"""The transfer tests' clock, parameters, units of work and mover serve here too."""

from tests.integration.transfers.conftest import mover, moving_clock, params, uow_at

__all__ = ["mover", "moving_clock", "params", "uow_at"]
