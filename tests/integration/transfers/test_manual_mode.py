"""Manual mode end to end, on both engines: the transferring agency is not on the network, so
every document travels as a printed form and comes in by scan or short code, and each is
applied exactly once however many copies arrive, paper or electronic."""

from __future__ import annotations

import io
from collections.abc import Callable

import pypdfium2
import pytest
import segno
from sqlalchemy import Engine, select

from jinbao.accounts.service import statement
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import paper
from jinbao.exchange import service as exchange
from jinbao.exchange.tables import inbox, outbox
from jinbao.kernel.errors import InvalidInput, NotFound
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus
from jinbao.transfers import queries, workflow
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD, Mover, MovingClock, auto_review

Uow = Callable[[], UnitOfWork]
ELSEWHERE = "44000000"  # another agency of the tree: not the addressee of anything here


def scan_of(pdf: bytes) -> bytes:
    """What an office scanner gives back for the printed form: a greyscale JPEG of page 1 at
    200 dpi (our short forms fit one page)."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=200 / 72).to_pil().convert("L")
    finally:
        doc.close()
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


def to_print(make_uow: Uow, sender: str) -> list[exchange.PaperDocument]:
    with make_uow() as uow:
        return [d for d in exchange.paper_documents(uow, sender=sender) if not d.received]


def printed(make_uow: Uow, document_id: str) -> bytes:
    with make_uow() as uow:
        return exchange.print_form(uow, document_id)


@pytest.fixture
def offline_old(uow_at: Uow, mover: Mover) -> None:
    """Tianhe left the network (or never joined): its documents go on paper both ways."""
    commit(uow_at, lambda uow: registry.set_agency_network(uow, OLD, None))
    auto_review(uow_at, OLD, NEW)


@pytest.mark.usefixtures("offline_old")
def test_a_transfer_by_post_completes_with_each_paper_applied_once(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    with uow_at() as uow:
        before = statement(uow, mover.id_number, moving_clock.today())
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    assert workflow.pump(engine, moving_clock, params).delivered == 0  # nothing goes by network

    # Leg 1: Zhengzhou prints the 联系函 and posts it; Tianhe scans it three days later.
    (letter,) = to_print(uow_at, NEW)
    assert (letter.type, letter.receiver, letter.case_id) == ("contact_letter", OLD, case_id)
    letter_pdf = printed(uow_at, letter.document_id)
    moving_clock.advance(3)
    wrong = rejected(
        engine, uow_at, lambda uow: exchange.intake_scan(uow, ELSEWHERE, scan_of(letter_pdf))
    )
    assert wrong.code == "exchange.wrong_receiver"
    assert OLD in wrong.zh
    taken = commit(uow_at, lambda uow: exchange.intake_scan(uow, OLD, scan_of(letter_pdf)))
    assert [(r.document.envelope.id, r.duplicate) for r in taken] == [(letter.document_id, False)]
    workflow.pump(engine, moving_clock, params)

    # Leg 2: Tianhe (automatic review) reserved the money and printed the 信息表 and 划转表.
    papers = {d.type: d for d in to_print(uow_at, OLD)}
    assert set(papers) == {"info_table", "fund_transfer_slip"}
    with uow_at() as uow:
        assert queries.show(uow, case_id, params)["ledger_transfer"]["state"] == "pending"
        assert check(uow) == []

    # Leg 3: Zhengzhou types the info table's short code (as people type it) and uploads the
    # slip's PDF; automatic review completes and the 办结通知 goes back on paper.
    moving_clock.advance(4)
    typed = papers["info_table"].short_code.lower().replace("-", " ")
    commit(uow_at, lambda uow: exchange.intake_code(uow, NEW, typed))
    slip_pdf = printed(uow_at, papers["fund_transfer_slip"].document_id)
    commit(uow_at, lambda uow: exchange.intake_scan(uow, NEW, slip_pdf))
    workflow.pump(engine, moving_clock, params)
    (completion,) = to_print(uow_at, NEW)
    assert completion.type == "completion_notice"

    # Tianhe scans the 办结通知 twice, then the network comes back and the electronic copy
    # arrives too: applied once.
    moving_clock.advance(2)
    notice_scan = scan_of(printed(uow_at, completion.document_id))
    first = commit(uow_at, lambda uow: exchange.intake_scan(uow, OLD, notice_scan))
    again = commit(uow_at, lambda uow: exchange.intake_scan(uow, OLD, notice_scan))
    assert [r.duplicate for r in first + again] == [False, True]
    workflow.pump(engine, moving_clock, params)
    with engine.connect() as conn:
        wire = conn.execute(
            select(outbox.c.payload).where(outbox.c.document_id == completion.document_id)
        ).scalar_one()
    exchange.LocalTransport(engine, moving_clock).send(wire.encode())  # the late network copy
    assert workflow.pump(engine, moving_clock, params).failed == 0

    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        after = statement(uow, mover.id_number, moving_clock.today())
        old = registry.get_relationship(uow, mover.old_relation)
        assert check(uow) == []
        vias = dict(
            uow.conn.execute(
                select(inbox.c.type, inbox.c.received_via).where(inbox.c.case_id == case_id)
            ).all()
        )
    assert case["mode"] == "manual"
    assert {s["side"]: s["state"] for s in case["sides"]} == {
        "receiving": "completed", "transferring": "completed",
    }  # fmt: skip
    assert all(d["channel"] == "paper" and d["applied"] for d in case["documents"])
    assert vias == {
        "contact_letter": "scan", "info_table": "code", "fund_transfer_slip": "scan",
        "completion_notice": "scan",
    }  # fmt: skip
    for side in case["sides"]:  # each document made one event on its side, not one per copy
        kinds = [e["event"] for e in side["events"]]
        assert len(kinds) == len(set(kinds)), kinds
    assert case["ledger_transfer"]["state"] == "posted"
    assert after.balances == before.balances
    assert old.status is RelationshipStatus.TRANSFERRED_OUT
    assert to_print(uow_at, NEW) == []
    assert to_print(uow_at, OLD) == []


@pytest.mark.usefixtures("offline_old")
def test_an_electronic_copy_first_makes_the_paper_a_duplicate(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    (letter,) = to_print(uow_at, NEW)
    with engine.connect() as conn:
        wire = conn.execute(
            select(outbox.c.payload).where(outbox.c.document_id == letter.document_id)
        ).scalar_one()
    exchange.LocalTransport(engine, moving_clock).send(wire.encode())
    workflow.pump(engine, moving_clock, params)
    form = printed(uow_at, letter.document_id)
    (late,) = commit(uow_at, lambda uow: exchange.intake_scan(uow, OLD, form))
    assert late.duplicate
    assert workflow.pump(engine, moving_clock, params).failed == 0
    with uow_at() as uow:
        sides = queries.show(uow, case_id, params)["sides"]
    assert [s["side"] for s in sides].count("transferring") == 1


@pytest.mark.usefixtures("offline_old")
def test_bad_paper_is_refused_with_what_to_do_and_writes_nothing(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters
) -> None:
    commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    (letter,) = to_print(uow_at, NEW)
    unknown = rejected(
        engine, uow_at, lambda uow: exchange.intake_code(uow, OLD, "ZZZZ-ZZZZ-ZZZZ-ZZZZ"), NotFound
    )
    assert "请核对纸质文书上印的短码" in unknown.zh
    misrouted = rejected(
        engine, uow_at, lambda uow: exchange.intake_code(uow, ELSEWHERE, letter.short_code)
    )
    assert misrouted.code == "exchange.wrong_receiver"
    blank = rejected(
        engine,
        uow_at,
        lambda uow: exchange.intake_scan(uow, OLD, b"%PDF-1.7 nothing"),
        InvalidInput,
    )
    assert blank.code == "exchange.scan_format"

    # A form whose printed code was tampered with (another document's bytes in the QR code,
    # re-signed by nobody) fails the signature check like any forged document.
    forged = wire_of(engine, letter.document_id).replace(b'"name":"', b'"name":"X', 1)
    image = io.BytesIO()
    segno.make(paper.qr_parts(forged)[0], error="m").save(image, kind="png", scale=6, border=4)
    bad = rejected(engine, uow_at, lambda uow: exchange.intake_scan(uow, OLD, image.getvalue()))
    assert bad.code == "exchange.signature"


def wire_of(engine: Engine, document_id: str) -> bytes:
    with engine.connect() as conn:
        return (
            conn.execute(select(outbox.c.payload).where(outbox.c.document_id == document_id))
            .scalar_one()
            .encode()
        )
