"""The `zonebrain` command.

Its command groups are registered when needed: ``zonebrain policy run`` imports the policy
commands only (each group pulls in its domain: SQLAlchemy models, scipy, the classifier), so a
command starts in about a third of the time every group together takes. ``zonebrain --help``, an
unknown command and ``app`` (tests, the reference page generator) register them all, in one order.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer

from zonebrain import __version__
from zonebrain.cli._common import console, err_console, state, warehouse
from zonebrain.core.errors import InputError, StorageError, ZoneBrainError

_root = typer.Typer(
    name="zonebrain",
    help="产业大脑 ZoneBrain: 产业画像、精准招商、政策兑现、经济运行与资源对接 / the industry brain of a high-tech zone",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
warehouse_app = typer.Typer(help="仓库管理 / warehouse administration", no_args_is_help=True)


def _module_app(module: str, attr: str = "app") -> Callable[[], typer.Typer]:
    return lambda: getattr(import_module(f"zonebrain.cli.{module}"), attr)


def _chains() -> typer.Typer:
    chains, portrait = import_module("zonebrain.cli.chains_cmd"), import_module("zonebrain.cli.portrait_cmd")
    chains.app.command("classify-zone")(portrait.classify_zone_cmd)
    return chains.app  # type: ignore[no-any-return]


GROUPS: dict[str, Callable[[], typer.Typer]] = {
    "import": _module_app("import_cmd"),
    "chains": _chains,
    "complexity": _module_app("complexity_cmd"),
    "users": _module_app("users_cmd"),
    "audit": _module_app("audit_cmd"),
    "kpi": _module_app("kpi_cmd"),
    "portrait": _module_app("portrait_cmd"),
    "report": _module_app("report_cmd"),
    "pipeline": _module_app("pipeline_cmd"),
    "linking": _module_app("pipeline_cmd", "linking_app"),
    "policy": _module_app("policy_cmd"),
    "opportunities": _module_app("opportunities_cmd"),
    "candidates": _module_app("targets_cmd"),
    "warehouse": lambda: warehouse_app,
}
"""Each command group by its name, as the help lists them: how to load it."""
_registered: set[str] = set()


def register(names: list[str] | None = None) -> typer.Typer:
    """The root app with the groups *names* (default every one) added, each once, listed in the
    order of :data:`GROUPS` whatever order they were added in."""
    for name in GROUPS:
        if (names is None or name in names) and name not in _registered:
            _root.add_typer(GROUPS[name](), name=name)
            _registered.add(name)
    place = {name: i for i, name in enumerate(GROUPS)}
    _root.registered_groups.sort(key=lambda g: place.get(g.name or "", len(place)))
    return _root


_VALUED = frozenset({"--data-dir", "--warehouse", "--zone-file"})


def command_name(argv: list[str]) -> str | None:
    """The command group *argv* names (the first word after the global options), or None."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if not word.startswith("-"):
            return word
        i += 2 if word in _VALUED else 1
    return None


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole command, every group registered
        return register()
    raise AttributeError(name)


def _version(value: bool) -> None:
    if value:
        console.print(f"zonebrain {__version__}")
        raise typer.Exit()


@_root.callback()
def main_options(
    data_dir: Annotated[
        str | None, typer.Option(help="数据目录 / data directory [env ZONEBRAIN_DATA_DIR]")
    ] = None,
    warehouse_url: Annotated[
        str | None, typer.Option("--warehouse", help="仓库地址 / warehouse URL [env ZONEBRAIN_WAREHOUSE]")
    ] = None,
    zone_file: Annotated[
        str | None, typer.Option(help="园区定义文件 / zone file (YAML) [env ZONEBRAIN_ZONE_FILE]")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本 / show the version")
    ] = False,
) -> None:
    state.data_dir, state.warehouse, state.zone_file = data_dir, warehouse_url, zone_file


@warehouse_app.command("info")
def warehouse_info() -> None:
    """仓库概况: 引擎、架构版本、各表行数 / engine, schema version and row counts."""
    from rich.table import Table

    from zonebrain.storage import TABLES

    with warehouse() as wh:
        wh.migrate()
        t = Table(title=f"{wh.engine} {wh.url} (schema v{wh.schema_version()})")
        t.add_column("表 table")
        t.add_column("行数 rows", justify="right")
        t.add_column("说明 about")
        for name, spec in TABLES.items():
            t.add_row(name, str(wh.count(name)), spec.comment)
        console.print(t)


