"""Which documents go over the network and which as paper (POLICY Part II §8)."""

from __future__ import annotations

import datetime as dt

import pytest

from jinbao.exchange.model import over_the_network

DAY = dt.date(2024, 5, 6)


@pytest.mark.parametrize(
    ("parties", "expected"),
    [
        ({"A": dt.date(2011, 3, 1), "B": dt.date(2024, 5, 6)}, True),  # both on it that day
        ({"A": dt.date(2011, 3, 1), "B": dt.date(2024, 5, 7)}, False),  # B joins the next day
        ({"A": dt.date(2011, 3, 1), "B": None}, False),  # B never joined: paper forms
        ({"A": None}, True),  # an agency and itself: the document travels nowhere
        ({"A": dt.date(2030, 1, 1)}, True),
    ],
)
def test_every_party_on_the_network_that_day_or_one_agency_alone(
    parties: dict[str, dt.date | None], expected: bool
) -> None:
    assert over_the_network(DAY, parties) is expected
