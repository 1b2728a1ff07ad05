"""The full schema: importing this module registers every capability's tables on ``metadata``."""

from __future__ import annotations

import jinbao.accounts.tables
import jinbao.audit.tables
import jinbao.benefits.tables
import jinbao.contributions.tables
import jinbao.exchange.tables
import jinbao.ledger.tables
import jinbao.registry.tables
import jinbao.transfers.tables  # noqa: F401  (each import registers its tables)
from jinbao.db.metadata import metadata

__all__ = ["metadata"]
