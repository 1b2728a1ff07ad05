"""Sending and receiving documents: agency keys, the outbox, the inbox, local delivery.

- ``send`` signs a document with the sender's key, checks it against its schema, and writes it to
  the outbox **in the caller's transaction** — with the change that caused it, or not at all.
  A network document to an agency this node serves is stored in its inbox in that same
  transaction (delivered once, at once); one to an agency another node serves waits in the
  outbox for ``deliver``.
- Which node serves an agency: another node, when this node holds a public key imported from it
  (:func:`import_keys`: the other node published it, and keeps the private part); this node
  otherwise. ``send`` signs only for agencies served here, ``receive`` takes documents only for
  them.
- ``deliver`` hands undelivered outbox documents to a :class:`Transport` (at least once).
- Manual mode: a document between agencies that are not both on the network (入网) on the day
  it is sent goes to the outbox on the ``paper`` channel with a short code; ``deliver`` leaves it
  alone. ``print_form`` renders its PDF form (QR codes carrying the signed bytes); the receiving
  operator's ``intake_scan`` (the scan) or ``intake_code`` (the short code) puts it through the
  same ``receive`` as a network copy, so whichever copy comes first is applied and every later
  one is a duplicate.
- ``receive`` verifies signature, schema and routing, and stores the document in the inbox once:
  a second copy of the same document id is acknowledged as a duplicate and changes nothing; a
  different document reusing an id is refused as a replay.
The in-process :class:`LocalTransport` delivers into this node's own inbox; an HTTP transport
carries the same bytes between nodes without changing any of this.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
    update,
)

from jinbao.db.dml import insert_unless_taken
from jinbao.db.driver import DriverRead, DriverWrite
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import paper
from jinbao.exchange.codec import (
    KeyLookup,
    check_schema,
    decode,
    encode,
    load_public_key,
    public_key_bytes,
    sign,
    verify,
)
from jinbao.exchange.model import (
    CURRENT_VERSION,
    Document,
    DocumentType,
    Envelope,
    over_the_network,
)
from jinbao.exchange.tables import agency_keys, inbox, outbox
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.registry import repository
from jinbao.registry.tables import agencies

if TYPE_CHECKING:
    from jinbao.exchange.forms import PaperForm

# The printed forms (fpdf, segno) and the scan reader (pypdfium2, zxing-cpp, Pillow) are
# imported where they are used, not with this module: every server process imports this one,
# and those libraries held some 30 MB of each process's memory for requests that rarely come
# (session 25; the load test's server is held to 500 MB; tests/unit/test_light_imports.py).


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def ensure_key(uow: UnitOfWork, agency_code: str) -> str:
    """The agency's current signing key id, creating an Ed25519 key pair the first time. Two
    transactions doing so at once make one key: the unique index on the current key
    (``ux_agency_keys_signing``) makes the second wait for the first's commit and skip its own
    insert, and it takes the first's key."""
    agency_id = repository.agency_id(uow, agency_code)
    if agency_id is None:
        raise InvalidInput(
            "agency.unknown",
            f"经办机构{agency_code}不存在。",
            f"There is no agency with code {agency_code}.",
        )
    current = select(agency_keys.c.key_id).where(
        agency_keys.c.agency_id == agency_id,
        agency_keys.c.retired_at.is_(None),
        agency_keys.c.private_key.is_not(None),
    )
    found = uow.conn.execute(current).scalar()
    if found is not None:
        return str(found)
    made = uow.conn.execute(
        insert_unless_taken(uow.conn, agency_keys, agency_keys.c.key_id),
        _new_key_pair(agency_id, uow.clock.now()),
    ).scalar()
    uow.transaction_memo(_ROUTES).clear()  # a route read before had no key
    # Nothing back: another transaction made the agency's key meanwhile (and has committed).
    return str(made if made is not None else uow.conn.execute(current).scalar_one())


def _new_key_pair(agency_id: int, now: dt.datetime) -> dict[str, Any]:
    """An ``agency_keys`` row: a new Ed25519 key pair for the agency, under a new key id."""
    key = Ed25519PrivateKey.generate()
    return {
        "agency_id": agency_id,
        "key_id": f"k{uuid.uuid4().hex[:8]}",
        "public_key": public_key_bytes(key.public_key()),
        "private_key": _b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())),
        "created_at": now,
    }


