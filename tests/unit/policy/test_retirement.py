"""POLICY §7.5 tables and §11 examples, every row, plus monotonicity properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters
from jinbao.policy.retirement import Category, minimum_contribution_for, statutory_retirement

M, F55, F50 = Category.MALE, Category.FEMALE_55, Category.FEMALE_50

# (category, born, age years, age months, retirement month, delay) — POLICY §7.5
ROWS = [
    (M, "1964-12", 60, 0, "2024-12", 0), (M, "1965-01", 60, 1, "2025-02", 1),
    (M, "1965-04", 60, 1, "2025-05", 1), (M, "1965-05", 60, 2, "2025-07", 2),
    (M, "1965-08", 60, 2, "2025-10", 2), (M, "1965-09", 60, 3, "2025-12", 3),
    (M, "1966-01", 60, 4, "2026-05", 4), (M, "1966-05", 60, 5, "2026-10", 5),
    (M, "1967-01", 60, 7, "2027-08", 7), (M, "1968-01", 60, 10, "2028-11", 10),
    (M, "1972-01", 61, 10, "2033-11", 22), (M, "1975-01", 62, 7, "2037-08", 31),
    (M, "1976-08", 62, 11, "2039-07", 35), (M, "1976-09", 63, 0, "2039-09", 36),
    (F55, "1969-12", 55, 0, "2024-12", 0), (F55, "1970-01", 55, 1, "2025-02", 1),
    (F55, "1970-04", 55, 1, "2025-05", 1), (F55, "1970-05", 55, 2, "2025-07", 2),
    (F55, "1970-09", 55, 3, "2025-12", 3), (F55, "1971-01", 55, 4, "2026-05", 4),
    (F55, "1972-01", 55, 7, "2027-08", 7), (F55, "1975-01", 56, 4, "2031-05", 16),
    (F55, "1978-01", 57, 1, "2035-02", 25), (F55, "1981-08", 57, 11, "2039-07", 35),
    (F55, "1981-09", 58, 0, "2039-09", 36), (F55, "1982-01", 58, 0, "2040-01", 36),
    (F50, "1974-12", 50, 0, "2024-12", 0), (F50, "1975-01", 50, 1, "2025-02", 1),
    (F50, "1975-02", 50, 1, "2025-03", 1), (F50, "1975-03", 50, 2, "2025-05", 2),
    (F50, "1975-04", 50, 2, "2025-06", 2), (F50, "1975-05", 50, 3, "2025-08", 3),
    (F50, "1975-12", 50, 6, "2026-06", 6), (F50, "1976-01", 50, 7, "2026-08", 7),
    (F50, "1978-01", 51, 7, "2029-08", 19), (F50, "1980-01", 52, 7, "2032-08", 31),
    (F50, "1984-09", 54, 11, "2039-08", 59), (F50, "1984-10", 54, 11, "2039-09", 59),
    (F50, "1984-11", 55, 0, "2039-11", 60), (F50, "1985-01", 55, 0, "2040-01", 60),
]  # fmt: skip


@pytest.mark.parametrize(("category", "born", "years", "months", "retires", "delay"), ROWS)
def test_every_row_of_the_official_tables(
    params: Parameters,
    category: Category,
    born: str,
    years: int,
    months: int,
    retires: str,
    delay: int,
) -> None:
    r = statutory_retirement(category, YearMonth.parse(born), params).value
    assert (r.age_months // 12, r.age_months % 12) == (years, months)
    assert str(r.statutory_month) == retires
    assert r.delay_months == delay


@pytest.mark.parametrize(("category", "born"), [(M, "1965-01"), (F55, "1970-01"), (F50, "1975-01")])
def test_flexible_bounds_of_the_first_cohorts(
    params: Parameters, category: Category, born: str
) -> None:
    r = statutory_retirement(category, YearMonth.parse(born), params).value
    assert str(r.statutory_month) == "2025-02"
    assert str(r.earliest_month) == "2025-01"  # the original age, not 3 years early
    assert str(r.latest_month) == "2028-02"
    assert str(r.early_notice_by) == "2024-10"  # 3 months before the earliest
    assert str(r.late_agreement_by) == "2025-01"  # 1 month before the statutory month


def test_flexible_early_retirement_is_at_most_three_years(params: Parameters) -> None:
    r = statutory_retirement(M, YearMonth(1980, 6), params).value
    assert r.earliest_month == r.statutory_month.plus(-36)
    assert r.earliest_month == YearMonth(1980, 6).plus(60 * 12)  # 63 − 3 = the original 60


def test_no_flexible_retirement_before_the_reform(params: Parameters) -> None:
    r = statutory_retirement(M, YearMonth(1960, 3), params).value
    assert r.earliest_month == r.statutory_month == r.latest_month == YearMonth(2020, 3)


@pytest.mark.parametrize(
    ("year", "months"),
    [
        (2025, 180),
        (2029, 180),
        (2030, 186),
        (2031, 192),
        (2035, 216),
        (2038, 234),
        (2039, 240),
        (2045, 240),
    ],
)
def test_minimum_contribution_by_year_of_retirement(
    params: Parameters, year: int, months: int
) -> None:
    assert params.minimum_contribution_months(year).value == months


def test_which_years_minimum_applies_for_early_and_late_retirement(params: Parameters) -> None:
    statutory = YearMonth(2031, 6)
    assert minimum_contribution_for(YearMonth(2029, 6), statutory, params).value == 180
    assert minimum_contribution_for(YearMonth(2034, 6), statutory, params).value == 192
    assert minimum_contribution_for(statutory, statutory, params).value == 192


def test_the_explanation_cites_the_law_in_both_languages(params: Parameters) -> None:
    e = statutory_retirement(M, YearMonth(1965, 1), params).explanation
    assert "第一条" in e.render("zh")
    assert "Statutory age 60 years 1 months" in e.render("en")
    assert any("渐进式延迟法定退休年龄" in s.document for s in e.sources)


births = st.builds(YearMonth, st.integers(1950, 2000), st.integers(1, 12))


@given(category=st.sampled_from(list(Category)), born=births)
def test_a_later_birth_never_retires_earlier_or_at_a_lower_age(
    params: Parameters, category: Category, born: YearMonth
) -> None:
    this = statutory_retirement(category, born, params).value
    following = statutory_retirement(category, born.plus(1), params).value
    assert following.statutory_month > this.statutory_month
    assert following.age_months >= this.age_months
    assert this.earliest_month <= this.statutory_month <= this.latest_month
    cap = {M: 63 * 12, Category.FEMALE_55: 58 * 12, F50: 55 * 12}[category]
    assert this.age_months <= cap
