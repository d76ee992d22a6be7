"""Alembic migrations of the app store (run by :meth:`zonebrain.appstore.AppStore.migrate`)."""