def ensure_keys(uow: UnitOfWork) -> int:
    """A key pair for every agency that holds no key yet, as each would make at its first
    document (:func:`ensure_key`); agencies served by another node (an imported key) and
    those with a key of their own, current or retired, are left as they are. For a node
    brought up with its agencies at once (``jinbao sim generate``), not beside other
    writers of keys. Returns the number made."""
    keyless = select(agencies.c.id).where(~exists().where(agency_keys.c.agency_id == agencies.c.id))
    now = uow.clock.now()
    made = [_new_key_pair(agency_id, now) for agency_id in uow.conn.execute(keyless).scalars()]
    if made:
        uow.conn.execute(insert(agency_keys), made)
        uow.transaction_memo(_ROUTES).clear()
    return len(made)


# The statements of every document sent, received and delivered are built once, with bound
# parameters: building one costs more than running it (see db/README.md).
_SIGNING_KEY = (
    select(agency_keys.c.key_id, agency_keys.c.private_key)
    .join(agencies, agencies.c.id == agency_keys.c.agency_id)
    .where(
        agencies.c.code == bindparam("code"),
        agency_keys.c.retired_at.is_(None),
        agency_keys.c.private_key.is_not(None),
    )
)
_PUBLIC_KEY = (
    select(agency_keys.c.public_key)
    .join(agencies, agencies.c.id == agency_keys.c.agency_id)
    .where(agencies.c.code == bindparam("code"), agency_keys.c.key_id == bindparam("key_id"))
)
_imported = agency_keys.alias("imported")
# Served by another node: this node holds a public key imported for it, without the private part.
_ELSEWHERE = (
    exists()
    .where(_imported.c.agency_id == agencies.c.id, _imported.c.private_key.is_(None))
    .label("elsewhere")
)
# Where a document goes, one look-up per document sent: each of the two agencies' day on the
# network, whether another node serves it, and the current signing key this node holds for it.
_ROUTE = (
    select(
        agencies.c.code,
        agencies.c.networked_since,
        _ELSEWHERE,
        agency_keys.c.key_id,
        agency_keys.c.private_key,
    )
    .outerjoin(
        agency_keys,
        and_(
            agency_keys.c.agency_id == agencies.c.id,
            agency_keys.c.retired_at.is_(None),
            agency_keys.c.private_key.is_not(None),
        ),
    )
    .where(agencies.c.code.in_([bindparam("sender"), bindparam("receiver")]))
)
# Run on the driver's cursor (jinbao.db.driver): two named parameters, not an expanding list.
_READ_ROUTE = DriverRead(_ROUTE)
# What a transaction has read of the agencies it sends between, by agency code (a row holds
# one agency's day on the network, whether another node serves it, and its signing key, so
# it serves either direction): a transfer's unit sends its 信息表 and 基金划转表 together, and
# the pump's chain sends the 办结通知 back between the same two agencies. Keys imported or
# made here forget them.
_ROUTES = "exchange.routes"
_SERVED = select(agencies.c.id, _ELSEWHERE).where(agencies.c.code == bindparam("code"))
_INSERT_OUTBOX = DriverWrite(insert(outbox))  # on the driver's cursor: one of each a document
_INSERT_INBOX = DriverWrite(insert(inbox))
# The columns outbox and inbox share, as send fills them.
_SHARED = ("document_id", "sender", "receiver", "type", "case_id", "payload")


def _sent_here() -> DriverWrite:
    """PostgreSQL: a document sent to an agency served here, into the outbox and the inbox by
    one statement, one round trip (session 33; a transfer sends four). The outbox's insert is a
    common table expression that returns the shared columns, which the inbox's insert reads,
    so the payload is sent once. SQLite, in process, is sent the two inserts."""
    kept = [c for c in outbox.c if c.name not in ("id", "last_error")]
    sent = (
        insert(outbox)
        .values({c.name: bindparam(c.name, type_=c.type) for c in kept})
        .returning(*(outbox.c[name] for name in _SHARED))
        .cte("sent")
    )
    received = ("received_at", "received_via", "applied_at")
    return DriverWrite(
        insert(inbox)
        .from_select(
            [*_SHARED, *received],
            select(
                *(sent.c[name] for name in _SHARED),
                *(bindparam(name, type_=inbox.c[name].type) for name in received),
            ),
        )
        .add_cte(sent)
    )


