"""Two officers editing one project never silently overwrite each other (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore, ConcurrentUpdate
from zonebrain.pipeline import Pipeline


def test_a_write_between_read_and_write_is_caught_by_the_database(
    store: AppStore, pipe: Pipeline, people: People
) -> None:
    """Officer B reads version 1 and passes the version check; A commits; B's UPDATE must fail."""
    p = pipe.create(people.wang, name="并发公司", park_id="wutong", origin="event").project
    b_has_read, a_committed = threading.Event(), threading.Event()

    def slow_clock() -> dt.datetime:  # called after B's version check, before B's UPDATE
        b_has_read.set()
        assert a_committed.wait(30)
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)

    outcome: list[object] = []

    def officer_b() -> None:
        try:
            Pipeline(store, clock=slow_clock).update(people.zhao, p.id, expected_version=1, promised_jobs=2)
            outcome.append("written")
        except ConcurrentUpdate as exc:
            outcome.append(exc)

    t = threading.Thread(target=officer_b)
    t.start()
    assert b_has_read.wait(30)
    pipe.update(people.wang, p.id, expected_version=1, promised_jobs=1)  # officer A
    a_committed.set()
    t.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], ConcurrentUpdate)
    q = pipe.get(p.id)
    assert (q.promised_jobs, q.version) == (1, 2)
    assert [e.username for e in store.audit.entries(action="project.update")] == ["wang"]


def test_concurrent_writers_lose_no_update(store: AppStore, pipe: Pipeline, people: People) -> None:
    """Four officers each add 1 job five times (read, write with the version, retry on conflict)."""
    p = pipe.create(people.wang, name="计数公司", park_id="wutong", origin="event", promised_jobs=0).project
    writers, rounds = 4, 5
    start = threading.Barrier(writers)
    conflicts = [0] * writers
    errors: list[BaseException] = []

    def officer(i: int) -> None:
        try:
            start.wait(30)
            for _ in range(rounds):
                while True:
                    cur = pipe.get(p.id)
                    try:
                        pipe.update(
                            people.zhao,
                            p.id,
                            expected_version=cur.version,
                            promised_jobs=(cur.promised_jobs or 0) + 1,
                        )
                        break
                    except ConcurrentUpdate:
                        conflicts[i] += 1
        except BaseException as exc:  # surfaced below, in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=officer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    final = pipe.get(p.id)
    assert final.promised_jobs == writers * rounds  # no increment was lost
    assert final.version == 1 + writers * rounds
    assert len(store.audit.entries(action="project.update", limit=1000)) == writers * rounds
