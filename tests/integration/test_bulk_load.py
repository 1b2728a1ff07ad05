"""Bulk-load mode on PostgreSQL: foreign keys checked once after a load, never lost."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text

from jinbao.accounts.tables import account_entries
from jinbao.contributions.tables import contribution_payments, contributions
from jinbao.db import migrate
from jinbao.db.bulk import foreign_keys_checked_after
from jinbao.kernel.errors import Conflict

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


def test_the_keys_are_off_inside_the_block_and_back_after_it(fresh: Engine) -> None:
    before = {t.name: keys(fresh, t.name) for t in TABLES}
    assert all(before.values())
    with foreign_keys_checked_after(fresh, TABLES):
        assert all(not keys(fresh, t.name) for t in TABLES)
    assert {t.name: keys(fresh, t.name) for t in TABLES} == before
    assert migrate.drift(fresh) == []
    with fresh.begin() as conn, pytest.raises(Exception, match="foreign key"):
        conn.execute(text(ORPHAN))  # enforced again, row by row


def test_a_row_that_breaks_a_key_is_reported_and_that_key_stays_off(fresh: Engine) -> None:
    with (
        pytest.raises(Conflict) as caught,
        foreign_keys_checked_after(fresh, TABLES),
        fresh.begin() as conn,
    ):
        conn.execute(text(ORPHAN))
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
    with foreign_keys_checked_after(fresh, TABLES):
        pass
    assert migrate.drift(fresh) == []
