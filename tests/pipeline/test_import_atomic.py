"""Two imports of the same projects file at once add its firms once (SQLite and PostgreSQL): the
natural-key lookups and the inserts are one transaction, which holds the write lock from before
its first lookup, so the second import finds the first one's projects."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event

from tests.pipeline.conftest import People
from tests.pipeline.test_reimport import GOOD, NOW, _xlsx
from zonebrain.appstore import AppStore, User
from zonebrain.pipeline import ImportResult, Pipeline, import_projects
from zonebrain.registry import load_zone


def test_two_imports_of_one_file_at_once_add_its_firms_once(
    store: AppStore, people: People, tmp_path: Path
) -> None:
    f = _xlsx(tmp_path / "good.xlsx", GOOD)
    both_looked = threading.Barrier(2, timeout=3)
    first_insert = threading.local()

    def wait_for_the_other(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        """At its first INSERT into projects, each import waits (3 s at most) for the other to get
        there too: two imports that look firms up before locking would both find none, then both
        insert. An import that holds the lock gets there alone: the other waits for the lock."""
        if statement.lstrip().upper().startswith("INSERT INTO PROJECTS") and not getattr(
            first_insert, "seen", False
        ):
            first_insert.seen = True
            with contextlib.suppress(threading.BrokenBarrierError):
                both_looked.wait()

    results: list[ImportResult] = []
    errors: list[BaseException] = []

    def officer(user: User) -> None:
        try:
            results.append(import_projects(Pipeline(store, zone=load_zone(), clock=lambda: NOW), user, f))
        except BaseException as exc:  # surfaced below, in the test thread
            errors.append(exc)

    event.listen(store.engine, "before_cursor_execute", wait_for_the_other)
    try:
        threads = [threading.Thread(target=officer, args=(u,)) for u in (people.wang, people.zhao)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(store.engine, "before_cursor_execute", wait_for_the_other)
    assert errors == [] and len(results) == 2
    first, second = sorted(results, key=lambda r: -len(r.created))
    assert first.ok and second.ok
    assert (len(first.created), first.unchanged) == (3, [])
    assert second.created == []
    assert [(u.row, u.project_id) for u in second.unchanged] == [
        (row, c.project.id) for row, c in zip((2, 3, 4), first.created, strict=True)
    ]
    assert len(Pipeline(store).list()) == 3
    assert len(store.audit.entries(action="project.create")) == 3
