from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jinbao.kernel.money import (
    format_yuan,
    rate_fraction,
    round_to_fen,
    times_fraction,
    yuan_to_fen,
)


def test_half_a_fen_rounds_away_from_zero() -> None:
    assert round_to_fen(Decimal("0.5")) == 1
    assert round_to_fen(Decimal("1.49")) == 1
    assert round_to_fen(Decimal("-0.5")) == -1


def test_yuan_parse_to_whole_fen_and_refuse_fractions_of_a_fen() -> None:
    assert yuan_to_fen("1234.56") == 123456
    with pytest.raises(ValueError, match="two decimal"):
        yuan_to_fen("0.001")


def test_fen_render_as_yuan() -> None:
    assert format_yuan(123456) == "1,234.56"
    assert format_yuan(-5) == "-0.05"


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    rate=st.decimals(min_value=-1, max_value=2, places=6, allow_nan=False, allow_infinity=False),
)
def test_integer_rate_arithmetic_rounds_exactly_as_decimal(amount: int, rate: Decimal) -> None:
    """The bulk paths' integer multiplication is round_to_fen of the exact product, always."""
    assert times_fraction(amount, *rate_fraction(rate)) == round_to_fen(amount * rate)
