"""Migration 0008 on SQLite and PostgreSQL: holds (暂缓支付) get their table, with at most one open
hold per item; ledger entries gain what a reversal rests on, and those reversed before it get the kind
``legacy`` (never guessed from their reason), live ones none; downgrading refuses while a hold or a
reversal with its kind exists, and otherwise drops the table and the columns, keeping every row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from tests.web.test_appstore_r0004 import NOW, _alembic, _count
from zonebrain.appstore import AppStore, Role

HOLD = (
    "INSERT INTO payout_holds (item_id, batch_id, reason, held_by, held_at, outcome, outcome_note)"
    " VALUES (1, 1, '待核实', :u, :now, :outcome, '')"
)


def _seed(store: AppStore) -> int:
    """A paid batch of two items as revision 0007 holds it, entry 1 reversed 'bank returned', entry 2 live."""
    user = store.users.add("chen", "a-long-password", Role.POLICY_RESEARCHER).id
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO payout_batches (id, run_id, as_of, period, policies, title, status, publicity_note,"
                " created_by, created_at, updated_at, version) VALUES (1, 'r1', '2025-03-31', 2024, 'p', 't',"
                " 'paid', '', :u, :now, :now, 5)"
            ),
            {"u": user, "now": NOW},
        )
        for i, uscc in ((1, "A"), (2, "B")):
            conn.execute(
                sa.text(
                    "INSERT INTO payout_items (id, batch_id, uscc, enterprise_name, policy_id, policy_name,"
                    " clause_id, clause_ref, clause_title, period, amount_fen, status, ledger_id, updated_at)"
                    " VALUES (:i, 1, :uscc, '', 'p', '', 'c', '', '', 'once', 100, 'paid', :i, :now)"
                ),
                {"i": i, "uscc": uscc, "now": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO payment_ledger (id, uscc, policy_id, clause_id, period, amount_fen, batch_id,"
                    " item_id, run_id, paid_at, paid_by, reversed_at, reversed_by, reversal_reason) VALUES"
                    " (:i, :uscc, 'p', 'c', 'once', 100, 1, :i, 'r1', :now, :u, :rev, :by, :why)"
                ),
                {
                    "i": i, "uscc": uscc, "now": NOW, "u": user, "rev": NOW if i == 1 else None,
                    "by": user if i == 1 else None, "why": "银行退回" if i == 1 else None,
                },
            )  # fmt: skip
    return user


def _kinds(store: AppStore) -> dict[int, str | None]:
    with store.engine.connect() as conn:
        return {int(i): k for i, k in conn.execute(sa.text("SELECT id, reversal_kind FROM payment_ledger"))}


def test_upgrade_marks_earlier_reversals_legacy_and_downgrade_keeps_the_rows(store: AppStore) -> None:
    _alembic(store, command.downgrade, "0007")
    assert "payout_holds" not in store.table_names()
    user = _seed(store)

    _alembic(store, command.upgrade, "0008")
    assert store.revision() == "0008"
    assert _kinds(store) == {1: "legacy", 2: None}  # reversed before 0008: kind unknown; live: none
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("payment_ledger")}
    assert {"reversal_kind", "reversal_evidence", "money_back_on", "recovery_noted_at",
            "recovery_noted_by"} <= columns  # fmt: skip
    assert (_count(store, "payout_items"), _count(store, "payment_ledger")) == (2, 2)
    # one open hold per item; a decided one does not count
    with store.engine.begin() as conn:
        conn.execute(sa.text(HOLD), {"u": user, "now": NOW, "outcome": "released"})
        conn.execute(sa.text(HOLD), {"u": user, "now": NOW, "outcome": None})
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.text(HOLD), {"u": user, "now": NOW, "outcome": None})

    # history 0007 cannot hold: the downgrade refuses and changes nothing
    with pytest.raises(RuntimeError, match="不能降级到 0007: 有 2 条暂缓支付记录"):
        _alembic(store, command.downgrade, "0007")
    assert store.revision() == "0008" and _count(store, "payout_holds") == 2
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM payout_holds"))
        conn.execute(sa.text("UPDATE payment_ledger SET reversal_kind = 'returned' WHERE id = 1"))
    with pytest.raises(RuntimeError, match="1 笔记明类型的冲正"):
        _alembic(store, command.downgrade, "0007")
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE payment_ledger SET reversal_kind = 'legacy' WHERE id = 1"))

    _alembic(store, command.downgrade, "0007")  # only legacy kinds left: nothing is lost
    assert "payout_holds" not in store.table_names()
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("payment_ledger")}
    assert not {"reversal_kind", "money_back_on", "recovery_noted_by"} & columns
    assert (_count(store, "payout_items"), _count(store, "payment_ledger")) == (2, 2)
    _alembic(store, command.upgrade, "head")  # leave the store at the newest revision (PostgreSQL keeps it)
    assert _kinds(store) == {1: "legacy", 2: None}
