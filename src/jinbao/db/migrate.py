"""Run the Alembic migrations and check the live schema against the tables (drift check).

Alembic is imported by the functions that migrate or compare, not with this module: a server
process needs only the revisions (its health check), which are read without it — Alembic held
some 11 MB of each server process (session 25).
"""

from __future__ import annotations

import pathlib
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, inspect, text

from jinbao.db.schema import metadata

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = pathlib.Path(__file__).parent / "migrations"


def _config(connection: Any) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the database back to ``revision`` ("base" empties it)."""
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, from Alembic's own table; None before any migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


# A migration script names itself and the one it revises: revision = "0015", down_revision = …
_NAMES = re.compile(r'^(down_)?revision\s*=\s*"([^"]+)"', re.MULTILINE)


def head_revision() -> str:
    """The newest revision shipped: the one no script revises, read from the scripts' text (a
    test holds it to Alembic's own answer). The history is one line: two heads are an error."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for down, name in _NAMES.findall(script.read_text(encoding="utf-8")):
            (revised if down else revisions).add(name)
    heads = sorted(revisions - revised)
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must have one head, found {heads}")
    return heads[0]


def drift(engine: Engine) -> list[Any]:
    """Differences between the migrated schema and the tables in code; empty when in step."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

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
