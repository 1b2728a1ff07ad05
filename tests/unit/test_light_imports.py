"""What a server process imports: the app, and not the libraries of rare requests.

Each of ``jinbao serve``'s processes imports the app; the PDF forms and notices (fpdf, segno),
the scan reader (pypdfium2, zxing-cpp, Pillow) and the migrations (Alembic) are imported on
first use. Imported with the app they held some 40 MB of each process (session 25), against
the load test's bound of 500 MB for the whole server.
"""

from __future__ import annotations

import json
import subprocess
import sys

ON_FIRST_USE = ("fpdf", "segno", "pypdfium2", "zxingcpp", "PIL", "alembic")


def imported_by(statement: str) -> set[str]:
    """The top-level packages among ON_FIRST_USE that ``statement`` imports, in a fresh
    interpreter."""
    wanted = list(ON_FIRST_USE)
    code = (
        f"import sys, json; {statement}; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({wanted!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_the_app_imports_none_of_them() -> None:
    assert imported_by("import jinbao.web.app") == set()


def test_a_paper_form_or_a_notice_imports_the_pdf_stack_when_asked() -> None:
    """The control: the modules that render import it (so the check above can fail)."""
    assert {"fpdf", "segno"} <= imported_by("import jinbao.exchange.forms")
    assert "fpdf" in imported_by("import jinbao.benefits.notice")
