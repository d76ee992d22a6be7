"""A resource's name + provider is unique in the database (migration 0005), on SQLite and PostgreSQL:
a duplicate written past the code's check is refused by the engine; a store holding duplicates is
not upgraded but told which resources to rename; a write that loses a race is a clear refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore
from zonebrain.appstore.linking_models import ResourceRow
from zonebrain.core.errors import ConfigError
from zonebrain.linking import AlreadyThere, Linking

NOW = dt.datetime(2026, 11, 30, 8, 0)


LATER = ["0005", "0006", "0007", "0008", "0009", "0010"]
"""Revision 0005 and those after it, up to the newest."""


def _alembic(store: AppStore, fn: Callable[[Config, str], None], target: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("zonebrain.appstore") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        fn(cfg, target)


def _row(name: str, provider: str) -> ResourceRow:
    return ResourceRow(kind="bank_loan", name=name, provider=provider, created_at=NOW, updated_at=NOW)


def _insert_sql(store: AppStore, rid: int, name: str, provider: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO resources (id, kind, name, provider, description, keywords, chain_nodes, parks,"
                " contact, active, created_at, updated_at, version) VALUES (:id, 'bank_loan', :name, :provider,"
                " '', '', '', '', '', :yes, :now, :now, 1)"
            ),
            {"id": rid, "name": name, "provider": provider, "yes": True, "now": NOW},
        )


def _count(store: AppStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM resources")).scalar_one())


def test_the_database_refuses_a_second_resource_with_the_same_name_and_provider(store: AppStore) -> None:
    with Session(store.engine) as s, s.begin():
        s.add_all([_row("科技贷", "郑州银行"), _row("科技贷", "中原银行"), _row("人才公寓", "郑州银行")])
    with Session(store.engine) as s:
        s.add(_row("科技贷", "郑州银行"))
        with pytest.raises(sa.exc.IntegrityError):
            s.commit()
    with Session(store.engine) as s:  # the key is name and provider together, as written
        s.add(_row("科技贷", ""))
        s.add(_row("科技贷 ", "郑州银行"))
        s.commit()
    assert _count(store) == 5


def test_the_upgrade_names_the_duplicates_and_changes_nothing_until_they_are_renamed(
    store: AppStore,
) -> None:
    _alembic(store, command.downgrade, "0004")
    assert store.revision() == "0004"
    _insert_sql(store, 1, "科技贷", "郑州银行")
    _insert_sql(store, 2, "人才公寓", "")
    _insert_sql(store, 3, "科技贷", "郑州银行")  # 0004 has no key in the database
    _insert_sql(store, 4, "人才公寓", "")

    with pytest.raises(ConfigError) as refused:
        store.migrate()
    msg = str(refused.value)
    assert msg.startswith("应用库无法升级到 0005: 资源目录中有 2 组名称 + 提供方重复的资源"), msg
    assert "'科技贷' / '郑州银行': 资源 (resources) #1, #3" in msg, msg
    assert "'人才公寓' / '(无提供方 no provider)': 资源 (resources) #2, #4" in msg, msg
    assert "UPDATE resources SET name = name || ' #3' WHERE id = 3" in msg, msg
    assert store.revision() == "0004" and _count(store) == 4
    assert "uq_resources_name_provider" not in {
        i["name"] for i in sa.inspect(store.engine).get_indexes("resources")
    }

    with store.engine.begin() as conn:  # what the message says to do
        conn.execute(sa.text("UPDATE resources SET name = name || ' #' || id WHERE id IN (3, 4)"))
    assert store.migrate() == LATER  # 0005 and the revisions after it
    assert store.revision() == LATER[-1] and _count(store) == 4
    with pytest.raises(sa.exc.IntegrityError):
        _insert_sql(store, 5, "科技贷", "郑州银行")

    _alembic(store, command.downgrade, "0004")  # and back: the key is gone with the index
    _insert_sql(store, 5, "科技贷", "郑州银行")
    assert _count(store) == 5
    with store.engine.begin() as conn:  # leave the store at the newest revision (PostgreSQL keeps it)
        conn.execute(sa.text("DELETE FROM resources WHERE id = 5"))
    assert store.migrate() == LATER


def _race(monkeypatch: pytest.MonkeyPatch, other: Callable[[], object]) -> None:
    """Another officer's write commits right after the code's own check (once)."""
    check = Linking._unique
    done: list[bool] = []

    def checked_then_raced(s: Session, name: str, provider: str, own_id: int | None = None) -> None:
        check(s, name, provider, own_id)
        if not done:
            done.append(True)
            other()

    monkeypatch.setattr(Linking, "_unique", staticmethod(checked_then_raced))


def test_adding_a_resource_that_lost_a_race_is_already_there(
    store: AppStore, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = Linking(store)
    won: list[int] = []
    _race(
        monkeypatch,
        lambda: won.append(
            links.add_resource(people.zhao, kind="bank_loan", name="科技贷", provider="郑州银行").id
        ),
    )
    with pytest.raises(AlreadyThere) as lost:
        links.add_resource(people.wang, kind="bank_loan", name="科技贷", provider="郑州银行")
    assert f"#{won[0]}" in str(lost.value), lost.value
    assert [(r.id, r.name) for r in links.resources()] == [(won[0], "科技贷")]
    assert [e.username for e in store.audit.entries(action="resource.add")] == ["zhao"]


def test_renaming_a_resource_that_lost_a_race_is_already_there(
    store: AppStore, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = Linking(store)
    mine = links.add_resource(people.wang, kind="bank_loan", name="科技贷(旧)", provider="郑州银行")
    won: list[int] = []
    _race(
        monkeypatch,
        lambda: won.append(
            links.add_resource(people.zhao, kind="bank_loan", name="科技贷", provider="郑州银行").id
        ),
    )
    with pytest.raises(AlreadyThere) as lost:
        links.update_resource(people.wang, mine.id, expected_version=mine.version, name="科技贷")
    assert f"#{won[0]}" in str(lost.value), lost.value
    assert {r.id: r.name for r in links.resources()} == {mine.id: "科技贷(旧)", won[0]: "科技贷"}
