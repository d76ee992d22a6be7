"""The app-store tests reuse the pipeline tests' people (the store fixtures are in tests/_appstore.py)."""

from __future__ import annotations

from tests.pipeline.conftest import People, people

__all__ = ["People", "people"]
