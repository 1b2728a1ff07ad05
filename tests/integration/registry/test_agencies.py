"""Agencies: the tree, placement, contact information and network status, on both engines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict

from sqlalchemy import Engine, event, select

from jinbao.audit.tables import audit_log
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.registry import repository, service
from jinbao.registry.model import AgencyLevel
from tests.builders import a_contact, an_agency_tree
from tests.integration.helpers import commit, rejected

Uow = Callable[[], UnitOfWork]


def new(
    code: str, level: AgencyLevel, parent: str | None, region: str | None, **contact: str
) -> service.NewAgency:
    return service.NewAgency(code, "某经办机构", level, parent, region, a_contact(**contact))


def test_a_tree_of_agencies_is_registered_and_found_in_the_directory(
    engine: Engine, make_uow: Uow
) -> None:
    commit(make_uow, an_agency_tree)
    with make_uow() as uow:
        page, total = repository.search_agencies(uow, region_prefix="44")
        assert [a.code for a in page] == ["44000000", "44010000", "44010600"]
        assert total == 3
        assert repository.search_agencies(uow, query="郑州")[1] == 1
        assert repository.search_agencies(uow, parent_code="44010000")[0][0].code == "44010600"
        county = service.get_agency(uow, "44010600")
    assert (county.parent_code, county.region_code, county.networked) == (
        "44010000",
        "440106",
        True,
    )


def test_an_agency_code_is_unique(engine: Engine, make_uow: Uow) -> None:
    commit(make_uow, an_agency_tree)
    error = rejected(
        engine,
        make_uow,
        lambda uow: service.add_agency(
            uow, new("44010600", AgencyLevel.COUNTY, "44010000", "440106")
        ),
        Conflict,
    )
    assert error.code == "agency.duplicate"


def test_bad_agencies_are_refused_and_nothing_is_written(engine: Engine, make_uow: Uow) -> None:
    commit(make_uow, an_agency_tree)
    cases = {
        "agency.code_format": new("44-01", AgencyLevel.COUNTY, "44010000", "440106"),
        "agency.unknown": new("44019900", AgencyLevel.COUNTY, "99999999", "440106"),
        "region.unknown": new("44019900", AgencyLevel.COUNTY, "44010000", "449999"),
        "agency.region_outside_parent": new("41010500", AgencyLevel.COUNTY, "44010000", "410105"),
        "agency.parent_level": new("44019900", AgencyLevel.CITY, "44010000", "440100"),
        "agency.contact_incomplete": new(
            "44019900", AgencyLevel.COUNTY, "44010000", "440103", phone=""
        ),
    }
    for code, cmd in cases.items():
        error = rejected(
            engine, make_uow, lambda uow, c=cmd: service.add_agency(uow, c), InvalidInput
        )
        assert error.code == code
        assert error.zh
        assert error.en


def test_contact_changes_are_kept_complete_and_audited(engine: Engine, make_uow: Uow) -> None:
    commit(make_uow, an_agency_tree)
    updated = commit(
        make_uow,
        lambda uow: service.update_agency_contact(uow, "44010600", a_contact(phone="020-87654321")),
    )
    assert updated.contact.phone == "020-87654321"
    rejected(
        engine,
        make_uow,
        lambda uow: service.update_agency_contact(uow, "44010600", a_contact(address=" ")),
        InvalidInput,
    )
    with engine.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action == "agency.contact")).one()
    assert (row.old["phone"], row.new["phone"]) == ("020-12345678", "020-87654321")
    assert row.actor == "test"


def test_network_status_is_dated_and_never_in_the_future(engine: Engine, make_uow: Uow) -> None:
    commit(make_uow, an_agency_tree)
    off = commit(make_uow, lambda uow: service.set_agency_network(uow, "44010600", None))
    assert not off.networked
    on = commit(
        make_uow, lambda uow: service.set_agency_network(uow, "44010600", dt.date(2026, 1, 5))
    )
    assert on.networked_since == dt.date(2026, 1, 5)
    with make_uow() as uow:
        assert repository.search_agencies(uow, networked=False)[1] == 0
    rejected(
        engine,
        make_uow,
        lambda uow: service.set_agency_network(uow, "44010600", dt.date(2030, 1, 1)),
        InvalidInput,
    )
    rejected(
        engine, make_uow, lambda uow: service.set_agency_network(uow, "NOPE0000", None), NotFound
    )


def test_a_transaction_reads_an_agency_once_and_a_change_reads_it_again(
    engine: Engine, make_uow: Uow
) -> None:
    """A transfer's unit names its agencies several times: read once a transaction. A change
    in the directory, or the next transaction, reads them again."""
    commit(make_uow, an_agency_tree)
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.lstrip().startswith("SELECT agencies.id"):
            reads.append(sql)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with make_uow() as uow:
            first = repository.agency_with_id(uow, "44010600")
            assert repository.agency_with_id(uow, "44010600") == first
            assert repository.agencies_with_ids(uow, ["44010600"]) == {"44010600": first}
            assert len(reads) == 1
            assert service.set_agency_network(uow, "44010600", None).networked_since is None
            assert service.get_agency(uow, "44010600").networked_since is None
            uow.commit()
            assert repository.agency_with_id(uow, "44010600") is not None
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(reads) == 3  # the first; after the change; after the commit


def test_a_directory_is_added_at_once_by_the_same_rules_and_all_or_nothing(
    engine: Engine, make_uow: Uow
) -> None:
    """A province's agencies (or a generated nation's) in one call: a parent may be one of
    them, listed before its children; one agency that breaks a rule writes none of them."""
    commit(make_uow, an_agency_tree)
    shenzhen = new("44030000", AgencyLevel.CITY, "44000000", "440300")
    futian = new("44030400", AgencyLevel.COUNTY, "44030000", "440304")
    nanshan = new("44030500", AgencyLevel.COUNTY, "44030000", "440305", phone="0755-1234567")
    for bad, error, code in [
        ([shenzhen, futian, new("44039900", AgencyLevel.COUNTY, "44030000", "449999")],
         InvalidInput, "region.unknown"),
        ([futian, shenzhen], InvalidInput, "agency.unknown"),  # the child before its parent
        ([shenzhen, futian, futian], Conflict, "agency.duplicate"),
        ([shenzhen, new("44010600", AgencyLevel.COUNTY, "44010000", "440106")],
         Conflict, "agency.duplicate"),
    ]:  # fmt: skip
        refused = rejected(engine, make_uow, lambda uow, b=bad: service.add_agencies(uow, b), error)
        assert (refused.code, type(refused)) == (code, error)
    added = commit(make_uow, lambda uow: service.add_agencies(uow, [shenzhen, futian, nanshan]))
    assert [a.code for a in added] == ["44030000", "44030400", "44030500"]
    with make_uow() as uow:
        assert added == [service.get_agency(uow, a.code) for a in added]
        assert [a.parent_code for a in added] == ["44000000", "44030000", "44030000"]
        ids = repository.agency_ids(uow, ["44000000", "44030000", "NOPE0000"])
    assert set(ids) == {"44000000", "44030000"}
    with engine.connect() as conn:
        audited = {
            row.entity_key: row.new
            for row in conn.execute(select(audit_log).where(audit_log.c.action == "agency.add"))
        }
    assert len(audited) == 9  # the tree's six and these three
    assert audited["44030500"] == {
        "code": "44030500", "name": "某经办机构", "level": "county",
        "parent_id": ids["44030000"], "region_code": "440305",
        **asdict(a_contact(phone="0755-1234567")), "networked_since": None,
    }  # fmt: skip
