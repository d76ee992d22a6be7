"""The linking tests reuse the pipeline tests' app store (SQLite, and PostgreSQL when selected)."""

from __future__ import annotations

from tests.pipeline.conftest import People, people, pg_url, store

__all__ = ["People", "people", "pg_url", "store"]
