"""The same workflow with the two agencies on two nodes (two databases), the documents carried
between them by a transport, each node posting its own half of the money — and, since each node
keeps its own records, months paid at both places settled 先转后清 at completion
(人社部发〔2009〕187号 意见三; 人社部发〔2010〕70号 第十条). Both engines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, select

from jinbao.accounts.service import statement
from jinbao.contributions import service as contributions
from jinbao.db import migrate
from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.codec import decode
from jinbao.exchange.tables import outbox
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.ledger.tables import pending_transfers
from jinbao.policy.parameters import Parameters
from jinbao.registry import repository
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus, Scheme
from jinbao.registry.regions import sync_regions
from jinbao.transfers import queries, workflow
from jinbao.transfers.records import agency_record
from jinbao.transfers.tables import cleared_months
from tests.builders import an_agency_tree, an_id_number
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD, MovingClock, employ, months

PERSON = an_id_number(born="1986-04-04", sex="F", county="410105")


class Network:
    """Carries each document to the node that serves its receiving agency (HTTP between
    provincial nodes in production; here, straight into the other database)."""

    def __init__(self, clock: MovingClock, serving: dict[str, Engine]) -> None:
        self.clock, self.serving = clock, serving

    def send(self, data: bytes) -> None:
        receiver = decode(data).document.envelope.receiver
        with UnitOfWork(self.serving[receiver], self.clock, "exchange") as uow:
            exchange.receive(uow, data)
            uow.commit()

    def settle(self, params: Parameters) -> None:
        """Pump every node until no document moves."""
        for _ in range(10):
            moved = 0
            for engine in dict.fromkeys(self.serving.values()):
                report = workflow.pump(engine, self.clock, params, transport=self)
                assert report.failed == 0
                moved += report.delivered + report.applied
            if not moved:
                return
        raise AssertionError("the network never settled")


@pytest.fixture
def henan(engine: Engine, new_database: Callable[[str], str], moving_clock) -> Iterator[Engine]:
    """Node B, Henan's: a second database of the same engine as node A (``engine``)."""
    other = make_engine(new_database(engine.dialect.name))
    migrate.upgrade(other)
    with UnitOfWork(other, moving_clock) as uow:
        sync_regions(uow)
        uow.commit()
    yield other
    other.dispose()


def at(engine: Engine, clock: MovingClock) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(engine, clock, actor="test")


@pytest.fixture
def network(
    engine: Engine, henan: Engine, moving_clock: MovingClock, params: Parameters
) -> Network:
    """Guangdong's node (``engine``) holds Tianhe's records: employed 2023-01..2024-11, 8 000
    yuan, paid. Henan's node holds Zhengzhou's: a flexible worker from 2024-10, 6 000 yuan,
    paid 2024-10..2025-03 — two months paid at both places, which neither node can see alone."""

    def guangdong(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(PERSON, "赵六", "410105"))
        old, _ = employ(
            uow, params, PERSON, OLD, YearMonth(2023, 1), 23, 800_000, paid_on=dt.date(2024, 12, 5)
        )
        registry.change_relationship_status(
            uow, old, RelationshipStatus.SUSPENDED, changed_on=dt.date(2024, 12, 1),
            reason="离职",
        )  # fmt: skip
        exchange.ensure_key(uow, OLD)
        workflow.set_auto_review(uow, OLD, True)

    def henan_node(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(PERSON, "赵六", "410105"))
        registry.add_relationship(
            uow, registry.NewRelationship(PERSON, Scheme.ENTERPRISE, NEW, dt.date(2024, 10, 1))
        )
        for m in months(YearMonth(2024, 10), 6):
            contributions.flexible(uow, PERSON, m, Fen(600_000), dt.date(2025, 4, 1), params)
        exchange.ensure_key(uow, NEW)
        workflow.set_auto_review(uow, NEW, True)

    commit(at(engine, moving_clock), guangdong)
    commit(at(henan, moving_clock), henan_node)
    # The directory publishes each node's public keys to the other.
    with at(engine, moving_clock)() as uow:
        from_gd = exchange.published_keys(uow)
    with at(henan, moving_clock)() as uow:
        from_ha = exchange.published_keys(uow)
    commit(at(henan, moving_clock), lambda uow: exchange.import_keys(uow, from_gd))
    commit(at(engine, moving_clock), lambda uow: exchange.import_keys(uow, from_ha))
    serving = dict.fromkeys(("44010600", "44010000", "44000000", "10000000"), engine)
    return Network(moving_clock, {**serving, NEW: henan, "41000000": henan})


