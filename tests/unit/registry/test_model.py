"""Registry rules, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.identifiers import Sex, parse_resident_id
from jinbao.registry.model import (
    Agency,
    AgencyLevel,
    Contact,
    Region,
    RegionLevel,
    RelationshipStatus,
    RetirementCategory,
    check_agency_placement,
    check_contact,
    check_person_identity,
    check_transition,
)

CONTACT = Contact("地址", "科室", "12333", "9:00-17:00")
GUANGDONG = Region("440000", "广东省", RegionLevel.PROVINCE, None)
GUANGZHOU = Region("440100", "广州市", RegionLevel.PREFECTURE, "440000")
ZHENGZHOU = Region("410100", "郑州市", RegionLevel.PREFECTURE, "410000")
TIANHE = Region("440106", "天河区", RegionLevel.COUNTY, "440100")


def agency(level: AgencyLevel, region: str | None) -> Agency:
    return Agency("X" * 8, "x", level, None, region, CONTACT, None)


def placement_error(level: AgencyLevel, region: Region | None, parent: Agency | None) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_agency_placement(level, region, parent)
    return caught.value.code


def test_a_city_agency_sits_in_a_prefecture_of_its_provinces_agency() -> None:
    check_agency_placement(AgencyLevel.CITY, GUANGZHOU, agency(AgencyLevel.PROVINCE, "440000"))


def test_a_county_may_sit_directly_under_a_province() -> None:
    check_agency_placement(AgencyLevel.COUNTY, TIANHE, agency(AgencyLevel.PROVINCE, "440000"))


def test_the_national_centre_has_no_parent() -> None:
    parent = agency(AgencyLevel.NATIONAL, None)
    assert placement_error(AgencyLevel.NATIONAL, None, parent) == "agency.parent"


def test_an_agency_below_national_needs_a_parent() -> None:
    assert placement_error(AgencyLevel.CITY, GUANGZHOU, None) == "agency.parent"


def test_a_parent_must_be_of_a_higher_level() -> None:
    parent = agency(AgencyLevel.CITY, "440100")
    assert placement_error(AgencyLevel.CITY, GUANGZHOU, parent) == "agency.parent_level"


def test_the_region_must_match_the_agency_level() -> None:
    parent = agency(AgencyLevel.PROVINCE, "440000")
    assert placement_error(AgencyLevel.CITY, TIANHE, parent) == "agency.region_level"


def test_the_region_must_lie_inside_the_parents_region() -> None:
    parent = agency(AgencyLevel.PROVINCE, "440000")
    assert placement_error(AgencyLevel.CITY, ZHENGZHOU, parent) == "agency.region_outside_parent"


def test_townships_use_their_county_region() -> None:
    check_agency_placement(AgencyLevel.TOWNSHIP, TIANHE, agency(AgencyLevel.COUNTY, "440106"))
    assert (
        placement_error(AgencyLevel.TOWNSHIP, GUANGDONG, agency(AgencyLevel.COUNTY, "440106"))
        == "agency.region_level"
    )


def test_published_contact_information_must_be_complete() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_contact(Contact("地址", " ", "12333", ""))
    assert caught.value.code == "agency.contact_incomplete"
    assert "department" in caught.value.en
    assert "hours" in caught.value.en


WOMAN = parse_resident_id("11010519491231002X", today=dt.date(2026, 1, 1))


def test_entered_sex_and_birth_date_must_agree_with_the_id_number() -> None:
    with pytest.raises(InvalidInput) as sex:
        check_person_identity(WOMAN, sex=Sex.MALE, birth_date=None, category=None)
    assert sex.value.code == "person.sex_mismatch"
    with pytest.raises(InvalidInput) as born:
        check_person_identity(WOMAN, sex=None, birth_date=dt.date(1949, 12, 30), category=None)
    assert born.value.code == "person.birth_date_mismatch"


def test_a_womans_category_defaults_to_fifty_and_may_be_fifty_five() -> None:
    assert (
        check_person_identity(WOMAN, sex=Sex.FEMALE, birth_date=None, category=None)
        is RetirementCategory.FEMALE_50
    )
    assert (
        check_person_identity(
            WOMAN, sex=None, birth_date=None, category=RetirementCategory.FEMALE_55
        )
        is RetirementCategory.FEMALE_55
    )
    with pytest.raises(InvalidInput):
        check_person_identity(WOMAN, sex=None, birth_date=None, category=RetirementCategory.MALE)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (RelationshipStatus.RECEIVING, RelationshipStatus.TRANSFERRED_OUT),
        (RelationshipStatus.TRANSFERRED_OUT, RelationshipStatus.CONTRIBUTING),
        (RelationshipStatus.TERMINATED, RelationshipStatus.CONTRIBUTING),
        (RelationshipStatus.CONTRIBUTING, RelationshipStatus.CONTRIBUTING),
    ],
)
def test_refused_status_transitions(current: RelationshipStatus, new: RelationshipStatus) -> None:
    with pytest.raises(Conflict):
        check_transition(current, new, relationship_id=1)


def test_a_suspended_relationship_can_resume() -> None:
    check_transition(
        RelationshipStatus.SUSPENDED, RelationshipStatus.CONTRIBUTING, relationship_id=1
    )
