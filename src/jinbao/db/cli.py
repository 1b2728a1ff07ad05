"""``jinbao db``: migrate the database and check it against the code."""

from __future__ import annotations

import json

import typer

from jinbao.cli.common import EXIT_FAILURE, JsonOption, engine, fail
from jinbao.db import migrate
from jinbao.db.engine import describe
from jinbao.db.uow import UnitOfWork
from jinbao.registry.regions import sync_regions

app = typer.Typer(help="数据库 Database: migrations and checks.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(as_json: JsonOption = False) -> None:
    """Apply every pending migration, then sync the shipped reference data (regions)."""
    eng = engine(require_migrated=False)
    before = migrate.current_revision(eng)
    migrate.upgrade(eng)
    with UnitOfWork(eng, actor="db-upgrade") as uow:
        report = sync_regions(uow)
        uow.commit()
    after = migrate.current_revision(eng)
    result = {
        "database": describe(eng),
        "from_revision": before,
        "to_revision": after,
        "regions": {"inserted": report.inserted, "renamed": report.renamed, "total": report.total},
    }
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        typer.echo(
            f"数据库 database {describe(eng)['url']}: revision {before or '(empty)'} → {after}; "
            f"regions +{report.inserted} (renamed {report.renamed}, total {report.total})"
        )


@app.command("check")
def check(as_json: JsonOption = False) -> None:
    """Check the schema is migrated to the newest revision and matches the code (no drift)."""
    eng = engine(require_migrated=False)
    current, head = migrate.current_revision(eng), migrate.head_revision()
    differences = [str(d) for d in migrate.drift(eng)] if current == head else []
    ok = current == head and not differences
    result = {
        "ok": ok,
        "database": describe(eng),
        "revision": current,
        "head": head,
        "drift": differences,
    }
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    elif ok:
        typer.echo(f"数据库正常 OK: {describe(eng)['url']} at revision {current}, no drift.")
    if not ok:
        fail(
            EXIT_FAILURE,
            "database.check_failed",
            f"数据库版本 {current}，最新 {head}；差异：{differences or '无'}",
            f"Database at revision {current}, head {head}; drift: {differences or 'none'}",
            as_json=False,
        )
