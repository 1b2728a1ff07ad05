"""Alembic environment: run with the connection handed in by jinbao.db.migrate.

Migrations never import the application's tables; each version spells its schema out.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
