"""A resource's name + provider is unique in the database, not only in the code.

The catalogue's key is name + provider (a second one is a 409 on the web and a refusal in the
Excel import); the code's check reads before it writes, so two officers adding the same resource at
once could both succeed. ``uq_resources_name_provider`` is a UNIQUE index: SQLite and PostgreSQL
create it in place. A UNIQUE constraint would make SQLite copy ``resources`` (Alembic's batch
mode), and with foreign keys on, dropping the old table under ``matches`` is not safe.

A store that already holds the same name + provider twice cannot take the index: the upgrade then
stops before changing anything and names the resources to rename, instead of failing on the
engine's own UNIQUE error.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zonebrain.core.errors import ConfigError

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "uq_resources_name_provider"
KEY = ["name", "provider"]
SHOWN = 20
"""At most this many duplicated keys are listed in the refusal."""


def _duplicates() -> list[tuple[str, str, list[int]]]:
    """(name, provider, ids) of every name + provider held by more than one resource."""
    rows = op.get_bind().execute(sa.text("SELECT id, name, provider FROM resources ORDER BY id"))
    ids: dict[tuple[str, str], list[int]] = {}
    for rid, name, provider in rows:
        ids.setdefault((name, provider), []).append(int(rid))
    return [(name, provider, found) for (name, provider), found in ids.items() if len(found) > 1]


def _refusal(duplicates: list[tuple[str, str, list[int]]]) -> str:
    lines = [
        f"  '{name}' / '{provider or '(无提供方 no provider)'}': 资源 (resources) "
        + ", ".join(f"#{i}" for i in ids)
        for name, provider, ids in duplicates[:SHOWN]
    ]
    if len(duplicates) > SHOWN:
        lines.append(f"  … 另有 {len(duplicates) - SHOWN} 组 ({len(duplicates) - SHOWN} more)")
    first = duplicates[0][2][1]
    return (
        f"应用库无法升级到 0005: 资源目录中有 {len(duplicates)} 组名称 + 提供方重复的资源, 而名称 + 提供方"
        "须唯一 (the app store cannot be upgraded to 0005: name + provider must be unique in the "
        "resource catalogue, and these resources share one):\n"
        + "\n".join(lines)
        + "\n每组保留一条, 把其余的改名或改提供方后再启动, 例如 (keep one of each, rename the others, "
        f"then start again, e.g.): UPDATE resources SET name = name || ' #{first}' WHERE id = {first}; "
        "改动前请先备份应用库 / back up the app store first"
    )


def upgrade() -> None:
    duplicates = _duplicates()
    if duplicates:
        raise ConfigError(_refusal(duplicates))
    op.create_index(INDEX, "resources", KEY, unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="resources")
