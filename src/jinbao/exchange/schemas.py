"""JSON Schemas (draft 2020-12) of every document body, by type and version: the interface spec.

Field lists follow the forms of the 经办规程 as recovered from production systems (POLICY Part II
§8: 参保缴费凭证, 申请表, 联系函, 信息表) and the record rules of the 信息表 (POLICY §9: one record
per calendar year, split on interruption, base or rate changes and regions; back-payments under
the year they belong to). Amounts are integer fen; months are ``YYYY-MM``; dates ``YYYY-MM-DD``.
A new field that a receiver may ignore is a new minor addition within the version; a change that
breaks a receiver is a new version.
"""

from __future__ import annotations

from typing import Any

from jinbao.exchange.model import DocumentType

FEN = {"type": "integer", "minimum": 0}
MONTH = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
REGION = {"type": "string", "pattern": r"^\d{6}$"}
MESSAGES = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "required": ["code", "zh", "en"], "additionalProperties": False,
              "properties": {"code": TEXT, "zh": TEXT, "en": TEXT, "field": TEXT}},
}  # fmt: skip
PERSON = {
    "type": "object", "required": ["id_number", "name"], "additionalProperties": False,
    "properties": {"id_number": {"type": "string", "pattern": r"^\d{17}[\dX]$"}, "name": TEXT},
}  # fmt: skip
AGENCY = {
    "type": "object", "required": ["code", "name", "region_code"], "additionalProperties": False,
    "properties": {"code": TEXT, "name": TEXT, "region_code": REGION, "phone": TEXT, "address": TEXT, "postcode": TEXT},
}  # fmt: skip
BANK = {
    "type": "object", "required": ["account_name", "bank", "account_number"], "additionalProperties": False,
    "properties": {"account_name": TEXT, "bank": TEXT, "bank_code": TEXT, "account_number": TEXT},
}  # fmt: skip
PORTIONS = {
    "type": "object", "additionalProperties": False,
    "properties": {"pre1998": FEN, "y1998_2005": FEN, "from2006": FEN},
}  # fmt: skip
KINDS = [
    "cross_province",
    "intra_province",
    "temporary_gathering",
    "return_to_receiving_place",
    "linkage_to_employee",
    "linkage_to_resident",
    "bulk_employer",
]


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "required": required, "additionalProperties": False, "properties": properties,
    }  # fmt: skip


V1: dict[DocumentType, dict[str, Any]] = {
    DocumentType.APPLICATION: _object(
        ["person", "scheme", "kind", "from_agency", "to_agency", "applied_on"],
        {
            "person": PERSON,
            "scheme": {"enum": ["enterprise", "resident", "public"]},
            "kind": {"enum": KINDS},
            "from_agency": AGENCY,
            "to_agency": AGENCY,
            "applied_on": DATE,
            "phone": TEXT,
            "agent": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "relation"],
                "properties": {"name": TEXT, "relation": TEXT, "phone": TEXT, "address": TEXT},
            },
            "employer_uscc": {"type": "string", "pattern": r"^[0-9A-HJ-NPQRTUWXY]{18}$"},
        },
    ),
    DocumentType.CONTACT_LETTER: _object(
        ["person", "application_id", "transferring_agency", "receiving_agency", "receiving_bank"],
        {
            "person": PERSON,
            "application_id": TEXT,
            "transferring_agency": AGENCY,
            "receiving_agency": AGENCY,
            "receiving_bank": BANK,
            "direction": {"enum": KINDS},
            "scheme": {"enum": ["enterprise", "resident", "public"]},
            "applied_on": DATE,
        },
    ),
    DocumentType.REFUSAL: _object(
        ["person", "reasons"], {"person": PERSON, "reasons": MESSAGES, "refused_on": DATE}
    ),
    DocumentType.CORRECTION_REQUEST: _object(
        ["person", "items", "requested_on"],
        {"person": PERSON, "items": MESSAGES, "requested_on": DATE},
    ),
    DocumentType.CERTIFICATE: _object(
        ["person", "insured_from", "insured_to", "paid_months", "account_balance", "agency"],
        {
            "person": PERSON,
            "insured_from": MONTH,
            "insured_to": MONTH,
            "paid_months": {"type": "integer", "minimum": 0},
            "account_balance": FEN,
            "agency": AGENCY,
            "hukou_address": TEXT,
            "verification_code": TEXT,
        },
    ),
    DocumentType.INFO_TABLE: _object(
        ["person", "transferred_on", "years", "funds"],
        {
            "person": PERSON,
            "transferred_on": DATE,
            "employer_name": TEXT,
            "years": {
                "type": "array",
                "items": _object(
                    ["year", "region_code", "from", "to", "months", "base", "rate", "pooled"],
                    {
                        "year": {"type": "integer", "minimum": 1950, "maximum": 2200},
                        "region_code": REGION,
                        "from": MONTH,
                        "to": MONTH,
                        "months": {"type": "integer", "minimum": 0, "maximum": 12},
                        "base": FEN,
                        "rate": {"type": "string", "pattern": r"^0\.\d+$"},
                        "pooled": FEN,
                        "kind": {
                            "enum": [
                                "employee",
                                "flexible",
                                "temporary",
                                "deemed",
                                "back_payment",
                                "resident",
                            ]
                        },
                        "account_year_end": FEN,
                        "note": TEXT,
                        # resident-scheme years (城乡居保, for linkage): what the person and the
                        # collective paid, refunded for months that overlap employee months
                        "individual": FEN,
                        "collective": FEN,
                    },
                ),
            },
            "funds": _object(
                ["account", "pooled", "total"], {"account": PORTIONS, "pooled": FEN, "total": FEN}
            ),
            "deemed_months": {"type": "integer", "minimum": 0},
            "exclusions": MESSAGES,
        },
    ),
    DocumentType.FUND_SLIP: _object(
        ["transfer_key", "pooled", "account", "total", "from_bank", "to_bank", "sent_on"],
        {
            "transfer_key": TEXT,
            "pooled": FEN,
            "account": FEN,
            "total": FEN,
            "from_bank": BANK,
            "to_bank": BANK,
            "sent_on": DATE,
        },
    ),
    DocumentType.COMPLETION: _object(
        ["person", "completed_on", "accepted_months", "accepted_total"],
        {
            "person": PERSON,
            "completed_on": DATE,
            "accepted_months": {"type": "integer", "minimum": 0},
            "accepted_total": FEN,
            "note": TEXT,
        },
    ),
}

SCHEMAS: dict[int, dict[DocumentType, dict[str, Any]]] = {1: V1}


def schema_for(document_type: DocumentType, version: int) -> dict[str, Any]:
    return SCHEMAS[version][document_type]