_SEND_HERE = _sent_here()
_MARK_DELIVERED = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"), outbox.c.delivered_at.is_(None))
    .values(delivered_at=bindparam("now"), attempts=outbox.c.attempts + 1, last_error=None)
)


def _private_key(uow: UnitOfWork, agency_code: str) -> tuple[Ed25519PrivateKey, str]:
    """The agency's current signing key and its id: one look-up, and a key pair made the first
    time (:func:`ensure_key`)."""
    row = uow.conn.execute(_SIGNING_KEY, {"code": agency_code}).first()
    if row is None:
        ensure_key(uow, agency_code)
        row = uow.conn.execute(_SIGNING_KEY, {"code": agency_code}).one()
    key_id, raw = row
    return _load_private_key(raw), key_id


@functools.lru_cache(maxsize=1024)
def _load_private_key(raw: str) -> Ed25519PrivateKey:
    """The key object of a stored private key, kept per process: every document sent is signed,
    and building the object from its bytes was 2 % of a transfer's CPU in the server (session
    27). A key is immutable; a new key pair has new bytes, so nothing here goes stale."""
    return Ed25519PrivateKey.from_private_bytes(
        base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    )


def published_keys(uow: UnitOfWork) -> list[dict[str, str]]:
    """This node's agencies' public keys, as the directory publishes them to other nodes."""
    rows = uow.conn.execute(
        select(agencies.c.code, agency_keys.c.key_id, agency_keys.c.public_key)
        .join(agencies, agencies.c.id == agency_keys.c.agency_id)
        .where(agency_keys.c.private_key.is_not(None))
        .order_by(agencies.c.code, agency_keys.c.key_id)
    ).all()
    return [{"agency": a, "key_id": k, "public_key": p} for a, k, p in rows]


def import_keys(uow: UnitOfWork, published: list[dict[str, str]]) -> int:
    """Take other nodes' published public keys (no private part), so their documents verify
    here. A key already known is skipped; the same key id with another key is refused."""
    added = 0
    for item in published:
        agency_id = uow.conn.execute(
            select(agencies.c.id).where(agencies.c.code == item["agency"])
        ).scalar()
        if agency_id is None:
            raise InvalidInput(
                "agency.unknown",
                f"经办机构{item['agency']}不在机构目录中。",
                f"Agency {item['agency']} is not in the directory.",
            )
        try:
            load_public_key(item["public_key"])
        except (ValueError, TypeError):
            raise InvalidInput(
                "exchange.key_malformed",
                f"经办机构{item['agency']}的公钥格式错误。",
                f"The public key of {item['agency']} is malformed.",
            ) from None
        known = uow.conn.execute(
            select(agency_keys.c.public_key).where(
                agency_keys.c.agency_id == agency_id, agency_keys.c.key_id == item["key_id"]
            )
        ).scalar()
        if known is not None:
            if known != item["public_key"]:
                raise Conflict(
                    "exchange.key_conflict",
                    f"经办机构{item['agency']}的密钥{item['key_id']}与已登记的不同，拒收。",
                    f"Key {item['key_id']} of {item['agency']} differs from the one on record.",
                )
            continue
        uow.conn.execute(
            insert(agency_keys).values(
                agency_id=agency_id,
                key_id=item["key_id"],
                public_key=item["public_key"],
                private_key=None,
                created_at=uow.clock.now(),
            )
        )
        uow.transaction_memo(_ROUTES).clear()  # another node serves it now
        added += 1
    return added