@warehouse_app.command("migrate")
def warehouse_migrate() -> None:
    """创建或升级仓库架构 / create or upgrade the warehouse schema."""
    with warehouse() as wh:
        applied = wh.migrate()
        console.print(
            f"架构版本 (schema version) {wh.schema_version()}; 本次应用 (applied): {applied or '无 none'}"
        )


@warehouse_app.command("copy")
def warehouse_copy(
    from_url: Annotated[str, typer.Option("--from", help="源仓库地址 / source warehouse URL")],
    to_url: Annotated[
        str, typer.Option("--to", help="目标仓库地址 (须为空) / target warehouse URL (must be empty)")
    ],
) -> None:
    """复制整个仓库到另一引擎, 按行数和校验和核对 / copy a whole warehouse to another engine, verified."""
    from zonebrain.cli.warehouse_copy import copy_command

    copy_command(from_url, to_url)


@_root.command("summary")
def summary() -> None:
    """园区概况: 各园区企业数、门类营收、前十行业 / zone summary."""
    from zonebrain.cli._summary import print_summary

    with warehouse(read_only=True) as wh:
        print_summary(wh)


@_root.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option(help="输出目录 / output folder")] = Path("demo-data"),
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 42,
    enterprises: Annotated[int, typer.Option(help="园区企业数 / zone enterprises")] = 20_000,
    reference: Annotated[int, typer.Option(help="全国参考企业数 / reference registry firms")] = 1_000_000,
) -> None:
    """生成演示数据文件 (与用户导入格式相同) / write synthetic demo files in the import formats."""
    from zonebrain.cli._demo import write_demo_data

    write_demo_data(out, seed, enterprises, reference)


@_root.command("demo")
def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="算完即退出, 不启动网页 / exit without serving")
    ] = False,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 42,
    enterprises: Annotated[int, typer.Option(help="园区企业数 / zone enterprises")] = 20_000,
    reference: Annotated[int, typer.Option(help="全国参考企业数 / reference registry firms")] = 1_000_000,
    port: Annotated[int | None, typer.Option(help="端口 / port [env ZONEBRAIN_PORT]")] = None,
) -> None:
    """生成演示园区, 导入, 计算并打印概况; 然后启动网页 / build the demo zone, import, summarise, serve."""
    from zonebrain.cli._demo import run_demo

    run_demo(seed=seed, n_enterprises=enterprises, n_reference=reference, serve=not no_serve, port=port)


@_root.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址 / host [env ZONEBRAIN_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="端口 / port [env ZONEBRAIN_PORT]")] = None,
) -> None:
    """启动网页驾驶舱 / serve the web app."""
    from zonebrain.cli._demo import serve_web

    serve_web(host, port)


def main() -> None:
    """Entry point: run the app, turning ZoneBrain errors into messages and exit codes.

    Exit codes: 0 done; 1 the answer is no (a workflow step refused, a failing test case), or an
    input error that reached this handler (the message says the fix); 2 usage, or an input a
    command checked itself (the policy commands' options and files, see docs/policy.md "Exit
    codes"); 3 the warehouse or configuration failed. Never a traceback for a wrong command line:
    typer's usage errors (its own copy of click's) print their message.
    """
    name = command_name(sys.argv[1:])
    own = {c.name for c in _root.registered_commands}  # summary, demo …: no group needed
    command = register([] if name in own else [name] if name in GROUPS else None)  # --help, a typo: all
    try:
        code = command(standalone_mode=False)  # without standalone mode a typer.Exit comes back as a value
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("已取消 (aborted)")
        sys.exit(1)
    except InputError as exc:
        err_console.print(f"[red]错误 (error):[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except (StorageError, ZoneBrainError) as exc:
        err_console.print(f"[red]仓库或配置错误 (warehouse/config error):[/red] {exc}", highlight=False)
        sys.exit(3)
    except typer.TyperException as exc:  # usage errors: a missing option, a value of the wrong type
        show = getattr(exc, "show", None)
        if show is None:
            raise
        from rich.markup import escape

        from zonebrain.cli._usage import chinese  # the parser's words are English only

        said = escape(chinese(exc))  # the command line's own text is no markup (QA: `a[/x]` crashed)
        err_console.print(f"[red]用法错误 (usage error):[/red] {said}", highlight=False, soft_wrap=True)
        show()
        sys.exit(int(getattr(exc, "exit_code", 2)))
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
