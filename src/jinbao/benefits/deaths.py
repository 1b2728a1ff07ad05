"""A person's recorded death: one look-up for the benefits and for the contributions.

A module of its own, importing no use case: :mod:`jinbao.benefits.events` records deaths and
imports the contributions' use cases, and those refuse a month paid after a death
(``contribution.after_death``), so neither could import the other's look-up.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select

from jinbao.benefits.tables import life_events
from jinbao.db.driver import DriverRead
from jinbao.db.uow import UnitOfWork

# At most one a person (jinbao.benefits.events.record_death).
_DEATH_OF = DriverRead(
    select(life_events.c.on, life_events.c.source).where(
        life_events.c.person_id == bindparam("person_id"), life_events.c.kind == "death"
    )
)


def recorded_death(uow: UnitOfWork, person_id: int) -> tuple[dt.date, str] | None:
    """The day and source of the person's recorded death, or None."""
    found = _DEATH_OF.first(uow.conn, {"person_id": person_id})
    return None if found is None else (found.on, found.source)
