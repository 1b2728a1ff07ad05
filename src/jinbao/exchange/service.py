"""Sending and receiving documents: agency keys, the outbox, the inbox, local delivery.

- ``send`` signs a document with the sender's key, checks it against its schema, and writes it to
  the outbox **in the caller's transaction** — with the change that caused it, or not at all.
- ``deliver`` hands undelivered outbox documents to a :class:`Transport` (at least once).
- ``receive`` verifies signature, schema and routing, and stores the document in the inbox once:
  a second copy of the same document id is acknowledged as a duplicate and changes nothing; a
  different document reusing an id is refused as a replay.
The in-process :class:`LocalTransport` delivers into this node's own inbox; an HTTP transport
carries the same bytes between nodes without changing any of this.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import Engine, insert, select, update

from jinbao.db.uow import UnitOfWork
from jinbao.exchange.codec import (
    check_schema,
    decode,
    encode,
    load_public_key,
    public_key_bytes,
    sign,
    verify,
)
from jinbao.exchange.model import CURRENT_VERSION, Document, DocumentType, Envelope
from jinbao.exchange.tables import agency_keys, inbox, outbox
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.registry.tables import agencies


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def ensure_key(uow: UnitOfWork, agency_code: str) -> str:
    """The agency's current signing key id, creating an Ed25519 key pair the first time."""
    agency_id = uow.conn.execute(
        select(agencies.c.id).where(agencies.c.code == agency_code)
    ).scalar()
    if agency_id is None:
        raise InvalidInput(
            "agency.unknown",
            f"经办机构{agency_code}不存在。",
            f"There is no agency with code {agency_code}.",
        )
    current = uow.conn.execute(
        select(agency_keys.c.key_id).where(
            agency_keys.c.agency_id == agency_id,
            agency_keys.c.retired_at.is_(None),
            agency_keys.c.private_key.is_not(None),
        )
    ).scalar()
    if current is not None:
        return str(current)
    key = Ed25519PrivateKey.generate()
    key_id = f"k{uuid.uuid4().hex[:8]}"
    uow.conn.execute(
        insert(agency_keys).values(
            agency_id=agency_id,
            key_id=key_id,
            public_key=public_key_bytes(key.public_key()),
            private_key=_b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())),
            created_at=uow.clock.now(),
        )
    )
    return key_id


def _private_key(uow: UnitOfWork, agency_code: str) -> tuple[Ed25519PrivateKey, str]:
    key_id = ensure_key(uow, agency_code)
    raw = uow.conn.execute(
        select(agency_keys.c.private_key).where(agency_keys.c.key_id == key_id)
    ).scalar_one()
    return Ed25519PrivateKey.from_private_bytes(
        base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    ), key_id


def public_keys(uow: UnitOfWork) -> Any:
    """A key lookup over the directory: (agency code, key id) → public key, retired keys included
    (a document signed before a key was retired still verifies)."""
    rows = uow.conn.execute(
        select(agencies.c.code, agency_keys.c.key_id, agency_keys.c.public_key).join(
            agencies, agencies.c.id == agency_keys.c.agency_id
        )
    ).all()
    table = {(code, key_id): public for code, key_id, public in rows}

    def lookup(agency: str, key_id: str) -> Ed25519PublicKey | None:
        text = table.get((agency, key_id))
        return load_public_key(text) if text else None

    return lookup


