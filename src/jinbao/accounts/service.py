"""Personal-account statements: every entry with its source, and the balance by portion as of a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from jinbao.accounts.tables import account_entries
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import NotFound
from jinbao.kernel.money import Fen
from jinbao.policy.interest import Portion
from jinbao.registry.tables import persons


@dataclass(frozen=True, slots=True)
class Entry:
    effective_on: dt.date
    period: int
    portion: Portion
    kind: str
    amount: Fen
    source: str


@dataclass(frozen=True, slots=True)
class Statement:
    id_number: str
    scheme: str
    as_of: dt.date
    entries: tuple[Entry, ...]
    balances: dict[Portion, Fen]

    @property
    def total(self) -> Fen:
        return Fen(sum(self.balances.values()))


def statement(
    uow: UnitOfWork, id_number: str, as_of: dt.date, scheme: str = "enterprise"
) -> Statement:
    """The account as of ``as_of`` (个人账户对账单): entries in date order and the balance of each
    portion (1998年前个人部分 / 1998–2005 / 2006起), which transfers need apart."""
    person_id = uow.conn.execute(
        select(persons.c.id).where(persons.c.id_number == id_number.strip().upper())
    ).scalar()
    if person_id is None:
        raise NotFound(
            "person.not_found",
            f"公民身份号码{id_number}未参保登记。",
            f"No person {id_number} is registered.",
        )
    rows = uow.conn.execute(
        select(account_entries)
        .where(
            account_entries.c.person_id == person_id,
            account_entries.c.scheme == scheme,
            account_entries.c.effective_on <= as_of,
        )
        .order_by(account_entries.c.effective_on, account_entries.c.id)
    )
    entries = tuple(
        Entry(r.effective_on, r.period, Portion(r.portion), r.kind, Fen(r.amount), r.source)
        for r in rows
    )
    balances: dict[Portion, Fen] = {}
    for e in entries:
        balances[e.portion] = Fen(balances.get(e.portion, 0) + e.amount)
    return Statement(id_number.strip().upper(), scheme, as_of, entries, balances)
