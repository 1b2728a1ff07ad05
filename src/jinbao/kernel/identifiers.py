"""National identifiers: 公民身份号码 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015).

The check-character arithmetic comes from python-stdnum (``stdnum.cn.ric`` and
``stdnum.cn.uscc``). We do not use ``ric.validate`` whole: it also requires the address code
to have been in force in the *birth* year, which rejects valid numbers issued to people born
before 1980 (the standard's own example ``440524188001010014``). GB 11643 §5.1 says the address
code is that of the county of permanent residence when the number was *issued*, so we only
require its province to be a known one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from jinbao.kernel.errors import InvalidInput


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


# Provinces whose GB/T 2260 codes open an ID number; 83 is 台湾 for 港澳台居民居住证 numbers,
# 71 the GB/T 2260 code of 台湾省, 81/82 香港/澳门.
ID_PROVINCE_CODES = frozenset(
    str(code)
    for code in (
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
        83,
    )
)
EARLIEST_BIRTH = dt.date(1880, 1, 1)


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated 18-character 公民身份号码 and what it says about its holder."""

    number: str
    birth_date: dt.date
    sex: Sex
    address_code: str

    @property
    def province_code(self) -> str:
        """The 6-digit province code of the issuing address (POLICY §10.2, DERIVED mapping)."""
        return self.address_code[:2] + "0000"


def parse_resident_id(raw: str, *, today: dt.date, field: str = "id_number") -> ResidentId:
    """Validate a 公民身份号码 by GB 11643-1999 and return its parts.

    Structure (GB 11643-1999 §4): 6-digit address code, 8-digit birth date, 3-digit sequence code
    (odd = male, even = female), 1 check character by ISO 7064 MOD 11-2 (POLICY §10.1).
    ``today`` bounds the birth date: nobody is born in the future.
    """
    number = ric.compact(raw or "")

    def bad(code: str, zh: str, en: str) -> InvalidInput:
        return InvalidInput(f"id_number.{code}", zh, en, field=field)

    if len(number) == 15 and number.isdigit():
        raise bad(
            "legacy_15",
            "这是15位旧身份证号码，请录入18位公民身份号码。",
            "This is an old 15-digit ID number; enter the 18-character citizen ID number.",
        )
    if len(number) != 18:
        raise bad(
            "length",
            f"公民身份号码应为18位，实际为{len(number)}位。",
            f"A citizen ID number has 18 characters; this one has {len(number)}.",
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise bad(
            "format",
            "公民身份号码前17位必须是数字，最后一位是数字或X。",
            "The first 17 characters must be digits and the last a digit or X.",
        )
    try:
        check = ric.calc_check_digit(number)
    except (InvalidChecksum, InvalidFormat, InvalidLength, ValueError) as exc:  # pragma: no cover
        raise bad("format", "公民身份号码格式错误。", "Malformed citizen ID number.") from exc
    if number[17] != check:
        raise bad(
            "checksum",
            "公民身份号码校验位不正确，请核对号码是否录入有误。",
            "The check character of the citizen ID number is wrong; check the number for typos.",
        )
    try:
        birth = ric.get_birth_date(number)
    except InvalidComponent as exc:
        raise bad(
            "birth_date",
            "公民身份号码中的出生日期不存在。",
            "The birth date inside the citizen ID number is not a real date.",
        ) from exc
    if birth > today or birth < EARLIEST_BIRTH:
        raise bad(
            "birth_date",
            f"公民身份号码中的出生日期 {birth.isoformat()} 不在合理范围内。",
            f"The birth date {birth.isoformat()} inside the citizen ID number is out of range.",
        )
    if number[:2] not in ID_PROVINCE_CODES:
        raise bad(
            "address_code",
            f"公民身份号码的地址码 {number[:6]} 不属于任何省级行政区。",
            f"The address code {number[:6]} of the citizen ID number names no province.",
        )
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number=number, birth_date=birth, sex=sex, address_code=number[:6])


def resident_id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for 17 digits (used to build test and demo IDs)."""
    return str(ric.calc_check_digit(first17 + "0"))


def parse_uscc(raw: str, *, field: str = "uscc") -> str:
    """Validate a 统一社会信用代码 by GB 32100-2015 (18 characters, check character MOD 31).

    Allowed characters are digits and capital letters except I, O, Z, S, V.
    """
    code = uscc.compact(raw or "")
    try:
        return str(uscc.validate(code))
    except InvalidLength as exc:
        raise InvalidInput(
            "uscc.length",
            f"统一社会信用代码应为18位，实际为{len(code)}位。",
            f"A unified social credit code has 18 characters; this one has {len(code)}.",
            field=field,
        ) from exc
    except InvalidFormat as exc:
        raise InvalidInput(
            "uscc.format",
            "统一社会信用代码只能包含数字和除I、O、Z、S、V以外的大写字母。",
            "A unified social credit code holds digits and capital letters except I, O, Z, S, V.",
            field=field,
        ) from exc
    except (InvalidChecksum, InvalidComponent) as exc:
        raise InvalidInput(
            "uscc.checksum",
            "统一社会信用代码校验位不正确，请核对代码是否录入有误。",
            "The check character of the unified social credit code is wrong; check for typos.",
            field=field,
        ) from exc


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (for demo and test data)."""
    return str(uscc.calc_check_digit(first17))
