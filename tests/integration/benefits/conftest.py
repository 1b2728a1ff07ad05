"""The transfer tests' clock, parameters and units of work serve here too."""

from tests.integration.transfers.conftest import moving_clock, params, uow_at

__all__ = ["moving_clock", "params", "uow_at"]
