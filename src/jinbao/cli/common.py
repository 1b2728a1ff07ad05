"""What every command shares: settings and engine, output for people or JSON, exit codes.

Exit codes: 0 success; 1 failure (the system could not do it: database down, not migrated,
unexpected error); 2 bad input (fix the input: malformed value, invalid file, unknown option);
3 refused (the input is well-formed but the records say no: duplicate, not found, wrong order).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from jinbao.db import migrate
from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import DomainError
from jinbao.settings import Settings, SettingsError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
EXIT_BY_KIND = {
    "invalid": EXIT_BAD_INPUT,
    "not_found": EXIT_REFUSED,
    "conflict": EXIT_REFUSED,
    "unavailable": EXIT_FAILURE,  # this machine lacks something (a font); nothing was wrong
}

MAX_SHOWN = 30  # problems printed for people; --json gives them all
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
T = TypeVar("T")


@cache
def settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        fail(EXIT_BAD_INPUT, "settings", f"设置错误：{exc}", f"Bad setting: {exc}", as_json=False)


@cache
def engine(*, require_migrated: bool = True) -> Engine:
    eng = make_engine(settings().database_url)
    if require_migrated:
        try:
            current = migrate.current_revision(eng)
        except OperationalError as exc:
            fail(
                EXIT_FAILURE,
                "database.unavailable",
                f"无法连接数据库：{exc.orig}",
                f"Cannot reach the database: {exc.orig}",
                as_json=False,
            )
        if current != migrate.head_revision():
            fail(
                EXIT_FAILURE,
                "database.not_migrated",
                "数据库结构不是最新版本，请先运行 jinbao db upgrade。",
                "The database schema is not up to date; run 'jinbao db upgrade' first.",
                as_json=False,
            )
    return eng


def uow(actor: str = "cli", *, write: bool = True, snapshot: bool = False) -> UnitOfWork:
    return UnitOfWork(engine(), actor=actor, write=write, snapshot=snapshot)


def fail(
    exit_code: int,
    code: str,
    zh: str,
    en: str,
    *,
    as_json: bool,
    issues: list[dict[str, object]] | None = None,
) -> NoReturn:
    if as_json:
        body: dict[str, object] = {"error": {"code": code, "zh": zh, "en": en}}
        if issues:
            body["error"] = {**body["error"], "errors": issues}  # type: ignore[dict-item]
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"错误 Error [{code}]\n  {zh}\n  {en}", err=True)
        shown = [i for i in issues or [] if i.get("zh") != zh]  # skip an issue restating the error
        for issue in shown[:MAX_SHOWN]:
            where = ", ".join(
                f"{k} {issue[k]}" for k in ("row", "field") if issue.get(k) is not None
            )
            typer.echo(f"  - {where}: {issue['zh']} / {issue['en']}", err=True)
        if len(shown) > MAX_SHOWN:
            more = len(shown) - MAX_SHOWN
            typer.echo(f"  … 另有 {more} 处 / {more} more (--json lists all)", err=True)
    raise typer.Exit(exit_code)


def guard(action: Callable[[], T], *, as_json: bool) -> T:
    """Run ``action``; a domain error becomes its message and exit code."""
    try:
        return action()
    except DomainError as exc:
        fail(
            EXIT_BY_KIND[exc.kind],
            exc.code,
            exc.zh,
            exc.en,
            as_json=as_json,
            issues=[i.as_dict() for i in exc.issues],
        )


def run(
    action: Callable[[UnitOfWork], T], *, as_json: bool, write: bool, snapshot: bool = False
) -> T:
    """Run one use case in its unit of work (``snapshot``: see :class:`UnitOfWork`); map domain
    errors to messages and exit codes."""

    def in_unit_of_work() -> T:
        with uow(write=write, snapshot=snapshot) as unit:
            result = action(unit)
            if write:
                unit.commit()
            return result

    return guard(in_unit_of_work, as_json=as_json)


def emit(result: BaseModel | list[Any], as_json: bool, human: Callable[[], str]) -> None:
    """Print the result: JSON (the API's schema) with --json, else the human rendering."""
    if as_json:
        if isinstance(result, list):
            data: Any = [r.model_dump(mode="json") for r in result]
        else:
            data = result.model_dump(mode="json")
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo(human())


def read_file(path: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        fail(
            EXIT_BAD_INPUT,
            "file.unreadable",
            f"无法读取文件 {path}：{exc.strerror}",
            f"Cannot read {path}: {exc.strerror}",
            as_json=False,
        )
