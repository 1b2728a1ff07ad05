"""Registry domain: regions, agencies, employers, persons, insurance relationships. Pure.

Glossary (see README.md in this package): agency 社会保险经办机构, employer 参保单位,
person 参保人, relationship 参保关系, temporary account 临时基本养老保险缴费账户, 户籍 hukou.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.identifiers import ResidentId, Sex


class RegionLevel(StrEnum):
    PROVINCE = "province"  # 省级
    PREFECTURE = "prefecture"  # 地级
    COUNTY = "county"  # 县级


@dataclass(frozen=True, slots=True)
class Region:
    """A GB/T 2260 administrative division (6 digits: province, prefecture, county)."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


class AgencyLevel(StrEnum):
    """The five levels of 经办机构 below the ministry, plus the national centre."""

    NATIONAL = "national"  # 部级 (人社部社保中心)
    PROVINCE = "province"  # 省级
    CITY = "city"  # 地市级
    COUNTY = "county"  # 县区级
    TOWNSHIP = "township"  # 乡镇（街道）
    VILLAGE = "village"  # 村（社区）服务点

    @property
    def depth(self) -> int:
        return list(AgencyLevel).index(self)


# Which GB/T 2260 level an agency of each level sits in. Townships and villages are below the
# county in the 12-digit statistical codes, which GB/T 2260 does not have: they use their county.
REGION_LEVEL_FOR_AGENCY = {
    AgencyLevel.PROVINCE: RegionLevel.PROVINCE,
    AgencyLevel.CITY: RegionLevel.PREFECTURE,
    AgencyLevel.COUNTY: RegionLevel.COUNTY,
    AgencyLevel.TOWNSHIP: RegionLevel.COUNTY,
    AgencyLevel.VILLAGE: RegionLevel.COUNTY,
}


@dataclass(frozen=True, slots=True)
class Contact:
    """Published contact information, kept complete (seed 001 item 四).

    单位地址、经办科室、电话号码 and office hours.
    """

    address: str
    department: str
    phone: str
    hours: str


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    name: str
    level: AgencyLevel
    parent_code: str | None
    region_code: str | None
    contact: Contact
    networked_since: dt.date | None  # 入网日期; None = not on the exchange network (manual mode)

    @property
    def networked(self) -> bool:
        return self.networked_since is not None


@dataclass(frozen=True, slots=True)
class Employer:
    uscc: str  # 统一社会信用代码
    name: str
    agency_code: str


class RetirementCategory(StrEnum):
    """Category for the statutory retirement age (POLICY §7): 男 / 原法定55岁女 / 原法定50岁女."""

    MALE = "male"
    FEMALE_55 = "female_55"
    FEMALE_50 = "female_50"


@dataclass(frozen=True, slots=True)
class Person:
    id_number: str
    name: str
    sex: Sex
    birth_date: dt.date
    hukou_region_code: str  # 户籍所在地
    retirement_category: RetirementCategory
    phone: str | None
    address: str | None


class Scheme(StrEnum):
    ENTERPRISE = "enterprise"  # 企业职工基本养老保险
    RESIDENT = "resident"  # 城乡居民基本养老保险
    PUBLIC = "public"  # 机关事业单位工作人员基本养老保险


class RelationshipKind(StrEnum):
    NORMAL = "normal"
    TEMPORARY = "temporary"  # 临时基本养老保险缴费账户 (国办发〔2009〕66号 第六条)


class RelationshipStatus(StrEnum):
    CONTRIBUTING = "contributing"  # 参保缴费
    SUSPENDED = "suspended"  # 暂停缴费（中断）
    TRANSFERRED_OUT = "transferred_out"  # 转出
    TERMINATED = "terminated"  # 终止
    RECEIVING = "receiving"  # 待遇享受


ACTIVE_STATUSES = frozenset(
    {RelationshipStatus.CONTRIBUTING, RelationshipStatus.SUSPENDED, RelationshipStatus.RECEIVING}
)
# At most one *current* normal relationship per person and scheme: contributing or receiving.
# A suspended one may be kept beside it: the person enrols at the new place first and the old
# place keeps the relation until the transfer completes (国办发〔2009〕66号 第八条 一; POLICY §1.6).
# Two contributing relations at once are 重复参保 (人社部发〔2009〕187号 三; POLICY §2.2).
CURRENT_STATUSES = frozenset({RelationshipStatus.CONTRIBUTING, RelationshipStatus.RECEIVING})

ALLOWED_TRANSITIONS: dict[RelationshipStatus, frozenset[RelationshipStatus]] = {
    RelationshipStatus.CONTRIBUTING: frozenset(
        {
            RelationshipStatus.SUSPENDED,
            RelationshipStatus.TRANSFERRED_OUT,
            RelationshipStatus.TERMINATED,
            RelationshipStatus.RECEIVING,
        }
    ),
    RelationshipStatus.SUSPENDED: frozenset(
        {
            RelationshipStatus.CONTRIBUTING,
            RelationshipStatus.TRANSFERRED_OUT,
            RelationshipStatus.TERMINATED,
            RelationshipStatus.RECEIVING,
        }
    ),
    # Benefits end only by termination (death, or a refund of the account); a person receiving
    # benefits can no longer transfer (国办发〔2009〕66号 第二条; POLICY §1.8).
    RelationshipStatus.RECEIVING: frozenset({RelationshipStatus.TERMINATED}),
    RelationshipStatus.TRANSFERRED_OUT: frozenset(),
    RelationshipStatus.TERMINATED: frozenset(),
}

STATUS_ZH = {
    RelationshipStatus.CONTRIBUTING: "参保缴费",
    RelationshipStatus.SUSPENDED: "暂停缴费",
    RelationshipStatus.TRANSFERRED_OUT: "转出",
    RelationshipStatus.TERMINATED: "终止",
    RelationshipStatus.RECEIVING: "待遇享受",
}


