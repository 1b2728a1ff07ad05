"""Contributions, interest and the pension formula: POLICY §5, §6 and §11 examples."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.contributions import (
    clamp_base,
    employee_contribution,
    employee_rates,
    flexible_contribution,
    split,
    splitter,
)
from jinbao.policy.interest import Credit, Method, Portion, credit_interest
from jinbao.policy.parameters import Parameters, read_tables
from jinbao.policy.pension import monthly_pension

# ---------------------------------------------------------------- contributions


def test_the_base_is_clamped_to_sixty_and_three_hundred_percent(params: Parameters) -> None:
    wage_2019 = params.average_wage("base_wage", "44", 2019).value
    low = clamp_base(Fen(100_00), "440000", YearMonth(2020, 3), params)
    high = clamp_base(Fen(10**8), "440000", YearMonth(2020, 3), params)
    assert low.value == wage_2019 * 60 // 100
    assert high.value == wage_2019 * 3
    assert "sample" in {p.status for p in low.explanation.parameters}


def test_an_employee_pays_sixteen_and_eight_percent_from_may_2019(params: Parameters) -> None:
    c = employee_contribution(Fen(500_000), YearMonth(2020, 1), params).value
    assert (c.employer, c.individual, c.to_account, c.to_pool) == (80_000, 40_000, 40_000, 80_000)
    before = employee_contribution(Fen(500_000), YearMonth(2019, 4), params).value
    assert before.employer == 100_000


def test_the_account_share_was_eleven_percent_from_1998_to_2005(params: Parameters) -> None:
    assert (
        employee_contribution(Fen(100_000), YearMonth(2003, 6), params).value.to_account == 11_000
    )
    assert employee_contribution(Fen(100_000), YearMonth(2006, 1), params).value.to_account == 8_000


def test_a_flexible_worker_pays_twenty_percent_with_eight_to_the_account(
    params: Parameters,
) -> None:
    wage = params.average_wage("base_wage", "44", 2023).value
    c = flexible_contribution(Fen(wage), "44", YearMonth(2024, 1), params).value
    assert c.individual == wage * 20 // 100
    assert c.to_account == wage * 8 // 100
    with pytest.raises(InvalidInput) as caught:
        flexible_contribution(Fen(wage * 4), "44", YearMonth(2024, 1), params)
    assert caught.value.code == "contribution.flexible_base"


# ---------------------------------------------------------------- interest


def test_the_annual_method_worked_example(params: Parameters) -> None:
    """POLICY §11: rate 2.62%, prior balance 10000, this year's credits 4800 → 15130.10."""
    credits = [Credit(YearMonth(2024, m), Fen(40_000)) for m in range(1, 13)]
    r = credit_interest(
        2024, Decimal("0.0262"), {Portion.FROM_2006: Fen(1_000_000)}, credits, Method.ANNUAL
    )
    assert r.value.total == 1_513_010


def test_the_monthly_method_counts_the_months_each_credit_earned(params: Parameters) -> None:
    r = credit_interest(
        2020, Decimal("0.06"), {}, [Credit(YearMonth(2020, 10), Fen(120_000))], Method.MONTHLY
    )
    # 1200 credited in October earns 3 months: 1200 × 3 × 6% / 12 = 18.00
    assert r.value.interest[Portion.FROM_2006] == 1_800


def test_portions_earn_interest_separately(params: Parameters) -> None:
    opening = {
        Portion.PRE_1998: Fen(100_000),
        Portion.Y1998_2005: Fen(200_000),
        Portion.FROM_2006: Fen(300_000),
    }
    r = credit_interest(2016, Decimal("0.0831"), opening, [], Method.ANNUAL).value
    assert r.interest == {
        Portion.PRE_1998: 8_310,
        Portion.Y1998_2005: 16_620,
        Portion.FROM_2006: 24_930,
    }


