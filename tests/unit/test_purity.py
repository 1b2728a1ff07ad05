"""The pure core imports no database, web or CLI library (STYLE.md habit 1)."""

from __future__ import annotations

import ast
import pathlib

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "jinbao"
FORBIDDEN = ("sqlalchemy", "fastapi", "starlette", "typer", "httpx", "jinja2", "alembic", "uvicorn")


def pure_modules() -> list[pathlib.Path]:
    found = list((SRC / "kernel").rglob("*.py")) + list(SRC.rglob("model.py"))
    found += list((SRC / "policy").rglob("*.py"))
    found += [SRC / "exchange" / "codec.py", SRC / "exchange" / "schemas.py"]
    return sorted(found)


def imported_roots(path: pathlib.Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_there_are_pure_modules_to_check() -> None:
    names = {p.relative_to(SRC).as_posix() for p in pure_modules()}
    assert {
        "kernel/identifiers.py",
        "registry/model.py",
        "policy/pension.py",
        "exchange/codec.py",
    } <= names


def test_pure_modules_import_no_io_framework() -> None:
    offenders = {
        p.relative_to(SRC).as_posix(): sorted(imported_roots(p) & set(FORBIDDEN))
        for p in pure_modules()
    }
    assert {k: v for k, v in offenders.items() if v} == {}