def person_id(uow: UnitOfWork) -> int:
    found = repository.person_id(uow, PERSON)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("keep", "refund_here", "refund_there", "local", "brought"),
    [
        ("here", 2 * 64_000, 0, 6, 23 - 2),  # Tianhe's two months go: 8% of 8 000 each
        ("transferred", 0, 2 * 48_000, 6 - 2, 23),  # Zhengzhou's two go: 8% of 6 000 each
    ],
)
def test_a_transfer_between_two_nodes_settles_months_paid_at_both_places(
    engine: Engine,
    henan: Engine,
    network: Network,
    moving_clock: MovingClock,
    params: Parameters,
    keep: str,
    refund_here: int,
    refund_there: int,
    local: int,
    brought: int,
) -> None:
    gd, ha = at(engine, moving_clock), at(henan, moving_clock)
    with ha() as uow:
        before_ha = statement(uow, PERSON, moving_clock.today())
    # Zhengzhou holds no Guangdong relation: the person names the agency that keeps it.
    with pytest.raises(InvalidInput, match="nothing_to_transfer"):
        commit(ha, lambda uow: workflow.apply(uow, workflow.Application(PERSON, NEW), params))
    case_id = commit(
        ha, lambda uow: workflow.apply(uow, workflow.Application(PERSON, NEW, OLD), params)
    )
    network.settle(params)

    # Tianhe reviewed automatically on its node and reserved the money there; Zhengzhou sees
    # the two months paid twice and waits for the person's choice.
    with ha() as uow:
        (mine,) = queries.show(uow, case_id, params)["sides"]
    assert mine["state"] == "funds_sent"
    assert [r["code"] for r in mine["reasons"]] == ["transfer.duplicate_months"]
    with gd() as uow:
        (theirs,) = queries.show(uow, case_id, params)["sides"]
        reserved = uow.conn.execute(select(pending_transfers.c.state)).scalar_one()
    assert theirs["state"] == "funds_sent"
    assert reserved == "pending"
    asked = rejected(henan, ha, lambda uow: workflow.go_on(uow, case_id, params=params))
    assert asked.code == "transfer.keep_required"

    commit(ha, lambda uow: workflow.go_on(uow, case_id, params=params, keep=keep))
    network.settle(params)

    with gd() as uow:
        (theirs,) = queries.show(uow, case_id, params)["sides"]
        gd_state = uow.conn.execute(select(pending_transfers.c.state)).scalar_one()
        old = registry.person_relationships(uow, PERSON)
        left_gd = statement(uow, PERSON, moving_clock.today())
        assert check(uow) == []
    with ha() as uow:
        (mine,) = queries.show(uow, case_id, params)["sides"]
        aid = repository.agency_id(uow, NEW)
        assert aid is not None
        record = agency_record(uow, person_id(uow), "enterprise", aid, "410000")
        after_ha = statement(uow, PERSON, moving_clock.today())
        cleared = sorted(uow.conn.execute(select(cleared_months.c.period)).scalars())
        assert check(uow) == []
    assert (mine["state"], theirs["state"]) == ("completed", "completed")
    assert gd_state == "posted"  # Guangdong posted its half when the 办结通知 arrived
    assert [r.status for r, _ in old] == [RelationshipStatus.TRANSFERRED_OUT]
    assert left_gd.total == 0  # the whole account left Guangdong's node
    incoming = 23 * 64_000  # Tianhe's account: 8% of 8 000 yuan for 23 months
    assert after_ha.total - before_ha.total == incoming - refund_here - refund_there
    assert cleared == [202410, 202411]
    assert sum(y.local_months for y in record.years) == local
    assert sum(y.transferred_months for y in record.years) == brought
    assert [n["code"] for n in mine["notices"]] == ["transfer.duplicate_refund"]


def test_documents_out_of_order_or_twice_are_applied_once(
    engine: Engine, henan: Engine, network: Network, moving_clock: MovingClock, params: Parameters
) -> None:
    """Between nodes the 基金划转表 can arrive before the 信息表, and an at-least-once transport
    can bring every document again: each is applied once, in the order the rules need."""
    gd, ha = at(engine, moving_clock), at(henan, moving_clock)
    case_id = commit(
        ha, lambda uow: workflow.apply(uow, workflow.Application(PERSON, NEW, OLD), params)
    )
    workflow.pump(henan, moving_clock, params, transport=network)  # the 联系函 to Guangdong
    # Tianhe reviews it and sends 信息表 and 划转表: they wait in Guangdong's outbox.
    workflow.process_inbox(engine, moving_clock, params)

    def sent(kind: str) -> bytes:
        with engine.connect() as conn:
            wire = conn.execute(select(outbox.c.payload).where(outbox.c.type == kind)).scalar_one()
        return str(wire).encode()

    def zhengzhou() -> str:
        with ha() as uow:
            (mine,) = queries.show(uow, case_id, params)["sides"]
        return str(mine["state"])

    network.send(sent("fund_transfer_slip"))
    workflow.process_inbox(henan, moving_clock, params)
    assert zhengzhou() == "contact_sent"  # the slip waits for its table
    network.send(sent("info_table"))
    workflow.process_inbox(henan, moving_clock, params)
    assert zhengzhou() == "funds_sent"

    network.settle(params)  # Guangdong's outbox delivers both once more: duplicates
    commit(ha, lambda uow: workflow.go_on(uow, case_id, params=params, keep="here"))
    network.settle(params)
    for node in (engine, henan):
        with node.connect() as conn:
            everything = [str(p) for (p,) in conn.execute(select(outbox.c.payload))]
        for again in everything:
            network.send(again.encode())  # every document a third time
    for node in (engine, henan):
        assert workflow.pump(node, moving_clock, params, transport=network).applied == 0
    with gd() as uow:
        (theirs,) = queries.show(uow, case_id, params)["sides"]
        assert uow.conn.execute(select(pending_transfers.c.state)).scalar_one() == "posted"
        assert check(uow) == []
    with ha() as uow:
        (mine,) = queries.show(uow, case_id, params)["sides"]
        assert check(uow) == []
    assert (mine["state"], theirs["state"]) == ("completed", "completed")
