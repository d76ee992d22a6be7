"""QA: `zonebrain complexity` says what went wrong Chinese first, then in English."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.complexity.test_complexity_cli import CITY, INDUSTRY, OUTPUT, _main

BASE = ["--location", "city", "--activity", "industry", "--value", "output"]


def _error(tmp_path: Path, frame: pd.DataFrame, *extra: str, name: str = "in.csv") -> str:
    inp = tmp_path / name
    frame.to_csv(inp, index=False)
    res = CliRunner().invoke(_main(), ["complexity", str(inp), *BASE, *extra])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    message = text.split("Error:", 1)[1].strip()
    return message


def _chinese_first(message: str) -> None:
    first_cjk = re.search(r"[\u4e00-\u9fff]", message)
    first_latin = re.search(r"[A-Za-z]{3,}", message)
    assert first_cjk and first_latin, message
    assert first_cjk.start() < first_latin.start(), message


def _panel() -> pd.DataFrame:
    return pd.DataFrame({"city": CITY, "industry": INDUSTRY, "output": OUTPUT})


@pytest.mark.parametrize(
    ("change", "extra", "zh", "en"),
    [
        ("negative", (), "不能为负", "negative"),
        ("none", ("--convention", "oec"), "未知口径", "unknown complexity convention 'oec'"),
        ("none", ("--level", "cities"), "未知输出粒度", "unknown --level"),
        ("none", ("--out", "o.xml"), "无法写出", "cannot write"),
        ("text", (), "非数字", "not numeric"),
        ("zero", (), "全为 0", "every value is 0"),
    ],
)
def test_errors_are_chinese_first(
    tmp_path: Path, change: str, extra: tuple[str, ...], zh: str, en: str
) -> None:
    t = _panel()
    if change == "negative":
        t.loc[3, "output"] = -1.0
    elif change == "text":
        t["output"] = t["output"].astype(object)
        t.loc[2, "output"] = "abc"
    elif change == "zero":
        t["output"] = 0.0
    if "--out" not in extra:
        extra = (*extra, "--out", str(tmp_path / "out.csv"))
    message = _error(tmp_path, t, *extra)
    _chinese_first(message)
    assert zh in message and en in message, message


def test_an_unreadable_file_is_chinese_first(tmp_path: Path) -> None:
    message = _error(tmp_path, _panel(), "--out", str(tmp_path / "o.csv"), name="in.xls")
    _chinese_first(message)
    assert "无法读取" in message and "cannot read" in message


def test_a_long_message_is_one_unbroken_line_with_its_specifics(tmp_path: Path) -> None:
    # two groups of cities with no industry in common: the network falls apart
    t = pd.DataFrame({"city": list("aabccd"), "industry": list("wxxyzz"), "output": [1.0] * 6})
    inp = tmp_path / "in.csv"
    t.to_csv(inp, index=False)
    res = CliRunner().invoke(_main(), ["complexity", str(inp), *BASE, "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 2, res.output
    line = next(x for x in res.output.splitlines() if "Error:" in x)
    message = line.split("Error:", 1)[1].strip()
    _chinese_first(message)
    assert message.startswith("地区—活动网络分成 2 个互不相连的部分"), message
    assert "['a', 'b']; ['c', 'd']" in message  # the parts, printed as they are (not as markup)
    assert "--disconnected largest" in message and message.endswith(")"), message
