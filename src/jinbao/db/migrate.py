"""Run the Alembic migrations and check the live schema against the tables (drift check)."""

from __future__ import annotations

import pathlib
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from jinbao.db.schema import metadata

MIGRATIONS = pathlib.Path(__file__).parent / "migrations"


def _config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the database back to ``revision`` ("base" empties it)."""
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config(None)).get_current_head()


def drift(engine: Engine) -> list[Any]:
    """Differences between the migrated schema and the tables in code; empty when in step."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, metadata))


# What each kind of difference a person can act on means, by Alembic's name for it.
_MISSING = {
    "add_fk": ("外键", "foreign key"),
    "add_index": ("索引", "index"),
    "add_constraint": ("约束", "constraint"),
}


def described(difference: Any) -> tuple[str, str]:
    """One difference of :func:`drift` in words (Chinese, English): a missing foreign key,
    index or constraint by its name and table (what a stopped bulk load leaves), anything else
    as Alembic renders it."""
    if _missing(difference):
        zh, en = _MISSING[difference[0]]
        item = difference[1]
        name, table = item.name, item.table.name
        return f"缺少{zh} {name}（表 {table}）", f"missing {en} {name} on {table}"
    return str(difference), str(difference)


def missing_after_load(differences: list[Any]) -> bool:
    """Whether every difference is a missing key, index or constraint: what a bulk load stopped
    before its end leaves (jinbao.db.bulk), and its rerun adds back."""
    return bool(differences) and all(_missing(d) for d in differences)


def _missing(difference: Any) -> bool:
    """Whether a difference is a key, index or constraint missing from the database."""
    return isinstance(difference, tuple) and bool(difference) and difference[0] in _MISSING
