"""Bulk-load mode on PostgreSQL: foreign keys checked and indexes built once after a load,
never lost."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from jinbao.accounts.tables import account_entries
from jinbao.contributions.tables import contribution_payments, contributions
from jinbao.db import migrate
from jinbao.db.bulk import index_named, load_mode
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import SystemClock
from jinbao.kernel.errors import Conflict
from jinbao.registry.regions import sync_regions
from tests.integration.helpers import index_ids

# The mode changes nothing on SQLite: these tests take PostgreSQL's foreign keys off.
pytestmark = pytest.mark.parametrize(
    "fresh", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
TABLES = (contributions, contribution_payments, account_entries)


def keys(engine: Engine, table: str) -> set[str]:
    return {str(k["name"]) for k in inspect(engine).get_foreign_keys(table)}


ORPHAN = (
    "INSERT INTO account_entries (person_id, scheme, region, portion, kind, period, "
    "effective_on, amount, source, created_at) VALUES (999999, 'enterprise', '440000', "
    "'from2006', 'contribution', 202401, '2024-01-31', 100, 'test', now())"
)


def load(engine: Engine, *rows: str, **mode: Any) -> None:
    """A bulk load of ``rows`` (INSERT statements) in :func:`load_mode` with ``mode``."""
    with load_mode(engine, **mode) as writing:
        writing()
        with engine.begin() as conn:
            for row in rows:
                conn.execute(text(row))


def test_the_keys_are_off_inside_the_block_and_back_after_it(fresh: Engine) -> None:
    before = {t.name: keys(fresh, t.name) for t in TABLES}
    assert all(before.values())
    with load_mode(fresh, keys_of=TABLES) as writing:
        assert keys(fresh, "contributions")  # still on until the loader writes
        writing()
        assert all(not keys(fresh, t.name) for t in TABLES)
    assert {t.name: keys(fresh, t.name) for t in TABLES} == before
    assert migrate.drift(fresh) == []
    with fresh.begin() as conn, pytest.raises(Exception, match="foreign key"):
        conn.execute(text(ORPHAN))  # enforced again, row by row


def test_a_row_that_breaks_a_key_is_reported_and_that_key_stays_off(fresh: Engine) -> None:
    with pytest.raises(Conflict) as caught:
        load(fresh, ORPHAN, keys_of=TABLES)
    assert caught.value.code == "db.foreign_key"
    assert "fk_account_entries_person_id_persons" in caught.value.en
    assert "fk_account_entries_person_id_persons" not in keys(fresh, "account_entries")
    assert "fk_account_entries_journal_id_journals" in keys(fresh, "account_entries")
    assert any("fk_account_entries_person_id_persons" in str(d) for d in migrate.drift(fresh))


def test_keys_left_off_by_a_killed_load_come_back_with_the_next_one(fresh: Engine) -> None:
    with fresh.begin() as conn:  # as a loader killed inside the block leaves them
        conn.execute(
            text("ALTER TABLE contributions DROP CONSTRAINT fk_contributions_person_id_persons")
        )
    assert migrate.drift(fresh) != []
    with load_mode(fresh, keys_of=TABLES):
        pass
    assert migrate.drift(fresh) == []


UNIQUE = index_named(contributions, "uq_contributions_person_id_scheme_period_entry_no")
BY_PERSON = index_named(account_entries, "ix_account_entries_person_id_scheme_effective_on")
# A person with an agency, and the same contribution month twice for them, written below the
# use cases: it breaks the one-record-per-month constraint.
PERSON = (
    "INSERT INTO persons (id, id_number, name, sex, birth_date, hukou_region_code, "
    "retirement_category, created_at) VALUES (1, '440106197005010011', '甲', 'M', '1970-05-01', "
    "'440106', 'male', now())"
)
AGENCY = (
    "INSERT INTO agencies (id, code, name, level, address, department, phone, hours, created_at) "
    "VALUES (1, '10000000', '机构', 'national', '北京', '中心', '010-1', '9-17', now())"
)
MONTH = (
    "INSERT INTO contributions (person_id, scheme, agency_id, region, period, entry_no, kind, "
    "base, employer_part, individual_part, to_account, lump_sum, batch, created_at) VALUES "
    + ", ".join(
        [
            "(1, 'enterprise', 1, '440100', 202401, 0, 'flexible', 500000, 0, 100000, "
            "40000, false, 'test', now())"
        ]
        * 2
    )
)  # the same month twice


def a_person_at_an_agency(engine: Engine) -> None:
    """What MONTH's rows point to, written below the use cases."""
    with UnitOfWork(engine, SystemClock()) as uow:
        sync_regions(uow)
        uow.commit()
    with engine.begin() as conn:
        conn.execute(text(PERSON))
        conn.execute(text(AGENCY))


def definitions(engine: Engine) -> dict[str, str]:
    """Each index of the record tables by name, as PostgreSQL would create it again."""
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                    "('contributions', 'contribution_payments', 'account_entries')"
                )
            ).all()
        )


