"""One example body per document type (v1), used for golden files and round trips."""

from __future__ import annotations

from typing import Any

from jinbao.exchange.model import Document, DocumentType, Envelope

PERSON = {"id_number": "11010519491231002X", "name": "王芳"}
FROM = {
    "code": "44010600",
    "name": "广州市天河区社会保险经办服务中心",
    "region_code": "440106",
    "phone": "020-12345678",
}
TO = {"code": "41010500", "name": "郑州市金水区社会保险中心", "region_code": "410105"}
BANK = {
    "account_name": "郑州市社会保险基金收入户",
    "bank": "中国工商银行郑州分行",
    "account_number": "1702020009000000001",
}

BODIES: dict[DocumentType, dict[str, Any]] = {
    DocumentType.APPLICATION: {
        "person": PERSON,
        "scheme": "enterprise",
        "kind": "cross_province",
        "from_agency": FROM,
        "to_agency": TO,
        "applied_on": "2026-11-02",
    },
    DocumentType.CONTACT_LETTER: {
        "person": PERSON,
        "application_id": "a1",
        "transferring_agency": FROM,
        "receiving_agency": TO,
        "receiving_bank": BANK,
    },
    DocumentType.REFUSAL: {
        "person": PERSON,
        "reasons": [
            {
                "code": "transfer.receiving_benefits",
                "zh": "已按月领取基本养老金，不再转移。",
                "en": "Already drawing a pension: no transfer.",
            }
        ],
    },
    DocumentType.CORRECTION_REQUEST: {
        "person": PERSON,
        "items": [
            {
                "code": "id_copy",
                "zh": "请补充身份证复印件。",
                "en": "Please add a copy of the ID card.",
            }
        ],
        "requested_on": "2026-11-05",
    },
    DocumentType.CERTIFICATE: {
        "person": PERSON,
        "insured_from": "2010-03",
        "insured_to": "2026-10",
        "paid_months": 200,
        "account_balance": 8_523_412,
        "agency": FROM,
    },
    DocumentType.INFO_TABLE: {
        "person": PERSON,
        "transferred_on": "2026-11-20",
        "years": [
            {
                "year": 2020,
                "region_code": "440106",
                "from": "2020-01",
                "to": "2020-12",
                "months": 12,
                "base": 500_000,
                "rate": "0.12",
                "pooled": 720_000,
            }
        ],
        "funds": {"account": {"from2006": 2_000_000}, "pooled": 720_000, "total": 2_720_000},
    },
    DocumentType.FUND_SLIP: {
        "transfer_key": "case-1",
        "pooled": 720_000,
        "account": 2_000_000,
        "total": 2_720_000,
        "from_bank": BANK,
        "to_bank": BANK,
        "sent_on": "2026-11-20",
    },
    DocumentType.COMPLETION: {
        "person": PERSON,
        "completed_on": "2026-11-25",
        "accepted_months": 12,
        "accepted_total": 2_720_000,
    },
}


def document(kind: DocumentType, body: dict[str, Any] | None = None) -> Document:
    envelope = Envelope(
        id=f"00000000-0000-4000-8000-{list(DocumentType).index(kind):012d}", type=kind, version=1,
        sender="44010600", receiver="41010500", case_id="case-1", in_reply_to=None,
        issued_at="2026-11-23T09:00:00+08:00",
    )  # fmt: skip
    return Document(envelope, BODIES[kind] if body is None else body)
