"""Readable builders for test data: valid identifiers and a small agency tree."""

from __future__ import annotations

import datetime as dt
import itertools

from jinbao.db.uow import UnitOfWork
from jinbao.kernel.identifiers import resident_id_check_character, uscc_check_character
from jinbao.registry import service
from jinbao.registry.model import AgencyLevel, Contact

_sequence = itertools.count(1)


def an_id_number(born: str = "1970-05-01", sex: str = "M", county: str = "440106") -> str:
    """A valid 公民身份号码 for someone born on ``born`` (YYYY-MM-DD) of ``sex`` in ``county``."""
    n = next(_sequence) % 500
    seq = n * 2 + (1 if sex == "M" else 0)
    body = f"{county}{born.replace('-', '')}{seq:03d}"
    return body + resident_id_check_character(body)


def a_uscc(region: str = "440106") -> str:
    body = f"91{region}{next(_sequence):09d}"
    return body + uscc_check_character(body)


def a_contact(**overrides: str) -> Contact:
    values = {
        "address": "广州市天河区体育西路1号",
        "department": "养老保险关系转移接续科",
        "phone": "020-12345678",
        "hours": "周一至周五 9:00-17:00",
    }
    values.update(overrides)
    return Contact(**values)


def an_agency_tree(uow: UnitOfWork) -> None:
    """National centre → 广东 (44) → 广州 (4401) → 天河区 (440106); 河南 (41) → 郑州 (4101)."""
    rows = [
        ("10000000", "社保中心", AgencyLevel.NATIONAL, None, None),
        ("44000000", "广东省社保局", AgencyLevel.PROVINCE, "10000000", "440000"),
        ("44010000", "广州市社保中心", AgencyLevel.CITY, "44000000", "440100"),
        ("44010600", "天河区社保中心", AgencyLevel.COUNTY, "44010000", "440106"),
        ("41000000", "河南省社保局", AgencyLevel.PROVINCE, "10000000", "410000"),
        ("41010000", "郑州市社保中心", AgencyLevel.CITY, "41000000", "410100"),
    ]
    for code, name, level, parent, region in rows:
        service.add_agency(
            uow,
            service.NewAgency(code, name, level, parent, region, a_contact(), dt.date(2011, 1, 1)),
        )