def public_keys(uow: UnitOfWork) -> KeyLookup:
    """A key lookup over the directory: (agency code, key id) → public key, retired keys included
    (a document signed before a key was retired still verifies). One indexed look-up per
    document verified, not a read of every agency's keys."""

    def lookup(agency: str, key_id: str) -> Ed25519PublicKey | None:
        text = uow.conn.execute(_PUBLIC_KEY, {"code": agency, "key_id": key_id}).scalar()
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
    """Sign a document and put it in the outbox, in the caller's transaction; on the network, to
    an agency served here, into its inbox too (see the module's docstring)."""
    route = uow.transaction_memo(_ROUTES)  # code -> its row, or None: not in the directory
    if sender not in route or receiver not in route:
        found = _READ_ROUTE.all(uow.conn, {"sender": sender, "receiver": receiver})
        rows = {r.code: r for r in found}
        route.update({code: rows.get(code) for code in (sender, receiver)})
    for code in (sender, receiver):
        if route[code] is None:
            raise InvalidInput(
                "exchange.routing",
                f"经办机构{code}不在机构目录中。",
                f"Agency {code} is not in the directory.",
            )
    if route[sender].elsewhere:
        raise InvalidInput(
            "exchange.routing",
            f"经办机构{sender}由其他节点经办，本节点不能以其名义发文。",
            f"Agency {sender} is served by another node; this node cannot send in its name.",
        )
    today = uow.clock.today()
    on_network = over_the_network(
        today, {code: route[code].networked_since for code in (sender, receiver)}
    )
    here = on_network and not route[receiver].elsewhere
    now = uow.clock.now()
    envelope = Envelope(
        str(uuid.uuid4()),
        document_type,
        CURRENT_VERSION,
        sender,
        receiver,
        case_id,
        in_reply_to,
        now.isoformat(timespec="seconds"),
    )
    document = Document(envelope, dict(body))
    check_schema(document)  # never send what the receiver must refuse
    if route[sender].private_key is None:
        key, key_id = _private_key(uow, sender)  # the agency's first document: a new key pair
    else:
        key, key_id = _load_private_key(route[sender].private_key), route[sender].key_id
    wire = encode(sign(document, key, key_id)).decode()
    stored = {  # the columns outbox and inbox share (_SHARED)
        "document_id": envelope.id,
        "sender": sender,
        "receiver": receiver,
        "type": document_type.value,
        "case_id": case_id,
        "payload": wire,
    }
    out = {
        **stored,
        "created_at": now,
        "attempts": 1 if here else 0,
        "delivered_at": now if here else None,
        "channel": "network" if on_network else "paper",
        "short_code": None if on_network else paper.short_code(wire.encode()),
    }
    if not here:
        _INSERT_OUTBOX.run(uow.conn, out)
        return envelope
    # Signed here with the sender's key, checked against the schema just above, under a new id:
    # what receive would verify again. It is in the inbox when the sender's change is committed,
    # or neither is — the pump's next round applies it. Unless the unit applies it itself before
    # it commits (APPLIED_HERE): then it goes in as applied.
    received = {
        "received_at": now,
        "received_via": "network",
        "applied_at": now if uow.memo.get(APPLIED_HERE) else None,
    }
    if uow.conn.dialect.name == "postgresql":
        _SEND_HERE.run(uow.conn, {**out, **received})
    else:
        _INSERT_OUTBOX.run(uow.conn, out)
        _INSERT_INBOX.run(uow.conn, {**stored, **received})
    uow.memo.setdefault(DELIVERED_HERE, []).append((envelope.id, wire))
    return envelope


# The documents a unit of work put in this node's inbox (``send``), as (document id, payload)
# in ``UnitOfWork.memo``: once it commits, they are there to apply, and a pump that applied the
# document that caused them can go on with them without reading the inbox again.
DELIVERED_HERE = "exchange.delivered_here"
# Set in ``UnitOfWork.memo`` by a unit that applies every document it delivers here before it
# commits, or rolls back (the pump's chain, jinbao.transfers.workflow._apply): ``send`` writes
# them to the inbox as applied, so that no claim has to mark them so (a statement a document).
APPLIED_HERE = "exchange.applied_here"


@dataclass(frozen=True, slots=True)
class Received:
    document: Document
    duplicate: bool


