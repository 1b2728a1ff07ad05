"""The pump's two questions, "what is waiting in the outbox" and "in the inbox", are answered by
partial indexes that hold only the waiting documents (migration 0012), not by reading every
document the node ever sent or received; a case's documents are found by the case (0016)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, Select, text

from jinbao.exchange import service as exchange
from jinbao.transfers import queries


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
