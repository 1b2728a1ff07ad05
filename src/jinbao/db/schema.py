"""The full schema: importing this module registers every capability's tables on ``metadata``."""

from __future__ import annotations

import jinbao.audit.tables
import jinbao.registry.tables  # noqa: F401  (imported for its side effect: table registration)
from jinbao.db.metadata import metadata

__all__ = ["metadata"]
