"""What the 兑现 workflow's commands share: the acting user and version options, the service over
the app store (with the warehouse, for the data-change check), the parks' names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from zonebrain import disbursement
from zonebrain.appstore import AppStore, ConcurrentUpdate, User, default_app_db_url, open_app_store
from zonebrain.cli import _common, policy_analysis
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse


def _park_names() -> dict[str, str]:
    """Park id → the short name the web shows (梧桐, not 梧桐街道), for the exports; none when the
    warehouse has no parks (QA: the CLI's notify list said 梧桐街道 where the web's said 梧桐)."""
    from zonebrain.web._queries.policy_analysis import warehouse_park_names

    with _common.warehouse(read_only=True) as wh:
        return warehouse_park_names(wh)


UserOpt = Annotated[
    str,
    typer.Option("--user", "--as", help="操作人用户名 (写入审计日志)。 Acting username (for the audit log)."),
]
VersionOpt = Annotated[
    int, typer.Option("--version", help="你看到的批次版本号。 The batch version you read (stale → refused).")
]
AppDbOpt = policy_analysis.AppDbOpt


@contextmanager
def _flow(app_db: str | None) -> Iterator[tuple[disbursement.Disbursement, AppStore]]:
    """The service over the app store and (when there is one) the warehouse, which approval and
    payment read for data imported since the batch's run; the workflow's refusals become messages
    with exit code 1."""
    opener = _read_warehouse if _common.registry_exists() else None
    try:
        with open_app_store(default_app_db_url(_common.state.data_dir, app_db), create=False) as store:
            yield disbursement.Disbursement(store, warehouse=opener), store
    except (InputError, disbursement.NotAllowed, disbursement.NotFound, ConcurrentUpdate) as exc:
        _common.err_console.print(f"[red]错误 / error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=1) from None


def _user(store: AppStore, username: str) -> User:
    user = store.users.get(username)
    if user is None or not user.active:
        raise InputError(f"没有在用的用户 '{username}' (no active user); 查看 / see: zonebrain users list")
    return user


def _read_warehouse() -> Warehouse:
    return _common.warehouse(read_only=True)
