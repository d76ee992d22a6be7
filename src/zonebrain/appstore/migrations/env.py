"""Alembic environment: always run by AppStore.migrate(), which hands over its connection."""

from __future__ import annotations

from alembic import context

from zonebrain.appstore._models import Base


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "config", None) is not None:  # run by Alembic (not merely imported, e.g. by doctest)
    run_migrations()