@dataclass(frozen=True, slots=True)
class Relationship:
    id: int
    person_id_number: str
    scheme: Scheme
    agency_code: str
    employer_uscc: str | None
    kind: RelationshipKind
    status: RelationshipStatus
    started_on: dt.date


@dataclass(frozen=True, slots=True)
class StatusChange:
    from_status: RelationshipStatus | None
    to_status: RelationshipStatus
    changed_on: dt.date
    reason: str


# ----------------------------------------------------------------------------- rules


def check_agency_placement(
    level: AgencyLevel,
    region: Region | None,
    parent: Agency | None,
) -> None:
    """An agency sits under a shallower parent, in a region of its level, inside the parent's.

    The national centre has no parent and no region; every other agency has both.
    """
    if level is AgencyLevel.NATIONAL:
        if parent is not None:
            raise InvalidInput(
                "agency.parent",
                "国家级经办机构没有上级机构。",
                "The national agency has no parent agency.",
                field="parent_code",
            )
        return
    if parent is None:
        raise InvalidInput(
            "agency.parent",
            "除国家级外，经办机构必须有上级机构。",
            "Every agency below the national level needs a parent agency.",
            field="parent_code",
        )
    if parent.level.depth >= level.depth:
        raise InvalidInput(
            "agency.parent_level",
            f"上级机构层级（{parent.level.value}）必须高于本机构层级（{level.value}）。",
            f"The parent's level ({parent.level.value}) must be above this level ({level.value}).",
            field="parent_code",
        )
    if region is None:
        raise InvalidInput(
            "agency.region",
            "经办机构必须属于一个行政区划。",
            "An agency below the national level needs a region code.",
            field="region_code",
        )
    expected = REGION_LEVEL_FOR_AGENCY[level]
    if region.level is not expected:
        raise InvalidInput(
            "agency.region_level",
            f"{level.value}级经办机构的行政区划应为{expected.value}级，{region.code}不是。",
            f"A {level.value} agency sits in a {expected.value} region; {region.code} is not one.",
            field="region_code",
        )
    if parent.region_code is not None and not _region_within(region.code, parent.region_code):
        raise InvalidInput(
            "agency.region_outside_parent",
            f"行政区划{region.code}不在上级机构的行政区划{parent.region_code}之内。",
            f"Region {region.code} is not inside the parent's region {parent.region_code}.",
            field="region_code",
        )


def _region_within(code: str, ancestor: str) -> bool:
    """GB/T 2260 nesting by prefix: XX0000 ⊃ XXYY00 ⊃ XXYYZZ (trailing zeros mark the level)."""
    if ancestor.endswith("0000"):
        return code.startswith(ancestor[:2])
    if ancestor.endswith("00"):
        return code.startswith(ancestor[:4])
    return code == ancestor


def check_contact(contact: Contact) -> None:
    """Seed 001 item 四 asks agencies to keep the published 地址、经办科室、电话 complete."""
    missing = [
        name
        for name, value in (
            ("address", contact.address),
            ("department", contact.department),
            ("phone", contact.phone),
            ("hours", contact.hours),
        )
        if not value.strip()
    ]
    if missing:
        raise InvalidInput(
            "agency.contact_incomplete",
            "对外公布的联系信息（地址、经办科室、电话、办公时间）必须完整：缺少 "
            + "、".join(missing),
            "Published contact information must be complete; missing: " + ", ".join(missing),
            field=missing[0],
        )


def check_person_identity(
    rid: ResidentId,
    *,
    sex: Sex | None,
    birth_date: dt.date | None,
    category: RetirementCategory | None,
) -> RetirementCategory:
    """What is entered must agree with what the ID number says (GB 11643-1999 §4–§5).

    The sex comes from the parity of the sequence code, the birth date from digits 7–14.
    The retirement category follows the sex: men are ``male``; a woman is ``female_50`` unless
    entered as ``female_55`` (原法定退休年龄55周岁的女职工: cadres and some posts, POLICY §7).
    Returns the category to store.
    """
    if sex is not None and sex is not rid.sex:
        raise InvalidInput(
            "person.sex_mismatch",
            f"性别与公民身份号码不符：号码表明为{'男' if rid.sex is Sex.MALE else '女'}。",
            f"The sex entered disagrees with the ID number, which says {rid.sex.name.lower()}.",
            field="sex",
        )
    if birth_date is not None and birth_date != rid.birth_date:
        raise InvalidInput(
            "person.birth_date_mismatch",
            f"出生日期与公民身份号码不符：号码表明为{rid.birth_date.isoformat()}。",
            f"The birth date disagrees with the ID number, which says {rid.birth_date}.",
            field="birth_date",
        )
    if category is None:
        return RetirementCategory.MALE if rid.sex is Sex.MALE else RetirementCategory.FEMALE_50
    if (category is RetirementCategory.MALE) != (rid.sex is Sex.MALE):
        raise InvalidInput(
            "person.category_mismatch",
            "退休年龄类别与性别不符。",
            "The retirement-age category does not match the person's sex.",
            field="retirement_category",
        )
    return category


def check_transition(
    current: RelationshipStatus, new: RelationshipStatus, *, relationship_id: int
) -> None:
    """Relationship status changes follow ALLOWED_TRANSITIONS; anything else is refused."""
    if new not in ALLOWED_TRANSITIONS[current]:
        raise Conflict(
            "relationship.transition",
            f"参保关系{relationship_id}当前状态为“{STATUS_ZH[current]}”，不能变更为“{STATUS_ZH[new]}”。",
            f"Relationship {relationship_id} is {current.value}; it cannot become {new.value}.",
            field="status",
        )
