"""Migration 0006 on SQLite and PostgreSQL: payout batches gain who published the list (公示) and
who closed its publicity early; batches published before it get them from the audit log (the
latest successful entry of the step), never guessed; downgrading drops the two columns only."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from tests.web.test_appstore_r0004 import NOW, _alembic, _count
from zonebrain.appstore import AppStore, Role


def _batch(store: AppStore, batch_id: int, user: int, *, publicized: bool, closed: bool) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO payout_batches (id, run_id, as_of, period, policies, title, status, publicity_note,"
                " created_by, created_at, updated_at, version, publicized_at, publicity_closed_at)"
                " VALUES (:id, 'r1', :day, 2024, 'p', 't', :status, '', :u, :now, :now, 3, :pub, :closed)"
            ),
            {
                "id": batch_id, "day": dt.date(2025, 3, 31), "u": user, "now": NOW,
                "status": "publicized" if publicized else "reviewed",
                "pub": NOW if publicized else None, "closed": NOW if closed else None,
            },
        )  # fmt: skip


def _audit(
    store: AppStore, user: int, action: str, batch_id: int, *, minutes: int, outcome: str = "ok"
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (at, user_id, username, role, action, target, outcome, ip, detail)"
                " VALUES (:at, :u, 'x', 'r', :action, :target, :outcome, '', '{}')"
            ),
            {
                "at": NOW + dt.timedelta(minutes=minutes), "u": user, "action": action,
                "target": f"batch:{batch_id}", "outcome": outcome,
            },
        )  # fmt: skip


def _actors(store: AppStore) -> dict[int, tuple[int | None, int | None]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, publicized_by, publicity_closed_by FROM payout_batches"))
        return {int(i): (p, c) for i, p, c in rows}


def test_upgrade_takes_the_publisher_from_the_audit_log_and_downgrade_drops_it(store: AppStore) -> None:
    _alembic(store, command.downgrade, "0005")
    chen = store.users.add("chen", "a-long-password", Role.POLICY_RESEARCHER).id
    liu = store.users.add("liu", "a-long-password", Role.POLICY_RESEARCHER).id
    wang = store.users.add("wang", "a-long-password", Role.LEADER).id
    _batch(store, 1, chen, publicized=True, closed=True)
    _batch(store, 2, chen, publicized=True, closed=False)  # no audit entry for its 公示
    _batch(store, 3, chen, publicized=False, closed=False)
    _batch(store, 11, chen, publicized=True, closed=False)  # 'batch:1' must not match 'batch:11'
    _audit(store, liu, "disbursement.publicize", 1, minutes=1, outcome="denied")  # refused: not its publisher
    _audit(store, chen, "disbursement.publicize", 1, minutes=2)
    _audit(store, wang, "disbursement.close_publicity", 1, minutes=3)
    _audit(store, liu, "disbursement.publicize", 3, minutes=4)  # batch 3 was never published: stays null
    _audit(store, liu, "disbursement.publicize", 11, minutes=5)

    _alembic(store, command.upgrade, "0006")
    assert store.revision() == "0006"
    assert _actors(store) == {1: (chen, wang), 2: (None, None), 3: (None, None), 11: (liu, None)}
    assert _count(store, "payout_batches") == 4

    _alembic(store, command.downgrade, "0005")
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("payout_batches")}
    assert not {"publicized_by", "publicity_closed_by"} & columns
    assert _count(store, "payout_batches") == 4 and _count(store, "audit_log") >= 5
    _alembic(store, command.upgrade, "head")  # leave the store at the newest revision (PostgreSQL keeps it)
