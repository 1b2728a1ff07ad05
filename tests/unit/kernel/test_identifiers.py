"""公民身份号码 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015) validation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.identifiers import (
    Sex,
    parse_resident_id,
    parse_uscc,
    resident_id_check_character,
    uscc_check_character,
)

TODAY = dt.date(2026, 11, 23)


def code_of(raw: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_resident_id(raw, today=TODAY)
    return caught.value.code


def test_the_standards_own_examples_are_valid() -> None:
    woman = parse_resident_id("11010519491231002X", today=TODAY)
    assert (woman.birth_date, woman.sex, woman.address_code) == (
        dt.date(1949, 12, 31),
        Sex.FEMALE,
        "110105",
    )
    man = parse_resident_id("440524188001010014", today=TODAY)
    assert (man.birth_date, man.sex, man.province_code) == (dt.date(1880, 1, 1), Sex.MALE, "440000")


def test_a_lower_case_x_and_spaces_are_normalised() -> None:
    assert parse_resident_id(" 11010519491231002x ", today=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("110105194912310021", "id_number.checksum"),
        ("11010519491231002", "id_number.length"),
        ("110105491231002", "id_number.legacy_15"),
        ("11010519491231A02X", "id_number.format"),
        ("", "id_number.length"),
    ],
)
def test_malformed_numbers_are_rejected_with_a_stable_code(raw: str, code: str) -> None:
    assert code_of(raw) == code


def with_check(first17: str) -> str:
    return first17 + resident_id_check_character(first17)


def test_an_impossible_birth_date_is_rejected_even_with_a_right_check_character() -> None:
    assert code_of(with_check("11010519490231002")) == "id_number.birth_date"


def test_a_birth_date_after_today_is_rejected() -> None:
    assert code_of(with_check("11010520261124002")) == "id_number.birth_date"


def test_an_address_code_outside_every_province_is_rejected() -> None:
    assert code_of(with_check("99010519700101001")) == "id_number.address_code"


def test_errors_speak_chinese_and_english_and_name_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_resident_id("110105194912310021", today=TODAY)
    error = caught.value
    assert "校验位" in error.zh
    assert "check character" in error.en
    assert error.field == "id_number"


@given(
    county=st.sampled_from(["110105", "440106", "510107", "650102"]),
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_typo_is_caught(
    county: str, born: dt.date, seq: int, position: int, delta: int
) -> None:
    """MOD 11-2 catches every single-digit substitution (ISO 7064)."""
    number = with_check(f"{county}{born:%Y%m%d}{seq:03d}")
    parsed = parse_resident_id(number, today=TODAY)
    assert parsed.sex is (Sex.MALE if seq % 2 else Sex.FEMALE)
    assert parsed.birth_date == born
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(InvalidInput):
        parse_resident_id(typo, today=TODAY)


def test_a_known_credit_code_is_valid() -> None:
    assert parse_uscc("91110000600037341l") == "91110000600037341L"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("91110000600037341X", "uscc.checksum"),
        ("9111000060003734", "uscc.length"),
        ("9111000060003734IL", "uscc.format"),
    ],
)
def test_bad_credit_codes_are_rejected(raw: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_uscc(raw)
    assert caught.value.code == code


def test_the_credit_code_check_character_builder_agrees_with_validation() -> None:
    body = "91440106MA5CXXX0"[:17].ljust(17, "1").replace("X", "1")
    assert parse_uscc(body + uscc_check_character(body)) == body + uscc_check_character(body)
