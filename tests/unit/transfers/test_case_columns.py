"""A case row's other columns are written as statement parameters, which SQLAlchemy would let
a misspelt key pass silently: cases refuses it."""

from __future__ import annotations

import pytest

from jinbao.transfers.cases import _columns


def test_a_column_the_case_table_has_passes_and_a_misspelt_one_is_refused() -> None:
    assert _columns({"transfer_key": "k", "queued": True}) == {"transfer_key": "k", "queued": True}
    with pytest.raises(TypeError, match="no column transfer_kye"):
        _columns({"transfer_kye": "k"})
