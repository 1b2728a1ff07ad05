"""The pump's two questions, "what is waiting in the outbox" and "in the inbox", are answered by
partial indexes that hold only the waiting documents (migration 0012), not by reading every
document the node ever sent or received; a case's documents are found by the case (0016)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, Select, insert, text
from sqlalchemy.dialects import postgresql

from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.tables import inbox, outbox
from jinbao.transfers import queries
from tests.integration.helpers import listening


def plan(engine: Engine, query: Select) -> str:
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # On tables this small a scan is cheapest; what matters is that the index serves
            # the query at all (a partial index does only when the query implies its WHERE).
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            rows = conn.execute(text(f"EXPLAIN {sql}"))
        else:
            rows = conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
        return "\n".join(str(tuple(r)) for r in rows)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (exchange.undelivered(1000), "ix_outbox_pending"),
        (exchange.unapplied(1000), "ix_inbox_pending"),
    ],
    ids=["outbox", "inbox"],
)
def test_the_pump_finds_waiting_documents_by_their_partial_index(
    engine: Engine, query: Select, index: str
) -> None:
    assert index in plan(engine, query)


def test_a_cases_view_finds_its_documents_in_the_outbox_by_the_case(engine: Engine) -> None:
    """The view of a case (read back after every application under the mixed load) read the
    whole outbox for its four documents until 0016. Since session 34 the documents are a part
    of the view's one statement."""
    query = queries._VIEW.statement.params(case_id="ZY20261206A56899EADD")
    assert "ix_outbox_case_id" in plan(engine, query)


def test_what_waits_in_both_boxes_is_one_statement_each_box_in_its_order_and_limit(
    engine: Engine,
) -> None:
    """The pump reads both boxes at every round in one statement (since session 34): each box
    gives what its own query gives, in its order and up to the limit, whatever the other
    holds; delivered, paper and applied documents are not waiting."""
    at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(outbox), [
            {"document_id": f"o{n}", "sender": "a", "receiver": "b", "type": "contact_letter",
             "case_id": "c", "payload": f"out{n}", "created_at": at, "attempts": 0,
             "channel": channel, "delivered_at": at if delivered else None}
            for n, channel, delivered in [
                (1, "network", True), (2, "network", False), (3, "paper", False),
                (4, "network", False), (5, "network", False),
            ]
        ])  # fmt: skip
        conn.execute(insert(inbox), [
            {"document_id": f"i{n}", "sender": "a", "receiver": "b", "type": "contact_letter",
             "case_id": "c", "payload": f"in{n}", "received_at": at + dt.timedelta(minutes=m),
             "applied_at": at if applied else None}
            for n, m, applied in [(1, 5, False), (2, 1, True), (3, 3, False), (4, 3, False)]
        ])  # fmt: skip
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        statements.append(sql)

    with engine.connect() as conn, listening(engine, "before_cursor_execute", seen):
        for limit in (1, 2, 10):
            statements.clear()
            outgoing, incoming = exchange.waiting(conn, limit)
            assert len(statements) == 1
            assert [tuple(r) for r in outgoing] == [
                tuple(r) for r in conn.execute(exchange.undelivered(limit))
            ]
            assert [tuple(r) for r in incoming] == [
                tuple(r) for r in conn.execute(exchange.unapplied(limit))
            ]
    with engine.connect() as conn:
        outgoing, incoming = exchange.waiting(conn, 10)
    ids = dict(outgoing)  # the outbox's own row ids, by which deliver marks them
    assert list(ids.values()) == ["out2", "out4", "out5"]
    assert [payload for _, payload in incoming] == ["in3", "in4", "in1"]
    assert all(isinstance(row_id, int) for row_id in ids)


