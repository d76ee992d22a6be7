"""`zonebrain users …`: accounts of the web app (in the app store), and the demo's one account per role."""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.table import Table

from zonebrain.appstore import AppStore, Role, default_app_db_url, open_app_store
from zonebrain.cli._common import console, state
from zonebrain.core.errors import InputError

app = typer.Typer(help="网页用户管理 / web app accounts", no_args_is_help=True)

AppDb = Annotated[
    str | None,
    typer.Option("--app-db", help="应用库地址 / app store URL or SQLite path [env ZONEBRAIN_APP_DB]"),
]


def _store(app_db: str | None, *, create: bool = False) -> AppStore:
    """The app store; only ``users add`` and ``users demo`` may create it (a first account)."""
    return open_app_store(default_app_db_url(state.data_dir, app_db), create=create)


def _read_password(password_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The new password and whether it was generated (then it is printed once)."""
    if generate:
        return secrets.token_urlsafe(12), True
    if password_stdin:
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise InputError("标准输入中没有口令 (no password on stdin)")
        return value, False
    return typer.prompt("口令 / password", hide_input=True, confirmation_prompt=True), False


def _check_park(park: str | None) -> None:
    if park is None:
        return
    from zonebrain.cli._common import zone

    known = [p.id for p in zone().parks]
    if park not in known:
        raise InputError(f"未知园区 '{park}' (unknown park); 可用 / use one of: {', '.join(known)}")


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    role: Annotated[Role, typer.Option(help="角色 / role")],
    park: Annotated[str | None, typer.Option(help="园区 (园区专员) / park id, for park officers")] = None,
    uscc: Annotated[
        str | None, typer.Option(help="统一社会信用代码 (企业用户) / for enterprise users")
    ] = None,
    name: Annotated[str, typer.Option(help="姓名 / display name")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读口令")] = False,
    generate: Annotated[
        bool, typer.Option("--generate", help="生成随机口令并打印 / generate and print one")
    ] = False,
    app_db: AppDb = None,
) -> None:
    """新增用户 / create an account (argon2 hash; the password is never stored)."""
    _check_park(park)
    password, generated = _read_password(password_stdin, generate)
    with _store(app_db, create=True) as store:
        u = store.users.add(username, password, role, display_name=name, park_id=park, uscc=uscc)
        store.audit.record(
            "user.add",
            username="cli",
            target=u.username,
            detail={"role": u.role.value, "park_id": u.park_id, "uscc": u.uscc, "via": "cli"},
        )
    console.print(f"已创建用户 (created) [bold]{u.username}[/bold] ({u.role.value})")
    if generated:
        console.print(f"口令 (password, shown once): [bold]{password}[/bold]")


@app.command("list")
def list_users(app_db: AppDb = None) -> None:
    """列出用户 / list accounts."""
    with _store(app_db) as store:
        users, grants = store.users.list(), store.users.grants()
    names = {u.id: u.username for u in users}
    t = Table(title="用户 users")
    heads = (
        "用户名 username",
        "姓名 name",
        "角色 role",
        "园区 park",
        "企业 USCC",
        "启用 active",
        "授权 granted by",
    )
    for col in heads:
        t.add_column(col)
    for u in users:
        g = grants.get(u.id)
        t.add_row(
            u.username,
            u.display_name,
            u.role.value,
            u.park_id or "",
            u.uscc or "",
            "是" if u.active else "否",
            g.granted_text(names) if g else "—",
        )
    console.print(t)


@app.command("deactivate")
def deactivate(username: Annotated[str, typer.Argument()], app_db: AppDb = None) -> None:
    """停用用户并结束其会话 / deactivate an account and end its sessions."""
    with _store(app_db) as store:
        u = store.users.set_active(username, False)
        store.sessions.delete_user(u.id)
        store.audit.record("user.deactivate", username="cli", target=username, detail={"via": "cli"})
    console.print(f"已停用 (deactivated) {username}")


@app.command("activate")
def activate(username: Annotated[str, typer.Argument()], app_db: AppDb = None) -> None:
    """重新启用用户 / activate an account again."""
    with _store(app_db) as store:
        store.users.set_active(username, True)
        store.audit.record("user.activate", username="cli", target=username, detail={"via": "cli"})
    console.print(f"已启用 (activated) {username}")


@app.command("set-role")
def set_role(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    role: Annotated[Role, typer.Option(help="新角色 / the new role")],
    park: Annotated[str | None, typer.Option(help="园区 (园区专员) / park id, for park officers")] = None,
    uscc: Annotated[
        str | None, typer.Option(help="统一社会信用代码 (企业用户) / for enterprise users")
    ] = None,
    app_db: AppDb = None,
) -> None:
    """变更角色与范围 (运维操作, 写入审计日志) / change an account's role and scope (audited)."""
    _check_park(park)
    with _store(app_db) as store:
        before = store.users.get(username)
        if before is None:
            raise InputError(f"没有用户 '{username}' (no such user); 查看 / see: zonebrain users list")
        u = store.users.set_role(username, role, park_id=park, uscc=uscc)
        scope = {"role": before.role.value, "park_id": before.park_id, "uscc": before.uscc}
        after = {"role": u.role.value, "park_id": u.park_id, "uscc": u.uscc}
        detail = {"before": scope, "after": after, "via": "cli"}
        store.audit.record("user.set_role", username="cli", target=username, detail=detail)
    console.print(f"已变更角色 (role changed) {username}: {u.role.value}")


@app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument()],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    generate: Annotated[bool, typer.Option("--generate")] = False,
    app_db: AppDb = None,
) -> None:
    """设置口令并结束其会话 / set a new password and end the account's sessions."""
    password, generated = _read_password(password_stdin, generate)
    with _store(app_db) as store:
        u = store.users.set_password(username, password)
        store.sessions.delete_user(u.id)
        store.audit.record("user.set_password", username="cli", target=username, detail={"via": "cli"})
    console.print(f"已更新口令 (password changed) for {username}")
    if generated:
        console.print(f"口令 (password, shown once): [bold]{password}[/bold]")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    scope: str


