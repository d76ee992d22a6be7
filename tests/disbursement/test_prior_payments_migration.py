"""Migration 0007 (payments made before ZoneBrain) on SQLite and PostgreSQL: the ledger keeps every
row (each of source ``batch``) and its live-key index; an imported row needs no batch but its import
and reference (a CHECK), and holds its key like any other; downgrading refuses while an imported row
exists, and otherwise restores the NOT NULL columns."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from tests.web.test_appstore_r0004 import NOW, _alembic, _count, _seed
from zonebrain.appstore import AppStore


def _run(store: AppStore, sql: str, **params: object) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


IMPORTED = (
    "INSERT INTO payment_ledger (id, uscc, policy_id, clause_id, period, amount_fen, paid_at, paid_by,"
    " source, import_id, reference) VALUES (:i, :uscc, 'p', 'c', 'once', 100, :now, :u, 'import', 1, :ref)"
)


def test_upgrade_keeps_the_ledger_and_its_key_and_admits_imported_rows(store: AppStore) -> None:
    _alembic(store, command.downgrade, "0006")
    user = _seed(store)  # a paid batch: ledger entries 1 (firm A) and 2 (firm B), period once
    _alembic(store, command.upgrade, "0007")
    assert store.revision() == "0007" and _count(store, "payment_ledger") == 2
    with store.engine.connect() as conn:
        sources = conn.execute(sa.text("SELECT DISTINCT source FROM payment_ledger")).scalars().all()
    assert sources == ["batch"]
    nullable = {c["name"]: c["nullable"] for c in sa.inspect(store.engine).get_columns("payment_ledger")}
    assert nullable["batch_id"] and nullable["item_id"] and nullable["run_id"] and not nullable["source"]

    _run(store, "INSERT INTO prior_payment_imports (id, file_name, file_sha256, sheet, rows_in, rows_imported,"
         " rows_present, total_fen, imported_by, imported_at) VALUES (1, 'f.csv', 'x', NULL, 2, 1, 0, 100, :u, :now)",
         u=user, now=NOW)  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError):  # firm A's award: the live batch entry holds the key
        _run(store, IMPORTED, i=3, uscc="A", now=NOW, u=user, ref="R")
    _run(store, IMPORTED, i=3, uscc="C", now=NOW, u=user, ref="R")
    with pytest.raises(sa.exc.IntegrityError):  # … and now the imported entry holds firm C's
        _run(store, IMPORTED, i=4, uscc="C", now=NOW, u=user, ref="R2")
    with pytest.raises(sa.exc.IntegrityError):  # the CHECK: an imported row names its reference
        _run(store, IMPORTED, i=5, uscc="D", now=NOW, u=user, ref=None)
    with pytest.raises(sa.exc.IntegrityError):  # … and a batch row its batch, item and run
        _run(store, "INSERT INTO payment_ledger (id, uscc, policy_id, clause_id, period, amount_fen, paid_at,"
             " paid_by) VALUES (6, 'E', 'p', 'c', 'once', 100, :now, :u)", now=NOW, u=user)  # fmt: skip

    with pytest.raises(RuntimeError, match="1 笔往年导入的记录"):  # 0006 cannot hold it: nothing changes
        _alembic(store, command.downgrade, "0006")
    assert store.revision() == "0007" and _count(store, "payment_ledger") == 3

    _run(store, "DELETE FROM payment_ledger WHERE source = 'import'")
    _alembic(store, command.downgrade, "0006")
    assert store.revision() == "0006" and _count(store, "payment_ledger") == 2
    columns = {c["name"]: c["nullable"] for c in sa.inspect(store.engine).get_columns("payment_ledger")}
    assert "source" not in columns and not columns["batch_id"]
    assert "prior_payment_imports" not in sa.inspect(store.engine).get_table_names()
    with pytest.raises(sa.exc.IntegrityError):  # the live key is still the database's
        _run(store, "INSERT INTO payment_ledger (id, uscc, policy_id, clause_id, period, amount_fen, batch_id,"
             " item_id, run_id, paid_at, paid_by) VALUES (7, 'A', 'p', 'c', 'once', 1, 1, 1, 'r', :now, :u)",
             now=NOW, u=user)  # fmt: skip
    _alembic(store, command.upgrade, "head")  # leave the store at the newest revision (PostgreSQL keeps it)