def test_the_pumps_outbox_index_holds_the_network_documents_waiting_not_the_papers(
    engine: Engine,
) -> None:
    """A paper document sent to an agency off this node is never marked delivered here (the
    post carries it). Until 0017 the outbox's index of waiting documents held every one of
    them, and every round of the pump stepped over them all. Now the pump's statement, its
    values bound as the driver sends them, reads the index, and the index gives the waiting
    network documents and nothing else."""
    at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(outbox), [
            {"document_id": f"p{n}", "sender": "a", "receiver": "b", "type": "contact_letter",
             "case_id": "c", "payload": f"p{n}", "created_at": at, "attempts": 0,
             "channel": "network" if n == 0 else "paper", "delivered_at": None}
            for n in range(200)
        ])  # fmt: skip
        conn.execute(text("ANALYZE"))
    waiting = exchange._READ_WAITING.statement
    values = {"param_1": 0, "param_2": 1, "limit": 10}
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            compiled = waiting.compile(
                dialect=postgresql.psycopg.dialect(paramstyle="numeric_dollar")
            )
            bound = ", ".join(str(values[name]) for name in compiled.positiontup)
            driver.execute("SET plan_cache_mode = force_generic_plan")
            driver.execute("SET enable_seqscan = off")  # a table this small is cheapest scanned
            driver.execute(f"PREPARE waiting AS {compiled}")
            explained = "\n".join(
                r[0]
                for r in driver.execute(f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE waiting({bound})")
            )
            assert "Index Scan using ix_outbox_pending on outbox" in explained, explained
            assert "Rows Removed by Filter" not in explained, explained
        else:
            compiled = waiting.compile(dialect=engine.dialect)
            given = compiled.construct_params({"limit": 10})
            bound_in_order = tuple(given[name] for name in compiled.positiontup)
            explained = "\n".join(
                str(tuple(r))
                for r in driver.execute(f"EXPLAIN QUERY PLAN {compiled}", bound_in_order)
            )
            assert "ix_outbox_pending" in explained, explained
        outgoing, _incoming = exchange.waiting(conn, 10)
    assert [payload for _, payload in outgoing] == ["p0"]


def test_an_agencys_paper_documents_are_read_by_their_own_index_a_page_at_a_time(
    engine: Engine,
) -> None:
    """An agency's list of papers to print and post read every document the node ever sent
    until 0018 (no index had the sender): now a partial index of the paper documents by
    sender, and the ones already taken in are left out by the database."""
    at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    here, other = "41160200", "41000000"
    sent = [(here, "paper"), (other, "paper"), (here, "network"), (here, "paper"), (here, "paper")]
    sent += [(here, "network")] * 300  # most of what an agency sends goes on the network
    with engine.begin() as conn:
        conn.execute(insert(outbox), [
            {"document_id": f"d{n}", "sender": sender, "receiver": "r", "type": "contact_letter",
             "case_id": "c", "payload": f"p{n}", "created_at": at, "attempts": 0,
             "channel": channel, "delivered_at": at if channel == "network" else None}
            for n, (sender, channel) in enumerate(sent)
        ])  # fmt: skip
        conn.execute(insert(inbox), [  # the receiver has taken d3 in
            {"document_id": "d3", "sender": here, "receiver": "r", "type": "contact_letter",
             "case_id": "c", "payload": "p3", "received_at": at, "applied_at": None}
        ])  # fmt: skip
        conn.execute(text("ANALYZE"))
    query = exchange.paper_query(sender=here, pending_only=True)
    assert "ix_outbox_paper_by_sender" in plan(engine, query)
    with UnitOfWork(engine, write=False) as uow:
        every = exchange.paper_documents(uow, sender=here)
        pending = exchange.paper_documents(uow, sender=here, pending_only=True)
        second = exchange.paper_documents(uow, sender=here, limit=1, offset=1)
        listed = queries.paper_documents(uow, here, limit=1, offset=1)
    assert [(d.document_id, d.received) for d in every] == [
        ("d0", False),
        ("d3", True),
        ("d4", False),
    ]
    assert [d.document_id for d in pending] == ["d0", "d4"]
    assert [d.document_id for d in second] == ["d3"]
    assert [d["document_id"] for d in listed] == ["d4"]  # the second of those still to post
