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
    found = migrate.drift(eng) if current == head else []
    words = [migrate.described(d) for d in found]
    ok = current == head and not found
    result = {
        "ok": ok,
        "database": describe(eng),
        "revision": current,
        "head": head,
        "drift": [en for _, en in words],
    }
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    elif ok:
        typer.echo(f"数据库正常 OK: {describe(eng)['url']} at revision {current}, no drift.")
    if not ok:
        zh = "".join(f"\n  - {z}" for z, _ in words) or "无"
        en = "".join(f"\n  - {e}" for _, e in words) or "none"
        if migrate.missing_after_load(found):
            zh += (
                "\n  批量写入（jinbao sim generate）中途停止时会留下这些缺失："
                "用相同参数再运行一次即可补回。"
            )
            en += (
                "\n  A bulk load stopped before its end (jinbao sim generate) leaves these off: "
                "run it again with the same options to add them back."
            )
        fail(
            EXIT_FAILURE,
            "database.check_failed",
            f"数据库版本 {current}，最新 {head}；差异：{zh}",
            f"Database at revision {current}, head {head}; drift: {en}",
            as_json=False,
        )
