"""Alembic environment: runs on the connection the service hands over (never a URL from a config file)."""
from alembic import context

from addin.server.db import Base

connection = context.config.attributes.get("connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
