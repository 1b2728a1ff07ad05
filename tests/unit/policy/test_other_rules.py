"""Linkage, resident scheme, working days and the parameter tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.linkage import (
    BenefitPair,
    Direction,
    HeldRelation,
    ResidentYear,
    duplicate_benefits,
    overlap_refund,
    scheme_linkage,
    settle_duplicate_relations,
)  # fmt: skip
from jinbao.policy.parameters import ParameterMissing, Parameters, load_parameters
from jinbao.policy.resident import contribution_subsidy, resident_pension, resident_requirement
from jinbao.policy.workdays import add_workdays, is_workday


def test_fifteen_employee_years_link_resident_to_employee() -> None:
    """POLICY §11: 职工 15 years (incl. extension) + 居民 8 years → 居民→职工, 职工 years stay 15."""
    r = scheme_linkage(
        employee_months=180,
        resident_months=96,
        employee_account=Fen(5_000_000),
        resident_account=Fen(800_000),
    ).value
    assert r.direction is Direction.RESIDENT_TO_EMPLOYEE
    assert (r.employee_months, r.account_moved) == (180, 800_000)
    down = scheme_linkage(
        employee_months=179,
        resident_months=96,
        employee_account=Fen(5_000_000),
        resident_account=Fen(800_000),
    ).value
    assert down.direction is Direction.EMPLOYEE_TO_RESIDENT
    assert (down.resident_months, down.account_moved) == (275, 5_000_000)
    with pytest.raises(Conflict):
        scheme_linkage(
            employee_months=200,
            resident_months=0,
            employee_account=Fen(0),
            resident_account=Fen(0),
            already_receiving=True,
        )


def test_overlapping_months_refund_the_resident_part() -> None:
    """POLICY §11: both schemes paid 2015-03..2015-08 → 6 months count only for 职工."""
    months = {YearMonth(2015, m) for m in range(3, 9)}
    r = overlap_refund(
        months,
        [ResidentYear(2015, Fen(50_000), Fen(10_000)), ResidentYear(2016, Fen(50_000), Fen(0))],
    ).value
    assert r.months == 6
    assert r.refund == 30_000  # (500 + 100) × 6/12


def test_duplicate_relations_keep_one_and_refund_the_others() -> None:
    a = HeldRelation("44", Fen(100_000), {YearMonth(2019, m) for m in range(1, 13)})
    b = HeldRelation("41", Fen(30_000), {YearMonth(2019, m) for m in range(7, 13)})
    r = settle_duplicate_relations([a, b], keep="44").value
    assert r.refunds == {"41": 30_000}
    assert r.months_counted == 12
    with pytest.raises(InvalidInput):
        settle_duplicate_relations([a, b], keep="51")


def test_duplicate_benefits() -> None:
    assert duplicate_benefits(BenefitPair.EMPLOYEE_AND_RESIDENT).value == "employee"
    assert duplicate_benefits(BenefitPair.RESIDENT_AND_RESIDENT).value == "first_place"


def test_the_resident_pension(params: Parameters) -> None:
    r = resident_pension(
        account_balance=Fen(1_390_000),
        on=dt.date(2022, 7, 1),
        age_years=60,
        contribution_years=15,
        params=params,
    ).value
    assert (r.eligible, r.basic, r.account) == (True, 9_800, 10_000)
    before = resident_pension(
        account_balance=Fen(0),
        on=dt.date(2022, 6, 30),
        age_years=61,
        contribution_years=20,
        params=params,
    ).value
    assert before.basic == 9_300
    young = resident_pension(
        account_balance=Fen(0),
        on=dt.date(2022, 6, 30),
        age_years=59,
        contribution_years=20,
        params=params,
    )
    assert not young.value.eligible
    assert "未满60周岁" in young.explanation.render()


@pytest.mark.parametrize(
    ("born", "years"),
    [
        ("1945-03-01", 0),  # 60 before the scheme began (2009-10): the basic pension, unpaid
        ("1949-10-01", 0),  # 60 on the day it began
        ("1949-11-01", 0),  # a month from 60: no whole year to pay
        ("1955-06-15", 5),  # 5 years 8 months from 60 then: the whole years
        ("1964-06-15", 14),
        ("1964-10-01", 15),  # exactly 15 years from 60: the rule's 15
        ("1970-01-01", 15),
    ],
)
def test_the_years_a_resident_needs_by_the_schemes_transition(
    params: Parameters, born: str, years: int
) -> None:
    """国发〔2014〕8号 第七条 as quoted: none for one already 60 when the scheme began, the years
    to 60 then for one under 15 years from it, else 15; the start assumed the pilot's."""
    needed = resident_requirement(dt.date.fromisoformat(born), "41", params)
    assert needed.value.years == years
    assert needed.value.start == dt.date(2009, 10, 1)
    assert needed.explanation.parameters[1].status == "secondary"
    with_it = resident_pension(
        account_balance=Fen(0), on=dt.date(2024, 7, 1), age_years=60,
        contribution_years=years, params=params, born=dt.date.fromisoformat(born), province="41",
    )  # fmt: skip
    assert with_it.value.eligible
    if years:
        short = resident_pension(
            account_balance=Fen(0), on=dt.date(2024, 7, 1), age_years=60,
            contribution_years=years - 1, params=params, born=dt.date.fromisoformat(born),
            province="41",
        )  # fmt: skip
        assert f"累计缴费不满{years}年" in short.explanation.render()


