"""What the 兑现 workflow's commands share: the acting user and version options, the service over
the app store (with the warehouse, for the data-change check), the parks' names, and the password
check of the steps that move money (:func:`_signed_in`)."""

from __future__ import annotations

import datetime as dt
import os
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
PASSWORD_ENV = "ZONEBRAIN_PASSWORD"
"""Where a script gives the acting user's password (a terminal is asked for it, hidden)."""
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = dt.timedelta(minutes=15)
"""The web login's lock (``WebConfig``; importing the web app here would slow every command)."""
SignerOpt = Annotated[
    str,
    typer.Option(
        "--user",
        "--as",
        help=f"操作人用户名, 须输入其口令 (或 ${PASSWORD_ENV})。 Acting username; asks their password "
        f"(or ${PASSWORD_ENV}).",
    ),
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


def _signed_in(store: AppStore, username: str) -> User:
    """The acting user of a step that moves money, once their password is checked (QA: the command
    line acted as whoever ``--user`` named): from ``$ZONEBRAIN_PASSWORD``, else asked without echo.
    As on the web's login, each attempt counts towards the account's lock (5 failures within 15
    minutes) and a wrong password, an unknown or inactive user alike, is audited ``login`` ``failed``
    (``via: cli``) and refused with one message (exit 1)."""
    sessions, window = store.sessions, LOGIN_WINDOW
    if sessions.recent_failures(username=username, window=window) >= LOGIN_MAX_FAILURES:
        store.audit.record("login", username=username, outcome="locked", detail={"via": "cli"})
        minutes = int(window.total_seconds() // 60)
        raise disbursement.NotAllowed(
            f"用户 '{username}' 口令错误次数过多, 已暂时锁定, 请 {minutes} 分钟后再试 (too many wrong "
            f"passwords: locked, retry in {minutes} minutes)"
        )
    password = os.environ.get(PASSWORD_ENV) or _ask_password(username)
    user = store.users.authenticate(username, password)
    sessions.record_attempt(username, "cli", success=user is not None)
    if user is None:
        store.audit.record("login", username=username, outcome="failed", detail={"via": "cli"})
        raise disbursement.NotAllowed(
            f"用户名或口令不对, 或该用户已停用 (wrong username or password, or an inactive user: "
            f"'{username}'); 口令在提示时输入, 或由环境变量 {PASSWORD_ENV} 给出 (type it when asked, or "
            f"set {PASSWORD_ENV}); 查看用户 / users: zonebrain users list"
        )
    return user


def _ask_password(username: str) -> str:
    """The password typed at the prompt (not echoed); none to read (a script without a terminal
    or ``$ZONEBRAIN_PASSWORD``): refused, saying how to give it."""
    try:
        return str(typer.prompt(f"用户 {username} 的口令 / password", hide_input=True, err=True))
    except typer.Abort:  # end of input: nothing typed
        raise disbursement.NotAllowed(
            f"没有读到用户 '{username}' 的口令 (no password given); 请在终端中运行并输入口令, 或设置环境变量 "
            f"{PASSWORD_ENV} (run it in a terminal and type it, or set {PASSWORD_ENV})"
        ) from None


def _read_warehouse() -> Warehouse:
    return _common.warehouse(read_only=True)
