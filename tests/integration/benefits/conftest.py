"""The transfer tests' clock, parameters and units of work serve here too, and the OCR."""

from tests.integration.transfers.conftest import moving_clock, params, uow_at
from tests.rendering import tesseract

__all__ = ["moving_clock", "params", "tesseract", "uow_at"]