def test_a_credit_outside_the_year_is_refused() -> None:
    with pytest.raises(InvalidInput):
        credit_interest(
            2020, Decimal("0.06"), {}, [Credit(YearMonth(2019, 12), Fen(1))], Method.ANNUAL
        )


@given(
    opening=st.integers(0, 10**9), amounts=st.lists(st.integers(0, 10**7), max_size=12),
    rate=st.decimals(min_value=0, max_value=Decimal("0.1"), places=4), method=st.sampled_from(list(Method)),
)  # fmt: skip
def test_interest_is_never_negative_and_the_balance_is_conserved(
    opening: int, amounts: list[int], rate: Decimal, method: Method
) -> None:
    credits = [Credit(YearMonth(2024, i + 1), Fen(a)) for i, a in enumerate(amounts)]
    r = credit_interest(2024, rate, {Portion.FROM_2006: Fen(opening)}, credits, method).value
    assert r.total_interest >= 0
    assert r.total == opening + sum(amounts) + r.total_interest


# ---------------------------------------------------------------- pension


@pytest.mark.parametrize(
    ("age", "months"),
    [(50, 195), (55, 170), (60, 139), (63, 117), (58, 152), (70, 56), (40, 233), (65, 101)],
)
def test_annuity_divisors_from_the_table(params: Parameters, age: int, months: int) -> None:
    assert params.annuity_months(age).value == months


def test_the_age_47_conflict_is_recorded_and_208_chosen(params: Parameters) -> None:
    p = params.annuity_months(47)
    assert p.value == 208
    assert p.status == "unverified"
    assert "207" in p.source


def pension(params: Parameters, **overrides: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "average_wage": Fen(800_000), "index": Decimal("1.2"), "contribution_months": 420,
        "account_balance": Fen(15_000_000), "age_months": 720, "retirement_year": 2026, "params": params,
    }  # fmt: skip
    args.update(overrides)
    return monthly_pension(**args)  # type: ignore[arg-type]


def test_the_pension_formula_of_38(params: Parameters) -> None:
    r = pension(params, transitional_months=60, transitional_coefficient=Decimal("0.012"))
    p = r.value
    assert p.basic == 308_000  # (8000 + 9600) / 2 × 35 × 1%
    assert p.account == 107_914  # 150000 / 139
    assert p.transitional == 57_600  # 9600 × 5 × 1.2%
    assert p.total == p.basic + p.account + p.transitional
    assert p.eligible


def test_contribution_years_count_to_the_month(params: Parameters) -> None:
    assert pension(params, contribution_months=426).value.basic == 312_400  # 35年6个月


def test_a_fractional_age_uses_the_configured_method(params: Parameters) -> None:
    assert pension(params, age_months=724).value.divisor == 139  # floor (default)
    tables = read_tables()
    tables["annuity_months"]["fractional_age"]["method"] = "linear"
    linear = Parameters(tables)
    assert pension(linear, age_months=729).value.divisor == Decimal("133.75")  # 60岁9个月


def test_below_the_minimum_years_the_pension_is_flagged(params: Parameters) -> None:
    r = pension(params, contribution_months=170)
    assert not r.value.eligible
    assert "一次性缴费" in r.explanation.render()


@given(months=st.integers(0, 600), index=st.decimals(min_value=0, max_value=3, places=2))
def test_more_years_never_pay_less(params: Parameters, months: int, index: Decimal) -> None:
    a = pension(params, contribution_months=months, index=index).value
    b = pension(params, contribution_months=months + 1, index=index).value
    assert b.basic >= a.basic >= 0


@given(bases=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=50))
def test_the_bulk_splitter_is_split_for_every_base_seen_again_or_not(
    params: Parameters, bases: list[int]
) -> None:
    rates = employee_rates(YearMonth(2005, 6), params)  # 11% to the account, 8% individual
    split_base = splitter(rates)
    for base in bases + bases:
        assert split_base(Fen(base)) == split(Fen(base), rates)