def receive(uow: UnitOfWork, data: bytes, via: str = "network") -> Received:
    """Verify a document and store it in the inbox, once. Invalid documents write nothing."""
    signed = decode(data)
    document = verify(signed, public_keys(uow))
    envelope = document.envelope
    served = uow.conn.execute(_SERVED, {"code": envelope.receiver}).first()
    if served is None or served.elsewhere:
        raise InvalidInput(
            "exchange.routing",
            f"收文机构{envelope.receiver}不在本节点。",
            f"The receiving agency {envelope.receiver} is not served here.",
        )
    stored = (
        uow.conn.execute(
            insert_unless_taken(uow.conn, inbox, inbox.c.document_id),
            {
                "document_id": envelope.id,
                "sender": envelope.sender,
                "receiver": envelope.receiver,
                "type": envelope.type.value,
                "case_id": envelope.case_id,
                "payload": encode(signed).decode(),
                "received_at": uow.clock.now(),
                "received_via": via,
            },
        ).first()
        is not None
    )
    # The id was taken: a second copy of this document (a retry; two pumps at once, the later
    # one having waited for the first's commit; paper and network) — or a replay, if it differs.
    if not stored and not _already_received(uow, document):
        raise RuntimeError(f"document {envelope.id} was neither stored nor found")
    return Received(document, duplicate=not stored)


def _already_received(uow: UnitOfWork, document: Document) -> bool:
    """Is this document in the inbox? A different document under its id is a replay."""
    envelope = document.envelope
    existing = uow.conn.execute(
        select(inbox.c.payload).where(inbox.c.document_id == envelope.id)
    ).scalar()
    if existing is None:
        return False
    if decode(existing.encode()).document != document:
        raise Conflict(
            "exchange.replay",
            f"文书编号{envelope.id}已被另一份内容不同的文书使用，拒收。",
            f"Document id {envelope.id} was already used by a different document; refused.",
        )
    return True


# How many waiting documents one round of the pump takes from the outbox, and from the inbox.
BATCH = 1000


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
    engine: Engine,
    clock: Clock,
    transport: Transport,
    limit: int = BATCH,
    until: float | None = None,
    pending: Sequence[tuple[int, str]] | None = None,
) -> DeliveryReport:
    """Send undelivered outbox documents, oldest first; each is marked delivered only after the
    transport accepted it, so a crash in between means one more (harmless) delivery. With
    ``until`` (a ``time.monotonic()`` instant) it stops there and leaves the rest for later.
    ``pending``: the rows of :func:`undelivered` when the caller has just read them (the pump
    reads the outbox and the inbox in one reading unit)."""
    if pending is None:
        with UnitOfWork(engine, clock, write=False) as reading:  # see process_inbox
            pending = reading.conn.execute(undelivered(limit)).all()
    # Into this node's own inbox, a document is stored and marked delivered in one transaction:
    # exactly once, and one commit instead of two.
    local = isinstance(transport, LocalTransport) and transport.engine is engine
    delivered = failed = 0
    for row_id, payload in pending:
        if until is not None and time.monotonic() > until:
            break
        try:
            if local:
                with UnitOfWork(engine, clock, "exchange") as uow:
                    receive(uow, payload.encode())
                    _mark_delivered(uow.conn, row_id, clock)
                    uow.commit()
            else:
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
        if not local:
            with engine.begin() as conn:
                _mark_delivered(conn, row_id, clock)
    return DeliveryReport(delivered, failed)


# What waits in each box, oldest first; each read by its partial index (migrations 0012 and
# 0017). The channel is a constant in the statement, as in the index's condition: a bound value
# would not let either engine's planner see that the index holds the rows asked for.
_OUTBOX_WAITS = (outbox.c.delivered_at.is_(None), outbox.c.channel == literal_column("'network'"))
_OUTBOX_ORDER = (outbox.c.id,)
_INBOX_WAITS = (inbox.c.applied_at.is_(None),)
_INBOX_ORDER = (inbox.c.received_at, inbox.c.document_id)
_OUTBOX_WAITING = (
    select(outbox.c.id, outbox.c.payload).where(*_OUTBOX_WAITS).order_by(*_OUTBOX_ORDER)
)
_INBOX_WAITING = (
    select(inbox.c.document_id, inbox.c.payload).where(*_INBOX_WAITS).order_by(*_INBOX_ORDER)
)


