from __future__ import annotations

import pytest

from jinbao.policy.parameters import Parameters, load_parameters


@pytest.fixture(scope="session")
def params() -> Parameters:
    return load_parameters()
