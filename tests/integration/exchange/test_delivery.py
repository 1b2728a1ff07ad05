"""Outbox, delivery and inbox on both engines: exactly-once effect, forgeries and replays refused.

A document to an agency this node serves is in its inbox as soon as the sender commits; one to an
agency another node serves (this node holds a public key imported from that node) waits in the
outbox for a transport. The tests put an agency on "another node" by importing a key for it, as
``import_keys`` takes another node's published keys."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, event, func, select

from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.codec import encode, public_key_bytes, sign
from jinbao.exchange.model import CURRENT_VERSION, Document, DocumentType, Envelope
from jinbao.exchange.tables import agency_keys, inbox, outbox
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.registry.tables import agencies
from tests.builders import an_agency_tree
from tests.integration.helpers import commit, listening, rejected
from tests.unit.exchange.examples import BODIES

Uow = Callable[[], UnitOfWork]


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def send_letter(uow: UnitOfWork) -> str:
    return exchange.send(
        uow, sender="41010000", receiver="44010600", document_type=DocumentType.CONTACT_LETTER,
        case_id="case-7", body=BODIES[DocumentType.CONTACT_LETTER],
    ).id  # fmt: skip


@pytest.fixture
def tree(make_uow: Uow) -> None:
    commit(make_uow, an_agency_tree)


def elsewhere(make_uow: Uow, code: str) -> Ed25519PrivateKey:
    """Put ``code`` on another node: import the public key that node publishes for it. The
    private key is that node's, returned so that a test can sign in its name."""
    key = Ed25519PrivateKey.generate()
    published = [
        {"agency": code, "key_id": f"far-{code}", "public_key": public_key_bytes(key.public_key())}
    ]
    commit(make_uow, lambda uow: exchange.import_keys(uow, published))
    return key


class Carrier:
    """A transport to another node: it takes the bytes (the other node's own receive is tested
    in tests/integration/transfers/test_two_nodes.py)."""

    def __init__(self) -> None:
        self.carried: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.carried.append(data)


def test_a_document_to_an_agency_of_this_node_is_in_its_inbox_once_when_the_sender_commits(
    engine: Engine, make_uow: Uow, clock: FixedClock, tree: None
) -> None:
    document_id = commit(make_uow, send_letter)
    assert count(engine, inbox) == 1
    with engine.connect() as conn:
        payload, delivered_at = conn.execute(select(outbox.c.payload, outbox.c.delivered_at)).one()
    assert delivered_at is not None  # the outbox keeps what was sent, delivered
    transport = exchange.LocalTransport(engine, clock)
    assert exchange.deliver(engine, clock, transport) == exchange.DeliveryReport(0, 0)
    with make_uow() as uow:  # the same bytes again, as an at-least-once transport may do
        assert exchange.receive(uow, payload.encode()).duplicate is True
    assert count(engine, inbox) == 1
    with make_uow() as uow:
        (received,) = exchange.inbox_documents(uow, "case-7")
    assert received.envelope.id == document_id
    assert received.body["receiving_bank"]["bank"] == "中国工商银行郑州分行"