def _waiting_part(box: int, key: Any, payload: Any, waits: Any, order: Any) -> Any:
    """One box's waiting documents for :data:`_READ_WAITING`: the box, the key as text, the
    payload and the place in the box's own order, at most ``limit`` (bound) of them."""
    return (
        select(
            literal(box).label("box"),
            cast(key, String).label("key"),
            payload.label("payload"),
            func.row_number().over(order_by=order).label("place"),
        )
        .where(*waits)
        .order_by(*order)
        .limit(bindparam("limit"))
        .subquery()
    )


# The pump reads both boxes at every round, and a request's pump goes round at least twice: one
# statement (until session 34, two), on the driver's cursor (jinbao.db.driver), as the
# statements of a transfer are. Each box keeps its own order (``place``) and its own limit.
_OUTBOX_PART = _waiting_part(0, outbox.c.id, outbox.c.payload, _OUTBOX_WAITS, _OUTBOX_ORDER)
_INBOX_PART = _waiting_part(1, inbox.c.document_id, inbox.c.payload, _INBOX_WAITS, _INBOX_ORDER)
_BOTH = union_all(select(_OUTBOX_PART), select(_INBOX_PART)).subquery()
_READ_WAITING = DriverRead(select(_BOTH).order_by(_BOTH.c.box, _BOTH.c.place))


def undelivered(limit: int) -> Select[int, str]:
    """The network documents waiting in the outbox, oldest first (index ``ix_outbox_pending``)."""
    return _OUTBOX_WAITING.limit(limit)


def unapplied(limit: int) -> Select[str, str]:
    """The documents waiting in the inbox to be applied, oldest first (index
    ``ix_inbox_pending``)."""
    return _INBOX_WAITING.limit(limit)


def waiting(conn: Connection, limit: int = BATCH) -> tuple[list[Any], list[Any]]:
    """What waits, oldest first: the network documents in the outbox (``undelivered``) as
    (row id, payload), and the documents in the inbox (``unapplied``) as (document id,
    payload)."""
    outgoing: list[Any] = []
    incoming: list[Any] = []
    for box, key, payload, _place in _READ_WAITING.all(conn, {"limit": limit}):
        if box == 0:
            outgoing.append((int(key), payload))
        else:
            incoming.append((key, payload))
    return outgoing, incoming


def _mark_delivered(conn: Connection, row_id: int, clock: Clock) -> None:
    conn.execute(_MARK_DELIVERED, {"row_id": row_id, "now": clock.now()})


def inbox_documents(uow: UnitOfWork, case_id: str) -> list[Document]:
    rows = uow.conn.execute(
        select(inbox.c.payload).where(inbox.c.case_id == case_id).order_by(inbox.c.received_at)
    ).scalars()
    return [decode(p.encode()).document for p in rows]


# --- manual mode -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaperDocument:
    document_id: str
    type: str
    sender: str
    receiver: str
    case_id: str
    short_code: str
    created_at: Any
    received: bool  # this node already has it in the receiver's inbox (by paper or network)


