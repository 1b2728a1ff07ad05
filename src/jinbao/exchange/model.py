"""Documents between agencies, pure: types, the envelope, and signed documents.

Every document of the transfer procedure (国办发〔2009〕66号 第八条; POLICY §9 and Part II §8) is
an envelope — id, type, schema version, sending and receiving agency, case, the document it
answers, when it was issued — and a body checked against the type's JSON Schema. The canonical
form of envelope and body (RFC 8785) is what the sending agency signs (Ed25519).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


def over_the_network(on: dt.date, networked_since: Mapping[str, dt.date | None]) -> bool:
    """Whether documents between the agencies ``networked_since`` names (code → its 入网 date,
    None if never) go over the exchange network on ``on``: when every one is on it that day;
    otherwise they travel as paper forms (POLICY Part II §8). Between an agency and itself (a
    linkage between the schemes within one agency) a document travels nowhere: it goes to the
    agency's own inbox, on the network or not. The one rule for a case's mode
    (:func:`jinbao.transfers.cases.mode`) and each document's channel
    (:func:`jinbao.exchange.service.send`)."""
    return len(networked_since) == 1 or all(
        since is not None and since <= on for since in networked_since.values()
    )


class DocumentType(StrEnum):
    APPLICATION = "transfer_application"  # 基本养老保险关系转移接续申请表
    CONTACT_LETTER = "contact_letter"  # 联系函（同意接收函）
    REFUSAL = "refusal"  # 不予受理/退回的书面说明
    CORRECTION_REQUEST = "correction_request"  # 补正材料通知
    CERTIFICATE = "contribution_certificate"  # 参保缴费凭证
    INFO_TABLE = "info_table"  # 信息表
    FUND_SLIP = "fund_transfer_slip"  # 基金划转表
    COMPLETION = "completion_notice"  # 接收确认（办结通知）


DOCUMENT_ZH = {
    DocumentType.APPLICATION: "基本养老保险关系转移接续申请表",
    DocumentType.CONTACT_LETTER: "基本养老保险关系转移接续联系函",
    DocumentType.REFUSAL: "不予受理书面说明",
    DocumentType.CORRECTION_REQUEST: "补正材料通知",
    DocumentType.CERTIFICATE: "基本养老保险参保缴费凭证",
    DocumentType.INFO_TABLE: "基本养老保险关系转移接续信息表",
    DocumentType.FUND_SLIP: "基本养老保险关系转移基金划转表",
    DocumentType.COMPLETION: "转移接续办结通知",
}

CURRENT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str  # a UUID, unique forever: the receiver applies a document once by its id
    type: DocumentType
    version: int
    sender: str  # agency code
    receiver: str  # agency code
    case_id: str
    in_reply_to: str | None
    issued_at: str  # ISO 8601 with offset, e.g. 2026-11-23T09:00:00+08:00

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "type": self.type.value, "version": self.version, "sender": self.sender,
            "receiver": self.receiver, "case_id": self.case_id, "in_reply_to": self.in_reply_to,
            "issued_at": self.issued_at,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Document:
    envelope: Envelope
    body: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"envelope": self.envelope.as_dict(), "body": dict(self.body)}


@dataclass(frozen=True, slots=True)
class Signature:
    algorithm: str  # "Ed25519"
    key_id: str
    value: str  # base64url, no padding


@dataclass(frozen=True, slots=True)
class SignedDocument:
    document: Document
    signature: Signature
