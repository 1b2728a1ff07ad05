"""CSV imports: all or nothing, every problem reported by row, on both engines."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select

from jinbao.audit.tables import audit_log
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput
from jinbao.registry import imports, repository
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.helpers import commit, rejected, row_counts

Uow = Callable[[], UnitOfWork]


def added(engine: Engine, action: str) -> dict[str, dict[str, object]]:
    """The audit rows of ``action``: what each registration wrote, by its key."""
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == action)).all()
    return {row.entity_key: row.new for row in rows}


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_clean_file_imports_every_person(engine: Engine, make_uow: Uow) -> None:
    a = an_id_number(born="1980-01-31", sex="F", county="510107")
    b = an_id_number(born="1966-12-01", sex="M", county="410105")
    data = csv(
        "id_number,name,hukou_region_code,sex,retirement_category,phone",
        f"{a},王芳,510107,女,female_55,13800000000",
        f"{b},赵强,410105,M,,",
        "",
    )
    report = commit(make_uow, lambda uow: imports.import_persons(uow, data))
    assert (report.rows, report.imported) == (2, 2)
    with make_uow() as uow:
        assert repository.get_person(uow, a).retirement_category.value == "female_55"  # type: ignore[union-attr]
    audited = added(engine, "person.add")
    assert sorted(audited) == sorted([a, b])  # a row each, as one registration writes it
    assert (audited[a]["name"], audited[a]["hukou_region_code"]) == ("王芳", "510107")


def test_one_bad_row_rejects_the_whole_file_and_lists_every_problem(
    engine: Engine, make_uow: Uow
) -> None:
    good = an_id_number(county="440106")
    registered = an_id_number(county="440106")
    commit(make_uow, lambda uow: imports.import_persons(uow, csv(
        "id_number,name,hukou_region_code", f"{registered},已登记,440106")))  # fmt: skip
    data = csv(
        "id_number,name,hukou_region_code,sex",
        f"{good},好人,440106,",  # row 2: fine
        "110105194912310021,坏号码,110105,",  # row 3: checksum
        f"{good},重复,440106,",  # row 4: same number as row 2
        f"{an_id_number(sex='M')},性别错,440106,女",  # row 5: sex disagrees with the number
        f"{registered},已登记,440106,",  # row 6: already registered
        f"{an_id_number()},无户籍,999999,",  # row 7: unknown region
    )
    error = rejected(engine, make_uow, lambda uow: imports.import_persons(uow, data), InvalidInput)
    assert error.code == "import.rejected"
    assert [(i.row, i.code) for i in error.issues] == [
        (3, "id_number.checksum"),
        (4, "person.duplicate"),
        (5, "person.sex_mismatch"),
        (6, "person.duplicate"),
        (7, "person.hukou_region"),
    ]
    assert "第2行" in error.issues[1].zh


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "import.empty"),
        (csv("id_number,name"), "import.missing_column"),
        (csv("id_number,name,hukou_region_code,salary"), "import.unknown_column"),
        (csv("id_number,name,hukou_region_code"), "import.no_rows"),
        (csv("id_number,name,hukou_region_code", "1,2"), "import.column_count"),
        (b"\xff\xfe\x00\x00garbage\x81", "import.encoding"),
    ],
)
def test_malformed_files_are_rejected_with_a_reason(
    engine: Engine, make_uow: Uow, data: bytes, code: str
) -> None:
    error = rejected(engine, make_uow, lambda uow: imports.import_persons(uow, data), InvalidInput)
    codes = [i.code for i in error.issues] or [error.code]
    assert code in codes


def test_a_gb18030_file_from_a_chinese_spreadsheet_imports(engine: Engine, make_uow: Uow) -> None:
    number = an_id_number(county="440106")
    data = f"id_number,name,hukou_region_code\r\n{number},欧阳娜娜,440106\r\n".encode("gb18030")
    commit(make_uow, lambda uow: imports.import_persons(uow, data))
    with make_uow() as uow:
        assert repository.get_person(uow, number).name == "欧阳娜娜"  # type: ignore[union-attr]


def test_employers_import_all_or_nothing(engine: Engine, make_uow: Uow) -> None:
    commit(make_uow, an_agency_tree)
    first, second = a_uscc(), a_uscc()
    bad = csv("uscc,name,agency_code", f"{first},甲公司,44010600", f"{second},乙公司,NOPE0000")
    error = rejected(engine, make_uow, lambda uow: imports.import_employers(uow, bad), InvalidInput)
    assert [(i.row, i.code) for i in error.issues] == [(3, "agency.unknown")]
    good = csv("uscc,name,agency_code", f"{first},甲公司,44010600", f"{second},乙公司,41010000")
    commit(make_uow, lambda uow: imports.import_employers(uow, good))
    assert row_counts(engine)["employers"] == 2
    assert added(engine, "employer.add") == {
        first: {"name": "甲公司", "agency_code": "44010600"},
        second: {"name": "乙公司", "agency_code": "41010000"},
    }