def paper_documents(
    uow: UnitOfWork,
    *,
    sender: str | None = None,
    case_ids: Collection[str] | None = None,
    pending_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[PaperDocument]:
    """Documents that travel on paper, oldest first: to print and post (``received`` false) or
    already taken in; of one sender, or of some cases; ``pending_only`` the first alone;
    ``limit`` of them from ``offset``."""
    query = paper_query(sender=sender, case_ids=case_ids, pending_only=pending_only)
    query = query.offset(offset)
    rows = uow.conn.execute(query if limit is None else query.limit(limit)).all()
    return [
        PaperDocument(
            r.document_id, r.type, r.sender, r.receiver, r.case_id, r.short_code, r.created_at,
            received=bool(r.received),
        )
        for r in rows
    ]  # fmt: skip


def paper_query(
    *,
    sender: str | None = None,
    case_ids: Collection[str] | None = None,
    pending_only: bool = False,
) -> Select[Any]:
    """What :func:`paper_documents` reads. A sender's are read by their partial index
    (migration 0018), the channel a constant in the statement as in the index's condition (see
    ``_OUTBOX_WAITS``)."""
    query = select(
        outbox.c.document_id, outbox.c.type, outbox.c.sender, outbox.c.receiver,
        outbox.c.case_id, outbox.c.short_code, outbox.c.created_at,
        inbox.c.document_id.is_not(None).label("received"),
    ).outerjoin(inbox, inbox.c.document_id == outbox.c.document_id).where(
        outbox.c.channel == literal_column("'paper'")
    )  # fmt: skip
    if sender is not None:
        query = query.where(outbox.c.sender == sender.strip().upper())
    if case_ids is not None:  # by the outbox's index of cases (migration 0016)
        query = query.where(outbox.c.case_id.in_(case_ids))
    if pending_only:
        query = query.where(inbox.c.document_id.is_(None))
    return query.order_by(outbox.c.id)


def paper_form(uow: UnitOfWork, document_id: str) -> PaperForm:
    """What the printed form of an outgoing paper document shows."""
    row = uow.conn.execute(
        select(outbox.c.payload, outbox.c.short_code, outbox.c.channel).where(
            outbox.c.document_id == document_id
        )
    ).first()
    if row is None:
        raise NotFound(
            "exchange.document_unknown",
            f"本节点没有发出过编号为{document_id}的文书。",
            f"This node sent no document with id {document_id}.",
        )
    wire = row.payload.encode()
    signed = decode(wire)
    envelope = signed.document.envelope
    names = dict(
        uow.conn.execute(
            select(agencies.c.code, agencies.c.name).where(
                agencies.c.code.in_([envelope.sender, envelope.receiver])
            )
        ).all()
    )
    from jinbao.exchange import forms  # the PDF stack, on first use (the imports' note)

    return forms.PaperForm(
        signed.document,
        paper.qr_parts(wire),
        row.short_code or paper.short_code(wire),
        signed.signature.key_id,
        names,
    )


def print_form(uow: UnitOfWork, document_id: str) -> bytes:
    """The PDF of a document's paper form (any outgoing document can be printed; the paper
    channel's are the ones that must be)."""
    from jinbao.exchange import forms  # the PDF stack, on first use (the imports' note)

    return forms.render(paper_form(uow, document_id))


def _receive_at(uow: UnitOfWork, agency_code: str, wire: bytes, via: str) -> Received:
    """A document handed in at an agency's counter: it must be addressed to that agency."""
    envelope = decode(wire).document.envelope
    agency_code = agency_code.strip().upper()
    if envelope.receiver != agency_code:
        raise InvalidInput(
            "exchange.wrong_receiver",
            f"这份文书的收文机构是{envelope.receiver}，不是{agency_code}，请转交收文机构。",
            f"This document is addressed to {envelope.receiver}, not {agency_code}; pass it on "
            "to the agency it is addressed to.",
        )
    received = receive(uow, wire, via=via)
    uow.conn.execute(  # the paper copy of a document sent from this node has arrived
        update(outbox)
        .where(outbox.c.document_id == envelope.id, outbox.c.delivered_at.is_(None))
        .values(delivered_at=uow.clock.now())
    )
    return received


def intake_scan(uow: UnitOfWork, agency_code: str, data: bytes) -> list[Received]:
    """Take in the documents whose QR codes are on an uploaded scan (PDF or image), all or
    none: one unreadable, forged or misaddressed document refuses the whole upload."""
    from jinbao.exchange import scan  # the PDF and image readers, on first use (see above)

    return [
        _receive_at(uow, agency_code, wire, "scan")
        for wire in paper.join_parts(scan.qr_texts(data))
    ]


def intake_code(uow: UnitOfWork, agency_code: str, code: str) -> Received:
    """Take in a paper document by the short code printed on it. The code finds the signed
    document this deployment holds for the sending agency (on separate nodes, the same lookup
    goes to the sender's node); the signature is checked as for any copy."""
    printed = paper.normalise_code(code)
    row = uow.conn.execute(select(outbox.c.payload).where(outbox.c.short_code == printed)).first()
    if row is None or paper.short_code(row.payload.encode()) != printed:
        raise NotFound(
            "exchange.short_code_unknown",
            f"没有短码为{printed}的文书，请核对纸质文书上印的短码，或扫描二维码录入。",
            f"No document has the short code {printed}; check the code printed on the form, "
            "or scan its QR codes instead.",
            field="code",
        )
    return _receive_at(uow, agency_code, row.payload.encode(), "code")
