"""Migration 0004 (cancelling batches, reversing ledger entries) on SQLite and PostgreSQL: upgrading
keeps every batch, item and ledger row; the ledger's key then holds for live entries only;
downgrading restores the full UNIQUE key, and refuses while history 0003 cannot hold exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from zonebrain.appstore import AppStore, Role

NOW = dt.datetime(2025, 4, 1, 2, 0)


def _alembic(store: AppStore, fn: Callable[[Config, str], None], target: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("zonebrain.appstore") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        fn(cfg, target)


def _seed(store: AppStore) -> int:
    """A paid batch as revision 0003 holds it (plain SQL: the models are 0004's); returns a user id."""
    user = store.users.add("chen", "a-long-password", Role.POLICY_RESEARCHER).id
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO payout_batches (id, run_id, as_of, period, policies, title, status, publicity_note,"
                " created_by, created_at, updated_at, version) VALUES (1, 'r1', :day, 2024, 'p', 't', 'paid', '',"
                " :u, :now, :now, 5)"
            ),
            {"day": dt.date(2025, 3, 31), "u": user, "now": NOW},
        )
        for item, uscc in ((1, "A"), (2, "B")):
            conn.execute(
                sa.text(
                    "INSERT INTO payout_items (id, batch_id, uscc, enterprise_name, policy_id, policy_name,"
                    " clause_id, clause_ref, clause_title, period, amount_fen, status, ledger_id, updated_at)"
                    " VALUES (:i, 1, :uscc, '', 'p', '', 'c', '', '', 'once', 100, 'paid', :i, :now)"
                ),
                {"i": item, "uscc": uscc, "now": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO payment_ledger (id, uscc, policy_id, clause_id, period, amount_fen, batch_id,"
                    " item_id, run_id, paid_at, paid_by) VALUES (:i, :uscc, 'p', 'c', 'once', 100, 1, :i, 'r1',"
                    " :now, :u)"
                ),
                {"i": item, "uscc": uscc, "now": NOW, "u": user},
            )
    return user


def _ledger_insert(store: AppStore, user: int, entry_id: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO payment_ledger (id, uscc, policy_id, clause_id, period, amount_fen, batch_id,"
                " item_id, run_id, paid_at, paid_by) VALUES (:i, 'A', 'p', 'c', 'once', 100, 1, 1, 'r2', :now, :u)"
            ),
            {"i": entry_id, "now": NOW, "u": user},
        )


def _count(store: AppStore, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_upgrade_keeps_the_rows_and_narrows_the_key_downgrade_restores_it(store: AppStore) -> None:
    _alembic(store, command.downgrade, "0003")  # from the newest revision (later ones are undone first)
    assert store.revision() == "0003"
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("payment_ledger")}
    assert "reversed_at" not in columns
    user = _seed(store)
    with pytest.raises(sa.exc.IntegrityError):
        _ledger_insert(store, user, 3)  # 0003: the key is UNIQUE over every row

    _alembic(store, command.upgrade, "0004")
    assert store.revision() == "0004"
    # nothing lost: on SQLite the ledger is copied, the batches are altered in place (items cascade)
    assert (
        _count(store, "payout_batches"),
        _count(store, "payout_items"),
        _count(store, "payment_ledger"),
    ) == (
        1,
        2,
        2,
    )
    batch_columns = {c["name"] for c in sa.inspect(store.engine).get_columns("payout_batches")}
    assert {"cancelled_by", "cancelled_at", "cancel_reason"} <= batch_columns
    with pytest.raises(sa.exc.IntegrityError):
        _ledger_insert(store, user, 3)  # the live entry holds the key
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE payment_ledger SET reversed_at = :now, reversed_by = :u, reversal_reason = 'x' WHERE id = 1"
            ),
            {"now": NOW, "u": user},
        )
    _ledger_insert(store, user, 3)  # reversed: the award may be paid again …
    with pytest.raises(sa.exc.IntegrityError):
        _ledger_insert(store, user, 4)  # … once

    # history 0003 cannot hold: the downgrade refuses and changes nothing
    with pytest.raises(RuntimeError, match="不能降级到 0003"):
        _alembic(store, command.downgrade, "0003")
    assert store.revision() == "0004" and _count(store, "payment_ledger") == 3


def test_downgrade_refuses_while_a_batch_is_cancelled(store: AppStore) -> None:
    _alembic(store, command.downgrade, "0003")
    _seed(store)
    _alembic(store, command.upgrade, "0004")
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE payout_batches SET status = 'cancelled', cancel_reason = 'x'"))
    with pytest.raises(RuntimeError, match="1 个已作废批次"):
        _alembic(store, command.downgrade, "0003")
    assert store.revision() == "0004"
