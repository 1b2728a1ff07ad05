"""What a server process imports: the app, and not the libraries of rare requests.

Each of ``jinbao serve``'s processes imports the app; the PDF forms and notices (fpdf, segno),
the scan reader (pypdfium2, zxing-cpp, Pillow) and the migrations (Alembic) are imported on
first use. Imported with the app they held some 40 MB of each process (session 25), against
the load test's bound of 500 MB for the whole server. A server on SQLite does not import
psycopg (8 MB a process): the driver's path past psycopg's cursor is imported when a statement
is first planned for PostgreSQL (session 36).
"""

from __future__ import annotations

import json
import subprocess
import sys

ON_FIRST_USE = ("fpdf", "segno", "pypdfium2", "zxingcpp", "PIL", "alembic")


def imported_by(statement: str, wanted: tuple[str, ...] = ON_FIRST_USE) -> set[str]:
    """The top-level packages among ``wanted`` that ``statement`` imports, in a fresh
    interpreter."""
    names = list(wanted)
    code = (
        f"import sys, json; {statement}; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({names!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_the_app_imports_none_of_them() -> None:
    assert imported_by("import jinbao.web.app") == set()


def test_a_paper_form_or_a_notice_imports_the_pdf_stack_when_asked() -> None:
    """The control: the modules that render import it (so the check above can fail)."""
    assert {"fpdf", "segno"} <= imported_by("import jinbao.exchange.forms")
    assert "fpdf" in imported_by("import jinbao.benefits.notice")


def test_a_driver_statement_planned_for_sqlite_leaves_psycopg_unloaded() -> None:
    """And the control: planned for PostgreSQL, it loads it."""
    plan = "from jinbao.records.service import _READ_RECORD as r; r._plan({}.dialect())"
    sqlite = "import jinbao.web.app; from sqlalchemy.dialects import sqlite; " + plan
    postgresql = "from sqlalchemy.dialects.postgresql import psycopg; " + plan
    assert imported_by(sqlite.format("sqlite"), ("psycopg",)) == set()
    assert imported_by(postgresql.format("psycopg"), ("psycopg",)) == {"psycopg"}
