"""Outbox, delivery and inbox on both engines: exactly-once effect, forgeries and replays refused."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select

from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.model import DocumentType
from jinbao.exchange.tables import inbox, outbox
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.errors import Conflict, InvalidInput
from tests.builders import an_agency_tree
from tests.integration.helpers import commit, rejected
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


def test_a_sent_document_is_delivered_once_however_often_it_is_sent(
    engine: Engine, make_uow: Uow, clock: FixedClock, tree: None
) -> None:
    document_id = commit(make_uow, send_letter)
    transport = exchange.LocalTransport(engine, clock)
    assert exchange.deliver(engine, clock, transport) == exchange.DeliveryReport(1, 0)
    assert exchange.deliver(engine, clock, transport) == exchange.DeliveryReport(0, 0)
    with engine.connect() as conn:
        payload = conn.execute(select(outbox.c.payload)).scalar_one()
    with make_uow() as uow:  # the same bytes again, as an at-least-once transport may do
        assert exchange.receive(uow, payload.encode()).duplicate is True
    assert count(engine, inbox) == 1
    with make_uow() as uow:
        (received,) = exchange.inbox_documents(uow, "case-7")
    assert received.envelope.id == document_id
    assert received.body["receiving_bank"]["bank"] == "中国工商银行郑州分行"


def test_the_outbox_row_is_part_of_the_senders_transaction(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    with make_uow() as uow:
        send_letter(uow)  # no commit: the change that caused it failed
    assert count(engine, outbox) == 0


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
    assert exchange.deliver(engine, clock, exchange.LocalTransport(engine, clock)).delivered == 1


def test_two_deliveries_of_one_document_at_once_store_it_once(
    engine: Engine, make_uow: Uow, tree: None
) -> None:
    """Two pumps (two requests of a busy server) deliver the same document at the same moment:
    the second waits for the first, finds it stored and is a duplicate — not an error."""
    commit(make_uow, send_letter)
    with engine.connect() as conn:
        payload = conn.execute(select(outbox.c.payload)).scalar_one().encode()
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
