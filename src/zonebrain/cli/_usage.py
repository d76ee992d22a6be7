"""Command-line usage errors in Chinese first.

Typer's parser (its own copy of click's) words its errors in English only: ``No such option:
--bogus``. :func:`chinese` says the same in Chinese from the exception's fields, so that
:func:`zonebrain.cli.main.main` can print it above the parser's own English message, as every
other ZoneBrain error reads: Chinese first, then English. Unknown kinds fall back to a general line.
"""

from __future__ import annotations

import re
from typing import Any

_NO_COMMAND = re.compile(r"No such command '(?P<name>.+)'")
_EXTRA = re.compile(r"Got unexpected extra arguments? ?\(?s?\)? ?\((?P<args>.*)\)")
_INTEGER = re.compile(r"valid integer|is not a valid integer", re.IGNORECASE)
_NUMBER = re.compile(r"valid number|is not a valid float", re.IGNORECASE)
_CHOICE = re.compile(r"is not one of|valid choices?", re.IGNORECASE)
_FOR = re.compile(r"Invalid value for '?(?P<name>[^':]+)'?:")
_RANGE = re.compile(r"greater than|less than|not in the range|range|at least|at most", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")


GLOBAL_OPTIONS = ("--data-dir", "--warehouse", "--zone-file")
"""The root command's options (``zonebrain --data-dir X policy run``), refused after a sub-command."""


def chinese(exc: Any) -> str:
    """The usage error *exc* (a typer/click ``UsageError``) in Chinese, with the help command to run."""
    kind = type(exc).__name__
    name = getattr(exc, "option_name", None) or getattr(exc, "param_hint", None) or ""
    if isinstance(name, list | tuple):
        name = " / ".join(str(n) for n in name)
    param = getattr(exc, "param", None)
    if not name and param is not None:  # the parameter's own name: its longest option, or the argument
        opts = [str(o) for o in getattr(param, "opts", None) or []]
        name = max(opts, key=len) if opts else str(getattr(param, "name", "") or "")
    name = str(name).strip("'\"")
    message = str(exc.format_message() if hasattr(exc, "format_message") else getattr(exc, "message", ""))
    if kind == "NoSuchOption":
        near = list(getattr(exc, "possibilities", None) or [])
        text = f"没有选项 {name}" + (f"; 相近的选项: {', '.join(near)}" if near else "")
        if name in GLOBAL_OPTIONS:  # QA: `zonebrain policy lint --data-dir X` suggested --dir
            text += f"; {name} 是全局选项, 须写在子命令之前 (zonebrain {name} … policy …)"
    elif kind == "MissingParameter":
        kind_of = getattr(exc, "param_type", None) or getattr(param, "param_type_name", "")
        what = "参数" if kind_of == "argument" or message.startswith("Missing argument") else "选项"
        text = f"缺少{what} {name}".rstrip()
    elif kind == "BadOptionUsage":
        needs = "requires an argument" in message
        text = f"选项 {name} 需要一个值" if needs else f"选项 {name} 用法有误"
    elif kind == "BadParameter":
        said = message.split(":", 1)[-1].strip()
        why = (
            said.split(" / ")[0]  # a check of ours words it in Chinese already
            if _CJK.search(said)
            else "超出允许的范围"
            if _RANGE.search(message)
            else "须为整数"
            if _INTEGER.search(message)
            else "须为数字"
            if _NUMBER.search(message)
            else "须为列出的选项之一"
            if _CHOICE.search(message)
            else "无法读取"
        )
        found = _FOR.search(message)
        name = name or (found.group("name") if found else "")
        text = f"{name} 的值无效: {why}" if name else f"值无效: {why}"
    elif m := _NO_COMMAND.search(message):
        text = f"没有命令 '{m.group('name')}'"
    elif m := _EXTRA.search(message):
        text = f"多余的参数: {m.group('args')}"
    else:
        text = "命令行用法有误"
    path = getattr(getattr(exc, "ctx", None), "command_path", None)
    return f"{text}; 用法见 {path} --help" if path else f"{text}; 用法见该命令的 --help"
