"""Every row of POLICY.md's parameter tables is loaded as written (§5.2, §6.2, §7.6, Part II §3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from jinbao.kernel.errors import InvalidInput
from jinbao.policy.parameters import Parameters, load_parameters

ANNUITY = {
    40: 233,
    41: 230,
    42: 226,
    43: 223,
    44: 220,
    45: 216,
    46: 212,
    47: 208,
    48: 204,
    49: 199,
    50: 195,
    51: 190,
    52: 185,
    53: 180,
    54: 175,
    55: 170,
    56: 164,
    57: 158,
    58: 152,
    59: 145,
    60: 139,
    61: 132,
    62: 125,
    63: 117,
    64: 109,
    65: 101,
    66: 93,
    67: 84,
    68: 75,
    69: 65,
    70: 56,
}
RATES = {
    2016: "0.0831",
    2017: "0.0712",
    2018: "0.0829",
    2019: "0.0761",
    2020: "0.0604",
    2021: "0.0669",
    2022: "0.0612",
    2023: "0.0397",
    2024: "0.0262",
}
MINIMUM_YEARS = {
    2025: 180,
    2029: 180,
    2030: 186,
    2031: 192,
    2032: 198,
    2033: 204,
    2034: 210,
    2035: 216,
    2036: 222,
    2037: 228,
    2038: 234,
    2039: 240,
    2050: 240,
}
RESIDENT_MINIMUM = [
    ("2014-06-30", 5_500),
    ("2014-07-01", 7_000),
    ("2018-01-01", 8_800),
    ("2020-06-30", 8_800),
    ("2020-07-01", 9_300),
    ("2022-07-01", 9_800),
    ("2023-07-01", 10_300),
    ("2024-01-01", 12_300),
    ("2025-01-01", 14_300),
]


def test_the_whole_annuity_table(params: Parameters) -> None:
    assert {age: params.annuity_months(age).value for age in range(40, 71)} == ANNUITY


def test_every_published_interest_rate_with_its_status(params: Parameters) -> None:
    assert {y: str(params.interest_rate(y).value) for y in RATES} == RATES
    assert params.interest_rate(2016).status == "official"
    assert params.interest_rate(2024).status == "unverified"


def test_the_residents_rates_found_by_province_and_year_with_their_status(
    params: Parameters,
) -> None:
    """POLICY Part II §2.3: each province sets its residents' rate; those found ship."""
    found = {
        y: {p: (str(r.value), r.status) for p, r in params.resident_interest_rates(y).items()}
        for y in range(2015, 2026)
    }
    assert {y: rates for y, rates in found.items() if rates} == {
        2016: {"46": ("0.0150", "unverified")},
        2017: {"23": ("0.0175", "secondary")},
        2018: {"23": ("0.0150", "secondary")},
        2021: {"63": ("0.0535", "unverified")},
    }
    assert any(
        line.startswith("interest_rates: resident_rate.63.2021 is UNVERIFIED")
        for line in params.report()
    )


def test_a_province_loads_its_residents_rate_and_a_mistyped_one_stops_the_loading(
    tmp_path: Path,
) -> None:
    (tmp_path / "interest_rates.toml").write_text(
        '[resident_rate.41.2024]\nrate = "0.0150"\nstatus = "official"\nsource = "豫人社"\n'
    )
    loaded = load_parameters(tmp_path)
    assert {p: str(r.value) for p, r in loaded.resident_interest_rates(2024).items()} == {
        "41": "0.0150"
    }
    assert "23" in loaded.resident_interest_rates(2017)  # merged over the shipped ones
    for wrong in (
        '[resident_rate.41.2024]\nrate = "1.75"\nstatus = "official"\nsource = "x"\n',  # a percent
        '[resident_rate.41.2024]\nrate = "1,5%"\nstatus = "official"\nsource = "x"\n',
        '[resident_rate.41.2024]\nrate = nan\nstatus = "official"\nsource = "x"\n',
        '[resident_rate.410000.2024]\nrate = "0.015"\nstatus = "official"\nsource = "x"\n',
        '[resident_rate.41.24]\nrate = "0.015"\nstatus = "official"\nsource = "x"\n',
        '[resident_rate.41.2024]\nrate = "0.015"\n',  # no status, no source
        '[resident_rate]\n41 = "0.015"\n',
    ):
        (tmp_path / "interest_rates.toml").write_text(wrong)
        with pytest.raises(InvalidInput) as caught:
            load_parameters(tmp_path)
        assert caught.value.code == "parameter.invalid"
        assert "0.0175" in caught.value.zh
        assert "0.0175" in caught.value.en