def test_a_province_that_began_later_needs_fewer_years_of_its_residents(tmp_path: Path) -> None:
    (tmp_path / "resident.toml").write_text(
        '[transition]\nstart_by_province = { 41 = "2011-07-01" }\n'
    )
    loaded = load_parameters(tmp_path)
    born = dt.date(1955, 6, 15)  # 60 in June 2015: under 4 years from it in Henan's 2011
    assert resident_requirement(born, "410105", loaded).value.years == 3
    assert resident_requirement(born, "440106", loaded).value.years == 5  # the default start
    for wrong in ('start_by_province = { 41 = "2011-13-01" }', 'start_by_province = { 410000 = "2011-07-01" }', 'scheme_start = "soon"'):  # fmt: skip
        (tmp_path / "resident.toml").write_text(f"[transition]\n{wrong}\n")
        with pytest.raises(InvalidInput) as caught:
            load_parameters(tmp_path)
        assert caught.value.code == "parameter.invalid"


def test_resident_tiers_and_subsidies(params: Parameters) -> None:
    assert contribution_subsidy(100, params).value == 3_000
    assert contribution_subsidy(500, params).value == 6_000
    with pytest.raises(InvalidInput):
        contribution_subsidy(1200, params)
    assert contribution_subsidy(1200, params, local_tiers=(1200,)).value == 6_000


def test_working_days_skip_holidays_and_count_adjusted_weekends(params: Parameters) -> None:
    assert not is_workday(dt.date(2025, 10, 1), params)
    assert is_workday(dt.date(2025, 9, 28), params)  # a Sunday made a working day
    assert add_workdays(dt.date(2025, 9, 26), 15, params).value == dt.date(2025, 10, 23)
    assert add_workdays(dt.date(2024, 3, 1), 15, params).value == dt.date(2024, 3, 22)
    assert add_workdays(dt.date(2025, 10, 4), 0, params).value == dt.date(2025, 10, 9)


def test_a_deadline_is_worked_out_once_per_set_of_parameters(
    params: Parameters, tmp_path: Path
) -> None:
    """Answers are kept per set of parameters: another calendar gets its own."""
    first = add_workdays(dt.date(2024, 3, 1), 15, params)
    assert add_workdays(dt.date(2024, 3, 1), 15, params) is first
    (tmp_path / "calendar.toml").write_text(
        '[years.2024]\nholidays = ["2024-03-04"]\nworkdays = []\n'
    )
    other = load_parameters(tmp_path)
    assert add_workdays(dt.date(2024, 3, 1), 15, other).value == dt.date(2024, 3, 25)
    assert add_workdays(dt.date(2024, 3, 1), 15, params).value == dt.date(2024, 3, 22)


def test_an_unknown_year_is_a_clear_error_until_an_operator_loads_it(
    params: Parameters, tmp_path: Path
) -> None:
    with pytest.raises(ParameterMissing) as caught:
        add_workdays(dt.date(2026, 12, 20), 15, params)
    assert "2027" in caught.value.zh
    (tmp_path / "calendar.toml").write_text(
        '[years.2027]\nholidays = ["2027-01-01"]\nworkdays = []\n'
    )
    loaded = load_parameters(tmp_path)
    assert add_workdays(dt.date(2026, 12, 30), 2, loaded).value == dt.date(2027, 1, 4)


def test_the_loader_reports_every_value_that_is_not_official(params: Parameters) -> None:
    report = "\n".join(params.report())
    assert "average_wages: (file) is SAMPLE" in report
    assert "transitional: (file) is SAMPLE" in report
    assert "annuity_months: age_47 is UNVERIFIED" in report
    assert "interest_rates: rate[2016]" not in report  # 2016 is official


def test_a_missing_parameter_names_what_is_missing(params: Parameters) -> None:
    with pytest.raises(ParameterMissing) as caught:
        params.interest_rate(2010)
    assert caught.value.field == "interest_rate"
    with pytest.raises(ParameterMissing):
        params.employer_rate(YearMonth(1990, 1))


def test_the_last_month_that_can_be_deemed_is_national_unless_a_province_sets_its_own(
    tmp_path: Path,
) -> None:
    """视同缴费年限 end where individual contributions began: 1997-12 by default (DERIVED), a
    province's own when loaded; a malformed month or province stops the loading."""
    default = load_parameters()
    assert str(default.deemed_last_month("440106").value) == "1997-12"
    assert default.deemed_last_month("44").status == "derived"
    (tmp_path / "transitional.toml").write_text(
        '[deemed]\nlast_month_by_province = { 36 = "1995-09" }\n'
    )
    loaded = load_parameters(tmp_path)
    assert str(loaded.deemed_last_month("360102").value) == "1995-09"
    assert str(loaded.deemed_last_month("410105").value) == "1997-12"
    for wrong in ('last_month_by_province = { 36 = "1995-13" }', 'last_month_by_province = { 360000 = "1995-09" }', 'last_month = "soon"'):  # fmt: skip
        (tmp_path / "transitional.toml").write_text(f"[deemed]\n{wrong}\n")
        with pytest.raises(InvalidInput) as caught:
            load_parameters(tmp_path)
        assert caught.value.code == "parameter.invalid"
        assert "transitional.deemed" in caught.value.en
