"""A page of a long list over the API: ``limit`` items from ``offset``.

    def cases(page: Annotated[Page, Depends(page)]) -> …: service(…, limit=page.limit,
                                                                  offset=page.offset)

For the lists that grow with everything ever recorded (an employer's declarations, an agency's
cases, a supervisor's): a request reads and sends one page of them, and a client pages on while
a page comes back full. The short directories (persons, employers) keep their own smaller
limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

LIMIT = 1_000  # a page unless asked
LIMIT_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def page(
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX, description="items in the page")] = LIMIT,
    offset: Annotated[int, Query(ge=0, description="items before the page")] = 0,
) -> Page:
    return Page(limit, offset)