def test_a_province_loads_its_local_top_up_and_a_mistyped_one_stops_the_loading(
    tmp_path: Path, params: Parameters
) -> None:
    """地方加发 (国发〔2014〕8号): none ships; a province's own file adds its steps by day."""
    assert params.resident_local_top_up_steps("41") == []
    (tmp_path / "resident.toml").write_text(
        "[local_top_up.41]\n"
        '"2024-01-01" = { yuan = 15, status = "official", source = "豫人社甲" }\n'
        '"2025-07-01" = { yuan = "40.50", status = "sample", source = "豫人社乙" }\n'
    )
    loaded = load_parameters(tmp_path)
    assert [(str(on), p.value) for on, p in loaded.resident_local_top_up_steps("410105")] == [
        ("2024-01-01", 1_500), ("2025-07-01", 4_050),
    ]  # fmt: skip
    assert loaded.resident_local_top_up("41", dt.date(2023, 12, 31)) is None
    assert loaded.resident_local_top_up("41", dt.date(2025, 6, 30)).value == 1_500  # type: ignore[union-attr]
    assert loaded.resident_local_top_up("44", dt.date(2025, 6, 30)) is None
    assert loaded.resident("tiers").value["yuan"][0] == 100  # merged over the shipped table
    for wrong in (
        '[local_top_up.410000]\n"2024-01-01" = { yuan = 15, status = "o", source = "x" }\n',
        '[local_top_up.41]\n"2024-13-01" = { yuan = 15, status = "o", source = "x" }\n',
        '[local_top_up.41]\n"2024-01-01" = { yuan = "十五", status = "o", source = "x" }\n',
        '[local_top_up.41]\n"2024-01-01" = { yuan = -5, status = "o", source = "x" }\n',
        '[local_top_up.41]\n"2024-01-01" = { yuan = 15.555, status = "o", source = "x" }\n',
        '[local_top_up.41]\n"2024-01-01" = { yuan = nan, status = "o", source = "x" }\n',
        '[local_top_up.41]\n"2024-01-01" = { yuan = 15 }\n',  # no status, no source
        "[local_top_up]\n41 = 15\n",
    ):
        (tmp_path / "resident.toml").write_text(wrong)
        with pytest.raises(InvalidInput) as caught:
            load_parameters(tmp_path)
        assert caught.value.code == "parameter.invalid"
        assert "local_top_up" in caught.value.zh
        assert "local_top_up" in caught.value.en


@pytest.mark.parametrize(("year", "months"), MINIMUM_YEARS.items())
def test_the_minimum_contribution_table(params: Parameters, year: int, months: int) -> None:
    assert params.minimum_contribution_months(year).value == months


@pytest.mark.parametrize(("day", "fen"), RESIDENT_MINIMUM)
def test_the_resident_minimum_basic_pension_series(params: Parameters, day: str, fen: int) -> None:
    assert params.resident_minimum_basic_pension(dt.date.fromisoformat(day)).value == fen


def test_rates_and_limits(params: Parameters) -> None:
    from jinbao.kernel.periods import YearMonth

    assert params.base_limits(YearMonth(2024, 1)).value == (Decimal("0.60"), Decimal("3.00"))
    assert params.flexible_rates(YearMonth(2024, 1)).value == (Decimal("0.20"), Decimal("0.08"))
    assert params.transfer("pooled_rate").value == "0.12"
    assert params.transfer("temporary_account_age").value == {"male": 50, "female": 40}
    assert params.resident("account_divisor").value == 139
