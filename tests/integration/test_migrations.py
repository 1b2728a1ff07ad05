"""The schema is built by the migrations, on both engines, and matches the tables in code."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, inspect, text

from jinbao.db import migrate
from jinbao.db.engine import make_engine


def test_the_database_is_at_the_newest_revision_with_no_drift(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.drift(engine) == []


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, new_database: Callable[[str], str]) -> Iterator[Engine]:
    """A database of its own, migrated to the newest revision, for tests that change its schema."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster")
    engine = make_engine(new_database(request.param))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def test_drift_is_detected_when_the_schema_and_the_code_disagree(fresh: Engine) -> None:
    with fresh.begin() as conn:
        conn.execute(text("ALTER TABLE persons ADD COLUMN nickname VARCHAR(20)"))
    differences = migrate.drift(fresh)
    assert any("nickname" in str(d) for d in differences)


def test_migrations_go_down_and_up_again(fresh: Engine) -> None:
    migrate.downgrade(fresh, "base")
    assert set(inspect(fresh).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(fresh)
    assert migrate.drift(fresh) == []
