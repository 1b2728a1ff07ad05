"""Fixtures: a fixed clock, and the migrated database on both engines (SQLite, PostgreSQL).

Integration tests take ``engine``, parametrised over both engines. The PostgreSQL cluster is
started once per session; without PostgreSQL binaries those tests skip with a one-line reason,
except under CI=true, where a missing PostgreSQL is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import tempfile
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy import Engine, text

from jinbao.db import migrate
from jinbao.db.engine import make_engine
from jinbao.db.schema import metadata
from jinbao.db.throwaway import Cluster, find_bin_dir, start_cluster
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.registry.regions import sync_regions

# No per-example deadline: on a loaded 2-core CI machine a slow example is not a failure.
settings.register_profile("jinbao", deadline=None)
settings.load_profile("jinbao")

TODAY = dt.date(2026, 11, 23)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def clock() -> FixedClock:
    return FixedClock.on(TODAY)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = "PostgreSQL binaries (initdb, pg_ctl) not found on PATH or /usr/lib/postgresql"
        if IN_CI:
            pytest.fail(f"{reason}; they are mandatory under CI=true", pytrace=False)
        pytest.skip(reason)
    cluster = start_cluster(bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def new_database(
    pg_cluster_or_none: Cluster | None, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """Make an empty database of the given engine and return its URL."""

    def make(kind: str) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        if kind == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / (name + '.db')}"
        assert pg_cluster_or_none is not None
        with psycopg.connect(
            f"host={pg_cluster_or_none.socket_dir} user=jinbao dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return pg_cluster_or_none.url(name)

    return make


@pytest.fixture(scope="session")
def pg_cluster_or_none(request: pytest.FixtureRequest) -> Cluster | None:
    if find_bin_dir() is None and not IN_CI:
        return None
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=ENGINES)
def migrated_engine(
    request: pytest.FixtureRequest, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A database of each engine, built by the migrations, with the regions loaded."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster")
    make: Callable[[str], str] = request.getfixturevalue("new_database")
    engine = make_engine(make(request.param))
    migrate.upgrade(engine)
    with UnitOfWork(engine, clock) as uow:
        sync_regions(uow)
        uow.commit()
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, new_database: Callable[[str], str]) -> Iterator[Engine]:
    """A database of its own, migrated to the newest revision, for tests that change its schema
    (for one engine only: ``@pytest.mark.parametrize("fresh", [...], indirect=True)``)."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster")
    engine = make_engine(new_database(request.param))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


DATA_TABLES = [t for t in reversed(metadata.sorted_tables) if t.name != "regions"]


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """The migrated database, emptied of everything but the reference data after each test."""
    yield migrated_engine
    with migrated_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in DATA_TABLES)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in DATA_TABLES:
                conn.execute(table.delete())


@pytest.fixture
def make_uow(engine: Engine, clock: FixedClock) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(engine, clock, actor="test")


@pytest.fixture
def sqlite_url() -> Iterator[str]:
    """A fresh, empty SQLite file for end-to-end tests of the CLI and the server."""
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{pathlib.Path(tmp) / 'jinbao.db'}"
