"""The audit log's hash chain on SQLite and PostgreSQL: writes made every way the code makes them
verify; an edited, deleted or forged row is found and named (by the walk and by `zonebrain audit
verify`, which exits non-zero); a head kept outside shows a consistently rewritten chain; two
writers at once never fork the chain; migration 0009 chains the rows written before it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.web.test_appstore_r0004 import NOW, _alembic
from zonebrain.appstore import AppStore, AuditRow, Role, chain_head, open_app_store, verify_chain
from zonebrain.appstore._chain import GENESIS, row_hash
from zonebrain.appstore.pipeline_models import audit_row


def _writes(store: AppStore, n: int = 6) -> None:
    """Audit rows as the code writes them: one by one, and several in one unit of work."""
    wang = store.users.add("wang", "a-long-password", Role.LEADER)
    for i in range(n):
        store.audit.record("user.login", user=wang, ip="10.0.0.1", detail={"i": i, "名称": "科技贷"})
    with store.session() as s:
        s.add_all([audit_row("project.update", user_id=wang.id, username="wang", role="leader",
                             target=f"project:{i}", detail={"before": {"stage": "线索"}, "after": {"stage": "洽谈"}})
                   for i in range(3)])  # fmt: skip


def _row(action: str, *, username: str, target: str = "") -> AuditRow:
    return audit_row(action, user_id=None, username=username, role="", target=target, detail={})


def _sql(store: AppStore, statement: str, **params: object) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _ids(store: AppStore) -> list[int]:
    with store.engine.connect() as conn:
        return [int(i) for i in conn.execute(sa.text("SELECT id FROM audit_log ORDER BY seq")).scalars()]


def _rows(store: AppStore) -> list[dict[str, object]]:
    with store.engine.connect() as conn:
        return [
            dict(r._mapping) for r in conn.execute(sa.select(AuditRow.__table__).order_by(sa.text("seq")))
        ]


def test_a_run_of_writes_verifies_and_each_hash_is_its_content_and_link(store: AppStore) -> None:
    _writes(store)
    report = verify_chain(store)
    rows = _rows(store)
    assert report.ok, report.problem
    assert report.rows == len(rows) == store.audit.count() == 6 + 3
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    prev = GENESIS
    for r in rows:  # recomputed here from the stored fields: the documented layout
        assert r["prev_hash"] == prev and r["row_hash"] == row_hash(r)
        prev = str(r["row_hash"])
    head = chain_head(store)
    assert head is not None and head.rows == len(rows) and head.last_hash == prev == report.head_hash
    assert head.last_id == rows[-1]["id"] == report.head_id and head.anchor_rows == 0


def test_an_edited_detail_is_found_and_named(store: AppStore, tmp_path: Path) -> None:
    _writes(store)
    victim = _ids(store)[4]
    _sql(store, "UPDATE audit_log SET detail = :d WHERE id = :id", d='{"i": 99}', id=victim)
    report = verify_chain(store)
    assert not report.ok and report.problem is not None
    assert (report.problem.kind, report.problem.id, report.problem.seq) == ("content", victim, 5)
    assert report.problem.action == "user.login" and f"第 {victim} 行" in report.problem.text
    assert report.rows == 4  # the rows before it hold


def test_an_edited_row_whose_hash_was_recomputed_breaks_the_next_link(store: AppStore) -> None:
    _writes(store)
    rows = _rows(store)
    victim = rows[2]
    victim["target"] = "someone-else"
    _sql(store, "UPDATE audit_log SET target = :t, row_hash = :h WHERE id = :id",
         t="someone-else", h=row_hash(victim), id=victim["id"])  # fmt: skip
    problem = verify_chain(store).problem
    assert problem is not None and (problem.kind, problem.id) == ("link", rows[3]["id"])
    assert f"id {victim['id']}" in problem.detail  # the row before it is named too


def test_a_deleted_row_is_found(store: AppStore) -> None:
    _writes(store)
    ids = _ids(store)
    _sql(store, "DELETE FROM audit_log WHERE id = :id", id=ids[3])
    problem = verify_chain(store).problem
    assert problem is not None and (problem.kind, problem.id, problem.seq) == ("missing", ids[4], 5)
    assert "4" in problem.detail


def test_deleting_the_newest_rows_is_found_against_the_head(store: AppStore) -> None:
    _writes(store)
    ids = _ids(store)
    _sql(store, "DELETE FROM audit_log WHERE id >= :id", id=ids[-2])
    report = verify_chain(store)
    assert report.problem is not None and report.problem.kind == "head"
    assert report.problem.id == ids[-1] and report.problem.seq == len(ids) - 1
    assert report.rows == len(ids) - 2


def test_a_forged_row_is_found(store: AppStore) -> None:
    _writes(store)
    _sql(
        store,
        "INSERT INTO audit_log (at, user_id, username, role, action, target, outcome, ip, detail)"
        " VALUES (:at, NULL, 'wang', 'leader', 'disbursement.approve', 'batch:7', 'ok', '', '{}')",
        at=NOW,
    )
    with store.engine.connect() as conn:
        forged = int(conn.execute(sa.text("SELECT max(id) FROM audit_log")).scalar_one())
    problem = verify_chain(store).problem
    assert problem is not None and (problem.kind, problem.id) == ("unchained", forged)
    assert problem.action == "disbursement.approve"


def test_a_forged_row_chained_after_the_head_is_found(store: AppStore) -> None:
    _writes(store)
    head = chain_head(store)
    assert head is not None
    row = {"id": 10_000, "at": NOW, "user_id": None, "username": "wang", "role": "leader",
           "action": "disbursement.pay", "target": "batch:1", "outcome": "ok", "ip": "", "detail": "{}",
           "seq": head.rows + 1, "prev_hash": head.last_hash}  # fmt: skip
    _sql(
        store,
        "INSERT INTO audit_log (id, at, user_id, username, role, action, target, outcome, ip, detail, seq,"
        " prev_hash, row_hash) VALUES (:id, :at, :user_id, :username, :role, :action, :target, :outcome, :ip,"
        " :detail, :seq, :prev_hash, :h)",
        **row,
        h=row_hash(row),
    )
    problem = verify_chain(store).problem
    assert problem is not None and (problem.kind, problem.id, problem.seq) == ("head", 10_000, head.rows + 1)


def test_a_kept_head_shows_a_chain_rewritten_consistently(store: AppStore) -> None:
    _writes(store)
    kept = chain_head(store)
    assert kept is not None
    store.audit.record("user.logout", username="wang")
    assert verify_chain(store, expect_hash=kept.last_hash, expect_rows=kept.rows).expected_at == kept.rows
    # whoever can edit the database rewrites a row and every hash after it, and the head
    rows, prev = _rows(store), GENESIS
    rows[1]["detail"] = '{"i": -1}'
    for r in rows:
        r["prev_hash"] = prev
        prev = row_hash(r)
        _sql(store, "UPDATE audit_log SET detail = :d, prev_hash = :p, row_hash = :h WHERE id = :id",
             d=r["detail"], p=r["prev_hash"], h=prev, id=r["id"])  # fmt: skip
    _sql(store, "UPDATE audit_chain_head SET last_hash = :h", h=prev)
    assert verify_chain(store).ok  # the database alone cannot tell
    report = verify_chain(store, expect_hash=kept.last_hash.upper(), expect_rows=kept.rows)
    assert report.problem is not None and report.problem.kind == "expected"
    assert report.problem.seq == kept.rows and kept.last_hash in report.problem.detail


def test_rolled_back_writes_leave_the_chain_whole(store: AppStore) -> None:
    _writes(store, 2)
    with pytest.raises(RuntimeError), store.session() as s:
        s.add(_row("project.update", username="wang", target="project:9"))
        s.flush()
        raise RuntimeError("the step failed")
    with Session(store.engine) as s, s.begin():
        s.add(_row("project.add", username="wang", target="project:1"))
        with s.begin_nested() as savepoint:  # a savepoint that wrote a row, rolled back
            s.add(_row("project.add", username="wang", target="project:2"))
            s.flush()
            savepoint.rollback()
        s.add(_row("project.add", username="wang", target="project:3"))
    report = verify_chain(store)
    assert report.ok, report.problem
    with store.engine.connect() as conn:
        targets = (
            conn.execute(sa.text("SELECT target FROM audit_log ORDER BY seq DESC LIMIT 2")).scalars().all()
        )
    assert targets == ["project:3", "project:1"] and report.rows == store.audit.count()


def test_an_emptied_log_starts_a_new_chain_but_a_deleted_head_stops_writes(store: AppStore) -> None:
    _sql(store, "DELETE FROM audit_chain_head")  # an empty log, its head gone (a test's clean slate)
    store.audit.record("user.login", username="wang")
    assert verify_chain(store).ok and verify_chain(store).rows == 1
    _sql(store, "DELETE FROM audit_chain_head")
    gone = verify_chain(store).problem
    assert gone is not None and gone.kind == "no_head"
    from zonebrain.appstore import AuditChainError

    with pytest.raises(AuditChainError, match="audit_chain_head"):
        store.audit.record("user.login", username="wang")
    assert store.audit.count() == 1


def test_the_cli_reports_ok_or_names_the_row_and_exits_non_zero(tmp_path: Path) -> None:
    from zonebrain.cli.main import app

    store = open_app_store(tmp_path / "app.sqlite", password_cost="low")
    _writes(store)
    head = chain_head(store)
    assert head is not None
    runner = CliRunner()
    args = ["audit", "verify", "--app-db", str(tmp_path / "app.sqlite")]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert f"{head.rows:,} 行" in ok.output and head.last_hash in ok.output
    kept = runner.invoke(app, [*args, "--expect-head", head.last_hash, "--expect-rows", str(head.rows)])
    assert kept.exit_code == 0 and f"seq {head.rows}" in kept.output
    victim = _ids(store)[2]
    _sql(store, "UPDATE audit_log SET outcome = 'denied' WHERE id = :id", id=victim)
    store.close()
    broken = runner.invoke(app, args)
    assert broken.exit_code == 1
    assert f"row id {victim}" in broken.output and "user.login" in broken.output and "seq 3" in broken.output
    bad = runner.invoke(app, [*args, "--expect-head", "abc"])
    assert bad.exit_code == 2 and "SHA-256" in bad.output


def test_two_writers_at_once_leave_one_chain(store: AppStore) -> None:
    people = [store.users.add(f"user{i}", "a-long-password", Role.LEADER) for i in range(4)]
    errors: list[BaseException] = []

    def write(k: int) -> None:
        try:
            for i in range(15):
                if i % 3:
                    store.audit.record("user.login", user=people[k], detail={"i": i})
                else:
                    with store.session() as s:
                        s.add_all([_row("project.note", username=f"user{k}", target=f"{k}:{i}:{j}")
                                   for j in range(3)])  # fmt: skip
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = verify_chain(store)
    assert report.ok, report.problem
    assert report.rows == store.audit.count() == 4 * (10 + 5 * 3)


def test_on_postgresql_interleaved_commits_chain_in_commit_order(store: AppStore) -> None:
    """Two transactions insert (taking ids 1 and 2), then commit in the other order, and then both
    at once many times: the chain follows the commits, and never forks."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: its second insert waits for the first commit")
    first, second = Session(store.engine), Session(store.engine)
    first.add(_row("a.first", username="a"))
    first.flush()
    second.add(_row("b.second", username="b"))
    second.flush()
    second.commit()
    first.commit()
    first.close(), second.close()
    with store.engine.connect() as conn:
        order = conn.execute(sa.text("SELECT action FROM audit_log ORDER BY seq")).scalars().all()
        ids = conn.execute(sa.text("SELECT id FROM audit_log ORDER BY seq")).scalars().all()
    assert order == ["b.second", "a.first"] and ids == sorted(ids, reverse=True)

    barrier, errors = threading.Barrier(2), []

    def write(k: int) -> None:
        try:
            for i in range(20):
                with Session(store.engine) as s, s.begin():
                    s.add(_row("race", username=f"w{k}", target=str(i)))
                    s.flush()  # both rows inserted before either commits
                    barrier.wait(timeout=10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = verify_chain(store)
    assert report.ok, report.problem
    assert report.rows == 42 == store.audit.count()


def test_migration_0009_chains_the_rows_before_it_and_records_its_anchor(store: AppStore) -> None:
    _alembic(store, command.downgrade, "0008")
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("audit_log")}
    assert not {"seq", "prev_hash", "row_hash"} & columns and "audit_chain_head" not in store.table_names()
    for i in range(7):
        _sql(store, "INSERT INTO audit_log (at, user_id, username, role, action, target, outcome, ip, detail)"
                    " VALUES (:at, NULL, 'old', '', 'user.login', :t, 'ok', '', :d)",
             at=NOW, t=f"t{i}", d='{"b": 2, "a": 1}' if i == 3 else "not json")  # fmt: skip
    _alembic(store, command.upgrade, "0009")
    assert store.revision() == "0009"
    rows = _rows(store)
    assert [r["target"] for r in rows] == [f"t{i}" for i in range(7)]  # in id order
    head = chain_head(store)
    assert (
        head is not None and head.rows == head.anchor_rows == 7 and head.anchor_hash == rows[-1]["row_hash"]
    )
    assert head.last_id == rows[-1]["id"]
    _alembic(store, command.upgrade, "head")
    store.audit.record("user.logout", username="new")
    report = verify_chain(store)
    assert report.ok and report.rows == 8, report.problem
    assert "0009" in report.anchor_text and "7" in report.anchor_text
    _alembic(store, command.downgrade, "0008")
    assert "audit_chain_head" not in store.table_names()
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one() == 8
    _alembic(store, command.upgrade, "head")  # leave the store at the newest revision (PostgreSQL keeps it)
    assert verify_chain(store).ok