DEMO_USERS = (
    ("demo-admin", Role.ADMIN, "演示管理员"),
    ("demo-leader", Role.LEADER, "演示领导"),
    ("demo-investor", Role.INVESTMENT_OFFICER, "演示招商专员"),
    ("demo-park", Role.PARK_OFFICER, "演示园区专员(梧桐)"),
    ("demo-policy", Role.POLICY_RESEARCHER, "演示政策研究员"),
    ("demo-firm", Role.ENTERPRISE_USER, "演示企业用户"),
)


def ensure_demo_users(store: AppStore, *, park_id: str, uscc: str | None) -> list[DemoAccount]:
    """One account per role for the demo, with fresh random passwords (printed by the caller).

    Existing demo accounts get new passwords, so re-running ``zonebrain demo`` always prints
    working credentials. The enterprise user is skipped when the warehouse has no enterprise.
    """
    out = []
    for username, role, name in DEMO_USERS:
        scope = {"park_id": park_id} if role is Role.PARK_OFFICER else {}
        if role is Role.ENTERPRISE_USER:
            if uscc is None:
                continue
            scope = {"uscc": uscc}
        password = secrets.token_urlsafe(9)
        if store.users.get(username) is None:
            park, code = scope.get("park_id"), scope.get("uscc")
            store.users.add(username, password, role, display_name=name, park_id=park, uscc=code)
        else:
            store.users.set_password(username, password)
            store.users.set_active(username, True)
        store.audit.record(
            "user.demo", username="demo", target=username, detail={"role": role.value, **scope}
        )
        out.append(DemoAccount(username, password, role, scope.get("park_id") or scope.get("uscc") or ""))
    return out


def print_demo_accounts(accounts: list[DemoAccount]) -> None:
    t = Table(title="演示账号 demo accounts (口令每次运行重新生成 / new passwords on every run)")
    for col in ("用户名 username", "口令 password", "角色 role", "范围 scope"):
        t.add_column(col)
    for a in accounts:
        t.add_row(a.username, a.password, a.role.value, a.scope)
    console.print(t)


@app.command("demo")
def demo_accounts(
    park: Annotated[str, typer.Option(help="园区专员的园区 / the park officer's park")] = "wutong",
    app_db: AppDb = None,
) -> None:
    """为每个角色创建演示账号并打印 / create one demo account per role and print them."""
    import ibis

    from zonebrain.cli._common import warehouse

    _check_park(park)
    with warehouse(read_only=True) as wh:
        ent = wh.table("enterprises")
        found = wh.to_arrow(
            ent.filter(ent.park_id == park).order_by(ibis.desc("registered_capital_fen")).limit(1)
        )
    uscc = found["uscc"][0].as_py() if found.num_rows else None
    with _store(app_db, create=True) as store:
        accounts = ensure_demo_users(store, park_id=park, uscc=uscc)
    print_demo_accounts(accounts)