def send(
    uow: UnitOfWork,
    *,
    sender: str,
    receiver: str,
    document_type: DocumentType,
    case_id: str,
    body: Mapping[str, Any],
    in_reply_to: str | None = None,
) -> Envelope:
    """Sign a document and put it in the outbox, in the caller's transaction."""
    for code in (sender, receiver):
        if uow.conn.execute(select(agencies.c.id).where(agencies.c.code == code)).scalar() is None:
            raise InvalidInput(
                "exchange.routing",
                f"经办机构{code}不在机构目录中。",
                f"Agency {code} is not in the directory.",
            )
    envelope = Envelope(
        str(uuid.uuid4()),
        document_type,
        CURRENT_VERSION,
        sender,
        receiver,
        case_id,
        in_reply_to,
        uow.clock.now().isoformat(timespec="seconds"),
    )
    document = Document(envelope, dict(body))
    check_schema(document)  # never send what the receiver must refuse
    key, key_id = _private_key(uow, sender)
    payload = encode(sign(document, key, key_id)).decode()
    uow.conn.execute(
        insert(outbox).values(
            document_id=envelope.id,
            sender=sender,
            receiver=receiver,
            type=document_type.value,
            case_id=case_id,
            payload=payload,
            created_at=uow.clock.now(),
            attempts=0,
        )
    )
    return envelope


@dataclass(frozen=True, slots=True)
class Received:
    document: Document
    duplicate: bool


def receive(uow: UnitOfWork, data: bytes) -> Received:
    """Verify a document and store it in the inbox, once. Invalid documents write nothing."""
    signed = decode(data)
    document = verify(signed, public_keys(uow))
    envelope = document.envelope
    if (
        uow.conn.execute(select(agencies.c.id).where(agencies.c.code == envelope.receiver)).scalar()
        is None
    ):
        raise InvalidInput(
            "exchange.routing",
            f"收文机构{envelope.receiver}不在本节点。",
            f"The receiving agency {envelope.receiver} is not served here.",
        )
    existing = uow.conn.execute(
        select(inbox.c.payload).where(inbox.c.document_id == envelope.id)
    ).scalar()
    if existing is not None:
        if decode(existing.encode()).document != document:
            raise Conflict(
                "exchange.replay",
                f"文书编号{envelope.id}已被另一份内容不同的文书使用，拒收。",
                f"Document id {envelope.id} was already used by a different document; refused.",
            )
        return Received(document, duplicate=True)
    uow.conn.execute(
        insert(inbox).values(
            document_id=envelope.id,
            sender=envelope.sender,
            receiver=envelope.receiver,
            type=envelope.type.value,
            case_id=envelope.case_id,
            payload=encode(signed).decode(),
            received_at=uow.clock.now(),
        )
    )
    return Received(document, duplicate=False)


class Transport(Protocol):
    def send(self, data: bytes) -> None: ...


class LocalTransport:
    """Delivery within this node: the receiver's inbox is in the same database."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine, self.clock = engine, clock

    def send(self, data: bytes) -> None:
        with UnitOfWork(self.engine, self.clock, "exchange") as uow:
            receive(uow, data)
            uow.commit()


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivered: int
    failed: int


def deliver(
    engine: Engine, clock: Clock, transport: Transport, limit: int = 1000
) -> DeliveryReport:
    """Send undelivered outbox documents, oldest first; each is marked delivered only after the
    transport accepted it, so a crash in between means one more (harmless) delivery."""
    with engine.connect() as conn:
        pending = conn.execute(
            select(outbox.c.id, outbox.c.payload)
            .where(outbox.c.delivered_at.is_(None))
            .order_by(outbox.c.id)
            .limit(limit)
        ).all()
    delivered = failed = 0
    for row_id, payload in pending:
        try:
            transport.send(payload.encode())
        except (InvalidInput, Conflict) as exc:
            failed += 1
            with engine.begin() as conn:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row_id)
                    .values(
                        attempts=outbox.c.attempts + 1, last_error=f"{exc.code}: {exc.en}"[:300]
                    )
                )
            continue
        delivered += 1
        with engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.delivered_at.is_(None))
                .values(delivered_at=clock.now(), attempts=outbox.c.attempts + 1, last_error=None)
            )
    return DeliveryReport(delivered, failed)


def inbox_documents(uow: UnitOfWork, case_id: str) -> list[Document]:
    rows = uow.conn.execute(
        select(inbox.c.payload).where(inbox.c.case_id == case_id).order_by(inbox.c.received_at)
    ).scalars()
    return [decode(p.encode()).document for p in rows]
