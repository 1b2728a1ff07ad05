"""Column types shared by every capability's tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

# A 64-bit key on PostgreSQL (tens of billions of contribution months nationally); on SQLite an
# INTEGER, which is what makes a column the rowid alias that autoincrements.
BIGID = BigInteger().with_variant(Integer, "sqlite")