def test_a_document_here_goes_into_both_boxes_in_one_statement_on_postgresql(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    """The outbox row and the inbox row of a document to an agency here are one statement on
    PostgreSQL (session 33), two on SQLite; either way the inbox holds what the outbox sent,
    waiting, or applied when the unit applies what it sends before it commits."""
    writes: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.lstrip().upper().startswith(("INSERT", "WITH")):
            writes.append(sql)

    def applying(uow: UnitOfWork) -> str:
        uow.memo[exchange.APPLIED_HERE] = True  # as the pump's chain marks its unit
        return send_letter(uow)

    with listening(engine, "before_cursor_execute", seen):
        commit(make_uow, send_letter)  # the sender's first document: its key is made first
        writes.clear()
        waiting = commit(make_uow, send_letter)
        assert len(writes) == (1 if engine.dialect.name == "postgresql" else 2)
        applied = commit(make_uow, applying)
    with engine.connect() as conn:
        rows = {
            r.document_id: r
            for r in conn.execute(
                select(inbox, outbox.c.payload.label("sent"), outbox.c.created_at).join(
                    outbox, outbox.c.document_id == inbox.c.document_id
                )
            )
        }
    assert len(rows) == 3
    for row in rows.values():
        assert (row.payload, row.received_at, row.received_via) == (
            row.sent, row.created_at, "network",
        )  # fmt: skip
        assert (row.sender, row.receiver, row.type, row.case_id) == (
            "41010000", "44010600", DocumentType.CONTACT_LETTER.value, "case-7",
        )  # fmt: skip
    assert rows[waiting].applied_at is None
    assert rows[applied].applied_at == rows[applied].received_at  # the time it was sent


def test_a_document_to_an_agency_of_another_node_waits_in_the_outbox_and_goes_once(
    engine: Engine, make_uow: Uow, clock: FixedClock, tree: None
) -> None:
    elsewhere(make_uow, "44010600")
    commit(make_uow, send_letter)
    assert count(engine, inbox) == 0
    carrier = Carrier()
    assert exchange.deliver(engine, clock, carrier) == exchange.DeliveryReport(1, 0)
    assert exchange.deliver(engine, clock, carrier) == exchange.DeliveryReport(0, 0)
    with engine.connect() as conn:
        payload = conn.execute(select(outbox.c.payload)).scalar_one()
    assert carrier.carried == [payload.encode()]
    # This node neither takes it in for that agency nor signs in its name.
    error = rejected(engine, make_uow, lambda uow: exchange.receive(uow, payload.encode()))
    assert error.code == "exchange.routing"

    def reply(uow: UnitOfWork) -> object:
        return exchange.send(
            uow, sender="44010600", receiver="41010000", document_type=DocumentType.CONTACT_LETTER,
            case_id="case-8", body=BODIES[DocumentType.CONTACT_LETTER],
        )  # fmt: skip

    error = rejected(engine, make_uow, reply)
    assert error.code == "exchange.routing"
    assert "served by another node" in error.en


def test_a_transaction_reads_a_route_once_and_again_after_a_key_is_imported(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    """A transfer's unit sends two documents on one route: read once. A key imported in the
    same transaction puts the receiver on another node, and the next document waits in the
    outbox instead of going into this node's inbox."""
    routes: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.lstrip().startswith("SELECT agencies.code, agencies.networked_since"):
            routes.append(sql)

    far = Ed25519PrivateKey.generate().public_key()
    published = [{"agency": "44010600", "key_id": "far", "public_key": public_key_bytes(far)}]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with make_uow() as uow:
            send_letter(uow)  # the sender's first document: its key is made here
            send_letter(uow)
            send_letter(uow)
            assert len(routes) == 2  # read, then read again with the key made
            exchange.import_keys(uow, published)
            send_letter(uow)
            assert len(routes) == 3
            uow.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert count(engine, outbox) == 4
    assert count(engine, inbox) == 3


def test_the_outbox_row_is_part_of_the_senders_transaction(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    with make_uow() as uow:
        send_letter(uow)  # no commit: the change that caused it failed
    assert count(engine, outbox) == 0
    assert count(engine, inbox) == 0


def test_an_invalid_body_or_an_unknown_receiver_is_never_sent(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    bad = dict(BODIES[DocumentType.CONTACT_LETTER], person={"id_number": "1", "name": "x"})
    error = rejected(
        engine,
        make_uow,
        lambda uow: exchange.send(
            uow,
            sender="41010000",
            receiver="44010600",
            document_type=DocumentType.CONTACT_LETTER,
            case_id="c",
            body=bad,
        ),
        InvalidInput,
    )
    assert error.code == "exchange.schema"
    error = rejected(
        engine,
        make_uow,
        lambda uow: exchange.send(
            uow,
            sender="41010000",
            receiver="99999999",
            document_type=DocumentType.CONTACT_LETTER,
            case_id="c",
            body=BODIES[DocumentType.CONTACT_LETTER],
        ),
        InvalidInput,
    )
    assert error.code == "exchange.routing"


def test_a_forged_document_is_refused_and_nothing_is_stored(
    engine: Engine, make_uow: Uow, clock: FixedClock, tree: None
) -> None:
    commit(make_uow, send_letter)
    with engine.connect() as conn:
        raw = json.loads(conn.execute(select(outbox.c.payload)).scalar_one())
    raw["body"]["receiving_bank"]["account_number"] = "6222000000000000000"  # a fraudster's account
    forged = json.dumps(raw, ensure_ascii=False).encode()
    assert (
        rejected(engine, make_uow, lambda uow: exchange.receive(uow, forged), InvalidInput).code
        == "exchange.signature"
    )


def test_a_replayed_id_with_other_content_is_refused(
    engine: Engine, make_uow: Uow, clock: FixedClock, tree: None
) -> None:
    first = commit(make_uow, send_letter)
    exchange.deliver(engine, clock, exchange.LocalTransport(engine, clock))
    second = commit(make_uow, send_letter)
    with engine.connect() as conn:
        payload = conn.execute(
            select(outbox.c.payload).where(outbox.c.document_id == second)
        ).scalar_one()
    # re-sign the second letter under the first one's id with the sender's real key: a replay
    from jinbao.exchange.codec import decode, encode, sign
    from jinbao.exchange.model import Document, Envelope

    signed = decode(payload.encode())
    e = signed.document.envelope
    body = dict(signed.document.body, application_id="another")
    with make_uow() as uow:
        key, key_id = exchange._private_key(uow, "41010000")
    replay = encode(
        sign(
            Document(
                Envelope(
                    first, e.type, e.version, e.sender, e.receiver, e.case_id, None, e.issued_at
                ),
                body,
            ),
            key,
            key_id,
        )
    )
    assert (
        rejected(engine, make_uow, lambda uow: exchange.receive(uow, replay), Conflict).code
        == "exchange.replay"
    )


def test_a_failed_delivery_is_kept_for_a_retry_with_its_reason(
    engine: Engine, make_uow: Uow, clock: FixedClock, tree: None
) -> None:
    elsewhere(make_uow, "44010600")
    commit(make_uow, send_letter)

    class Refusing:
        def send(self, data: bytes) -> None:
            raise InvalidInput("exchange.routing", "拒收", "refused")

    assert exchange.deliver(engine, clock, Refusing()) == exchange.DeliveryReport(0, 1)
    with engine.connect() as conn:
        row = conn.execute(
            select(outbox.c.attempts, outbox.c.last_error, outbox.c.delivered_at)
        ).one()
    assert (row.attempts, row.delivered_at) == (1, None)
    assert "exchange.routing" in row.last_error
    assert exchange.deliver(engine, clock, Carrier()).delivered == 1


def test_two_deliveries_of_one_document_at_once_store_it_once(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    """Two pumps (two requests of a busy server) deliver the same document at the same moment:
    the second waits for the first, finds it stored and is a duplicate — not an error. The
    letter comes from Zhengzhou on another node."""
    key = elsewhere(make_uow, "41010000")
    envelope = Envelope(
        "0b6f4c1e-3c1d-4c55-9a43-6f1f0f7e2a01", DocumentType.CONTACT_LETTER, CURRENT_VERSION,
        "41010000", "44010600", "case-9", None, "2026-11-02T09:00:00+08:00",
    )  # fmt: skip
    letter = Document(envelope, BODIES[DocumentType.CONTACT_LETTER])
    payload = encode(sign(letter, key, "far-41010000"))
    results: list[object] = []

    def second() -> None:
        try:
            with make_uow() as uow:
                results.append(exchange.receive(uow, payload).duplicate)
                uow.commit()
        except Exception as exc:  # the test reports whatever the race raised
            results.append(exc)

    with make_uow() as uow:
        assert exchange.receive(uow, payload).duplicate is False  # stored, not yet committed
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second is now waiting on the first's lock (row or database)
        uow.commit()
    racer.join(timeout=30)
    assert results == [True]
    assert count(engine, inbox) == 1


def test_an_agencys_first_two_documents_at_once_make_one_signing_key(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    """Two workers send an agency's first documents at the same moment (the load test found
    this: each made a key pair, and the next look-up of the current key failed). The second
    waits for the first's key and signs with it."""
    results: list[object] = []

    def second() -> None:
        try:
            with make_uow() as uow:
                results.append(exchange.ensure_key(uow, "41010000"))
                send_letter(uow)
                uow.commit()
        except Exception as exc:  # the test reports whatever the race raised
            results.append(exc)

    with make_uow() as uow:
        first = exchange.ensure_key(uow, "41010000")  # made, not yet committed
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second is now waiting on the first's lock (index or database)
        send_letter(uow)
        uow.commit()
    racer.join(timeout=30)
    assert results == [first]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(agency_keys)).scalar_one() == 1
    assert count(engine, inbox) == 2


def test_agencies_given_their_keys_at_once_each_get_one_and_sign_with_it(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    """A node brought up with its agencies at once (``jinbao sim generate``) gives every
    agency without a key its pair, as each would make at its first document: an agency
    served by another node keeps its imported key only, one with a key keeps it, and a
    second call makes none. The next document is signed with the key made, and no other is
    made at sending."""
    elsewhere(make_uow, "44010600")
    with make_uow() as uow:
        own = exchange.ensure_key(uow, "41000000")
        uow.commit()
    with make_uow() as uow:
        made = exchange.ensure_keys(uow)
        uow.commit()
    with engine.connect() as conn:
        keys = conn.execute(
            select(agencies.c.code, agency_keys.c.key_id, agency_keys.c.private_key.is_(None)).join(
                agencies, agencies.c.id == agency_keys.c.agency_id
            )
        ).all()
        every = conn.execute(select(func.count()).select_from(agencies)).scalar_one()
    by_agency: dict[str, list[tuple[str, bool]]] = {}
    for code, key_id, imported in keys:
        by_agency.setdefault(code, []).append((key_id, imported))
    assert made == every - 2  # all but the one served elsewhere and the one with its key
    assert len(by_agency) == every
    assert by_agency["44010600"] == [("far-44010600", True)]
    assert by_agency["41000000"] == [(own, False)]
    assert all(len(held) == 1 for held in by_agency.values())
    with make_uow() as uow:
        assert exchange.ensure_keys(uow) == 0
        document_id = send_letter(uow)  # 41010000 to the agency on the other node
        uow.commit()
    with engine.connect() as conn:
        wire = conn.execute(
            select(outbox.c.payload).where(outbox.c.document_id == document_id)
        ).scalar_one()
        assert conn.execute(select(func.count()).select_from(agency_keys)).scalar_one() == len(keys)
    assert json.loads(wire)["signature"]["key_id"] == by_agency["41010000"][0][0]
