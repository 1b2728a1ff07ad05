"""遗属待遇 (人社部发〔2021〕18号): the worked example of the quoted text, the floor, the cap, and
the bands of 第五条（一） under 15 years for a person still working."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen
from jinbao.policy.parameters import load_parameters
from jinbao.policy.survivors import survivor_benefits

PARAMS = load_parameters()


def benefits(months: int, drawn: int | None, balance: int = 0):
    return survivor_benefits(
        province="41", died_on=dt.date(2026, 5, 1), contribution_months=months, drawn_months=drawn,
        account_balance=Fen(balance), params=PARAMS,
    ).value  # fmt: skip


def test_the_worked_example_28_years_9_months_with_3_years_6_months_drawn() -> None:
    """ "最高发放月数为：9+(28-15)+9/12=22.75；抚恤金发放月数为：22.75-(3+6/12)=19.25"."""
    result = benefits(28 * 12 + 9, 42)
    assert result.months == Decimal("19.25")
    assert result.funeral == 2 * result.base
    exact = Decimal(result.base) * Decimal("19.25")
    assert result.survivor_pension == exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("months", "drawn", "expected"),
    [
        (28 * 12 + 9, 15 * 12 + 6, Decimal(9)),  # below the floor: 9
        (40 * 12, None, Decimal(24)),  # 30 years and more: 24 at most
        (15 * 12, None, Decimal(9)),  # 15 years, still working: 9
        (10 * 12, 24, Decimal(9)),  # a retiree under 15 years: the floor
    ],
)
def test_months_floor_and_cap(months: int, drawn: int | None, expected: Decimal) -> None:
    assert benefits(months, drawn).months == expected


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (1, Decimal(3)),  # 不满5年: 3
        (5 * 12 - 1, Decimal(3)),
        (5 * 12, Decimal(6)),  # 满5年不满10年: 6
        (10 * 12 - 1, Decimal(6)),
        (10 * 12, Decimal(9)),  # 满10年不超过15年（含15年）: 9
        (15 * 12 + 1, Decimal("9.08")),  # above 15, to the month: 9 + 1/12
        (30 * 12, Decimal(24)),
    ],
)
def test_still_working_the_bands_of_article_5_1(months: int, expected: Decimal) -> None:
    """第五条（一）: "缴费年限不满5年的，发放月数为3个月；缴费年限满5年不满10年的，发放月数为6个月；
    缴费年限满10年不超过15年（含15年）的，发放月数为9个月"."""
    explained = survivor_benefits(
        province="41", died_on=dt.date(2026, 5, 1), contribution_months=months, drawn_months=None,
        account_balance=Fen(0), params=PARAMS,
    )  # fmt: skip
    assert explained.value.months == expected
    assert "第五条（一）在职人员" in explained.explanation.steps[1].zh
    assert any(p.name == "survivor_months" for p in explained.explanation.parameters)


def test_the_account_is_inherited_and_the_explanation_cites_the_law() -> None:
    explained = survivor_benefits(
        province="41", died_on=dt.date(2026, 5, 1), contribution_months=200, drawn_months=12,
        account_balance=Fen(1_234_500), params=PARAMS,
    )  # fmt: skip
    assert explained.value.inheritance == 1_234_500
    assert "社会保险法 第十四条" in explained.explanation.steps[-1].zh
    assert any(p.status == "sample" for p in explained.explanation.parameters)


def test_a_death_before_the_measures_is_left_to_the_province() -> None:
    """ "本办法自2021年9月1日起施行。对…本办法施行前死亡参保人员的遗属…由各省妥善予以处理"."""
    with pytest.raises(InvalidInput) as caught:
        survivor_benefits(
            province="41", died_on=dt.date(2021, 8, 31), contribution_months=200,
            drawn_months=None, account_balance=Fen(0), params=PARAMS,
        )  # fmt: skip
    assert caught.value.code == "survivors.before_measures"
    on_the_day = survivor_benefits(
        province="41", died_on=dt.date(2021, 9, 1), contribution_months=200, drawn_months=None,
        account_balance=Fen(0), params=PARAMS,
    )  # fmt: skip
    assert on_the_day.value.months > 9
