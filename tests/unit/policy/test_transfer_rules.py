"""Transfer amounts, temporary accounts, receiving place: POLICY §1–§2 and §11 examples."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.identifiers import Sex
from jinbao.policy.history import parse_history
from jinbao.policy.interest import Portion
from jinbao.policy.parameters import Parameters
from jinbao.policy.receiving_place import receiving_place
from jinbao.policy.transfer import temporary_account_decision, transfer_amount


def amount(params: Parameters, text: str):  # type: ignore[no-untyped-def]
    return transfer_amount(parse_history(text), params)


def test_twelve_percent_of_each_years_base_by_months(params: Parameters) -> None:
    """POLICY §11: 2020 full year at 5000 + 2021 Jan–Jun at 6000 → 7200 + 4320 = 11520."""
    r = amount(
        params,
        "2020-01..2020-12 44 employee base=5000\n2021-01..2021-06 44 employee base=6000\naccount from2006=20000",
    )
    assert [(y.year, y.months, y.pooled) for y in r.value.years] == [
        (2020, 12, 720_000),
        (2021, 6, 432_000),
    ]
    assert r.value.pooled_total == 1_152_000
    assert r.value.total == 1_152_000 + 2_000_000


@pytest.mark.parametrize(("line", "pooled"), [
    ("2015-01..2015-12 44 temporary base=5000 rate=16%", 960_000),  # above 12%: the actual rate
    ("2015-01..2015-12 44 temporary base=5000 rate=10%", 720_000),  # below: 12%
    ("2015-01..2015-12 44 flexible base=5000", 720_000),  # flexible at 20%: always 12%
])  # fmt: skip
def test_special_cases_of_the_pooled_rate(params: Parameters, line: str, pooled: int) -> None:
    assert amount(params, line).value.pooled_total == pooled


def test_before_1998_only_the_individual_part_moves(params: Parameters) -> None:
    r = amount(
        params, "1995-01..1998-06 41 employee base=1000\naccount pre1998=800 y1998_2005=500"
    ).value
    assert [(y.year, y.months) for y in r.years] == [(1998, 6)]
    assert r.account == {Portion.PRE_1998: 80_000, Portion.Y1998_2005: 50_000}
    assert r.counted_months == 42


def test_unpaid_arrears_move_no_years_and_no_funds(params: Parameters) -> None:
    r = amount(params, "2019-01..2020-12 44 employee base=5000 arrears=3").value
    assert r.counted_months == 21
    assert sum(y.months for y in r.years) == 21
    assert r.pooled_total == 500_000 * 12 * 21 // 100
    assert [(e.months, e.reason) for e in r.exclusions] == [(3, "arrears")]


def test_a_lump_sum_of_three_years_needs_the_legal_documents(params: Parameters) -> None:
    text = "2010-01..2014-12 44 employee base=3000\n2015-01..2017-12 44 employee base=4000 lumpsum={} account=1000\naccount from2006=9000"
    without = amount(params, text.format("no-documents"))
    documented = amount(params, text.format("documents")).value
    assert without.value.counted_months == 60
    assert without.value.account == {Portion.FROM_2006: 800_000}
    assert documented.counted_months == 96
    assert without.value.exclusions[0].notify_within_working_days == 10
    assert "10个工作日" in without.explanation.render()
    short = amount(params, "2015-01..2017-11 44 employee base=4000 lumpsum=no-documents").value
    assert short.counted_months == 35  # under 3 years: not excluded


def test_deemed_years_count_but_move_no_money(params: Parameters) -> None:
    r = amount(params, "1990-01..1997-12 41 deemed\n1998-01..1998-12 41 employee base=1000").value
    assert r.counted_months == 108
    assert r.pooled_total == 12_000 * 12


def test_a_malformed_history_reports_every_bad_line() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_history(
            "2020-01..2020-12 44 employee base=1\nrubbish\n2020-06..2021-01 44 employee base=1\n2022-01 44 employee\n"
        )
    assert sorted((i.row, i.code) for i in caught.value.issues) == [
        (2, "history.line"),
        (3, "history.overlap"),
        (4, "history.line"),
    ]


periods = st.lists(
    st.tuples(st.integers(1996, 2024), st.integers(1, 24), st.integers(100, 50_000), st.sampled_from(["employee", "flexible", "temporary"]), st.integers(0, 30)),
    min_size=1, max_size=6,
)  # fmt: skip


@given(periods=periods, account=st.integers(0, 10**6))
def test_the_total_is_the_sum_of_its_parts_and_never_negative(
    params: Parameters, periods: list[tuple[int, int, int, str, int]], account: int
) -> None:
    lines, cursor = [], 0
    for year, months, base, kind, rate in periods:
        start = max(cursor, year * 12)
        end = start + months - 1
        rate_opt = f" rate={rate}%" if kind == "temporary" else ""
        lines.append(
            f"{start // 12}-{start % 12 + 1:02d}..{end // 12}-{end % 12 + 1:02d} 44 {kind} base={base}{rate_opt}"
        )
        cursor = end + 1
    lines.append(f"account from2006={account}")
    r = amount(params, "\n".join(lines)).value
    assert (
        r.total
        == r.account_total + r.pooled_total
        == r.account_total + sum(y.pooled for y in r.years)
    )
    assert min([r.total, r.pooled_total, *[y.pooled for y in r.years]]) >= 0
    assert r.counted_months == sum(m for _, m, *_ in periods)


def decide(params: Parameters, **kw: object) -> str:
    args: dict[str, object] = {
        "sex": Sex.MALE,
        "born": dt.date(1970, 6, 15),
        "on": dt.date(2021, 3, 1),
        "hukou_province": "41",
        "new_province": "44",
        "params": params,
    }
    args.update(kw)
    return temporary_account_decision(**args).value.reason  # type: ignore[arg-type]


def test_a_man_of_fifty_outside_his_hukou_province_gets_a_temporary_account(
    params: Parameters,
) -> None:
    assert decide(params) == "temporary"
    assert decide(params, on=dt.date(2020, 6, 14)) == "under_age"
    assert decide(params, on=dt.date(2020, 6, 15)) == "temporary"  # 年满 on the birthday


def test_a_woman_of_forty_and_the_exceptions(params: Parameters) -> None:
    woman = {"sex": Sex.FEMALE, "born": dt.date(1980, 1, 1)}
    assert decide(params, **woman, on=dt.date(2020, 1, 1)) == "temporary"
    assert decide(params, **woman, on=dt.date(2019, 12, 31)) == "under_age"
    assert decide(params, new_province="41") == "hukou"
    assert decide(params, approved_transfer=True) == "approved_transfer"
    assert decide(params, insured_here_before_2010=True) == "insured_before_2010"
    assert decide(params, reached_age_during_gap=True) == "age_in_gap"
    # Back in a province where an earlier job's relation is kept: an old place, not a new one.
    assert decide(params, kept_in_new_province=True) == "kept_there"
    assert decide(params, kept_in_new_province=True, new_province="41") == "hukou"


def place(params: Parameters, hukou: str, text: str) -> tuple[str, int]:
    r = receiving_place(hukou, parse_history(text), params).value
    return r.province, r.rule


def test_the_four_rules_of_the_receiving_place(params: Parameters) -> None:
    c11_b6 = "2000-01..2010-12 44 employee base=3000\n2011-01..2016-12 51 employee base=4000"
    c8_b6 = "2000-01..2007-12 44 employee base=3000\n2011-01..2016-12 51 employee base=4000"
    assert place(params, "41", c11_b6) == ("44", 3)  # POLICY §11: C 11 years, B 6 → C
    assert place(params, "41", c8_b6) == ("41", 4)  # C 8, B 6 → hukou A
    assert place(params, "51", c8_b6) == ("51", 1)
    assert place(params, "41", "2000-01..2012-12 51 employee base=3000") == ("51", 2)


def test_deemed_years_count_where_worked_and_temporary_places_never_receive(
    params: Parameters,
) -> None:
    deemed = "1990-01..1997-12 44 deemed\n1998-01..1999-12 44 employee base=1000\n2000-01..2016-12 51 employee base=2000"
    assert place(params, "41", deemed) == ("51", 2)
    assert (
        receiving_place("41", parse_history(deemed), params).value.months_by_province["44"] == 120
    )
    back = "1990-01..1997-12 44 deemed\n1998-01..1999-12 44 employee base=1000\n2000-01..2005-12 51 employee base=2000"
    assert place(params, "41", back) == ("44", 3)
    temp = (
        "2000-01..2003-12 41 employee base=3000\n2004-01..2016-12 44 temporary base=4000 rate=16%"
    )
    assert place(params, "43", temp) == ("43", 4)