def missing(engine: Engine) -> set[str]:
    """The indexes and unique constraints ``jinbao db check`` finds missing."""
    return {
        str(item.name) for kind, item, *_ in migrate.drift(engine)
        if kind in ("add_index", "add_constraint")
    }  # fmt: skip


def test_the_indexes_are_off_inside_the_block_and_built_after_it(fresh: Engine) -> None:
    before = definitions(fresh)
    assert {UNIQUE.name, BY_PERSON.name} <= before.keys()
    with load_mode(fresh, indexes=[UNIQUE, BY_PERSON]) as writing:
        writing()
        inside = definitions(fresh)
        assert inside.keys() == before.keys() - {UNIQUE.name, BY_PERSON.name}
        assert missing(fresh) == {UNIQUE.name, BY_PERSON.name}
        # jinbao db check names them in words and says what adds them back
        found = migrate.drift(fresh)
        assert sorted(migrate.described(d) for d in found) == [
            (f"缺少索引 {BY_PERSON.name}（表 account_entries）",
             f"missing index {BY_PERSON.name} on account_entries"),
            (f"缺少约束 {UNIQUE.name}（表 contributions）",
             f"missing constraint {UNIQUE.name} on contributions"),
        ]  # fmt: skip
        assert migrate.missing_after_load(found)
    assert definitions(fresh) == before  # the same columns, INCLUDE lists and uniqueness
    assert migrate.drift(fresh) == []
    assert not migrate.missing_after_load([])


def test_rows_that_break_a_unique_constraint_are_reported_and_it_stays_off(
    fresh: Engine,
) -> None:
    a_person_at_an_agency(fresh)
    with pytest.raises(Conflict) as caught:
        # nothing refuses the second month while the constraint is off
        load(fresh, MONTH, indexes=[UNIQUE, BY_PERSON])
    assert caught.value.code == "db.unique"
    assert str(UNIQUE.name) in caught.value.en
    assert str(UNIQUE.name) in caught.value.zh
    assert str(BY_PERSON.name) not in caught.value.en
    assert set(definitions(fresh)) >= {BY_PERSON.name}  # the other one was built
    assert UNIQUE.name not in definitions(fresh)
    assert missing(fresh) == {UNIQUE.name}
    # Mended, the next load (or a rerun of the killed one) adds it back.
    with fresh.begin() as conn:
        conn.execute(text("DELETE FROM contributions"))
    with load_mode(fresh, indexes=[UNIQUE, BY_PERSON]):
        pass
    assert migrate.drift(fresh) == []
    with fresh.begin() as conn, pytest.raises(Exception, match="unique"):
        conn.execute(text(MONTH))  # enforced again, row by row


def test_a_load_that_writes_nothing_takes_nothing_off_and_builds_only_what_is_missing(
    fresh: Engine,
) -> None:
    before = index_ids(fresh)
    steps: list[tuple[str, int, int]] = []
    with load_mode(
        fresh, keys_of=TABLES, indexes=[UNIQUE, BY_PERSON], on_step=lambda *s: steps.append(s)
    ):
        pass  # a rerun of a finished load: every chunk found written, nothing to write
    assert index_ids(fresh) == before  # not one dropped and built again
    assert steps == []
    assert migrate.drift(fresh) == []
    # A load killed while it built and checked them left one index and one key off: the next
    # run that writes nothing builds and checks those two alone.
    with fresh.begin() as conn:
        conn.execute(text(f"DROP INDEX {BY_PERSON.name}"))
        conn.execute(
            text("ALTER TABLE contributions DROP CONSTRAINT fk_contributions_person_id_persons")
        )
    with load_mode(
        fresh, keys_of=TABLES, indexes=[UNIQUE, BY_PERSON], on_step=lambda *s: steps.append(s)
    ):
        pass
    assert steps == [
        (str(BY_PERSON.name), 0, 3),
        ("fk_contributions_person_id_persons", 1, 3),
        ("ANALYZE", 2, 3),
        ("", 3, 3),
    ]
    after = index_ids(fresh)
    assert after[str(UNIQUE.name)] == before[str(UNIQUE.name)]
    assert after.keys() == before.keys()
    assert migrate.drift(fresh) == []


def test_a_load_that_breaks_a_unique_constraint_and_a_key_names_both(fresh: Engine) -> None:
    a_person_at_an_agency(fresh)
    with pytest.raises(Conflict) as caught:
        load(fresh, MONTH, ORPHAN, keys_of=TABLES, indexes=[UNIQUE, BY_PERSON])
    assert caught.value.code == "db.unique"
    for name in (str(UNIQUE.name), "fk_account_entries_person_id_persons"):
        assert name in caught.value.en
        assert name in caught.value.zh
    assert missing(fresh) == {UNIQUE.name}
    assert "fk_account_entries_person_id_persons" not in keys(fresh, "account_entries")
