"""`zonebrain chains` through typer's CliRunner, mounted in a tiny app as the main CLI will."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from zonebrain.cli.chains_cmd import app as chains_app

main = typer.Typer()
main.add_typer(chains_app, name="chains")
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(main, ["chains", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_help_is_bilingual() -> None:
    code, out = _run("--help")
    assert code == 0
    assert "产业链" in out and "Industry chains" in out
    for cmd in ("validate", "list", "classify", "evaluate"):
        assert cmd in out


def test_list_shows_chains_and_node_counts() -> None:
    code, out = _run("list")
    assert code == 0
    assert "intelligent-sensors" in out and "智能传感器" in out
    assert "15" in out  # node count of the sensor chain


def test_validate_ok_and_with_errors(tmp_path: Path) -> None:
    code, out = _run("validate")
    assert code == 0 and "all valid" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\nname_zh: 坏\nname_en: Bad\nsource: t\nnodes:\n"
        "  - id: a\n    name_zh: 甲\n    name_en: A\n    stage: sideways\n    classes: ['0000']\n"
        "    keywords: [甲]\nedges:\n  - {from: a, to: b}\n",
        encoding="utf-8",
    )
    code, out = _run("validate", "--dir", str(tmp_path))
    assert code == 1
    assert f"{bad}:9: nodes[0].stage" in out
    assert f"{bad}:10: nodes[0].classes[0]" in out
    assert f"{bad}:13: edges[0].to" in out
    assert "3 error(s)" in out
    code, out = _run("list", "--dir", str(tmp_path))
    assert code == 2 and "error" in out


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_classify_file(tmp_path: Path, suffix: str) -> None:
    src = tmp_path / f"firms{suffix}"
    df = pd.DataFrame(
        {
            "统一社会信用代码": ["91410100MA0000001X", "91410100MA0000002X"],
            "经营范围": ["北斗导航定位终端研发；高精度定位服务", "餐饮服务；外卖递送"],
            "行业代码": ["4023", "6210"],
        }
    )
    if suffix == ".csv":
        df.to_csv(src, index=False)
    else:
        df.to_excel(src, index=False)
    out = tmp_path / f"out{suffix}"
    code, text = _run(
        "classify",
        str(src),
        "--text-column",
        "经营范围",
        "--code-column",
        "行业代码",
        "--id-column",
        "统一社会信用代码",
        "--out",
        str(out),
    )
    assert code == 0, text
    result = pd.read_csv(out, dtype=str) if suffix == ".csv" else pd.read_excel(out, dtype=str)
    assert set(result.loc[result["id"] == "91410100MA0000001X", "chain"]) == {"beidou-navigation"}
    assert list(result.loc[result["id"] == "91410100MA0000002X", "chain"]) == ["(none)"]
    assert {"confidence", "reason", "node"} <= set(result.columns)


def test_classify_with_overrides_file(tmp_path: Path) -> None:
    src = tmp_path / "firms.csv"
    pd.DataFrame({"id": ["X1"], "scope": ["餐饮服务"]}).to_csv(src, index=False)
    manual = tmp_path / "manual.csv"
    pd.DataFrame({"uscc": ["X1"], "chain": ["biomedicine"], "node": ["tcm"], "action": ["add"]}).to_csv(
        manual, index=False
    )
    out = tmp_path / "out.csv"
    code, text = _run(
        "classify",
        str(src),
        "--text-column",
        "scope",
        "--id-column",
        "id",
        "--overrides",
        str(manual),
        "--out",
        str(out),
    )
    assert code == 0, text
    assert pd.read_csv(out)["node"].tolist() == ["tcm"]


def test_classify_bad_column(tmp_path: Path) -> None:
    src = tmp_path / "firms.csv"
    pd.DataFrame({"scope": ["x"]}).to_csv(src, index=False)
    code, out = _run("classify", str(src), "--text-column", "nope", "--out", str(tmp_path / "o.csv"))
    assert code == 2 and "nope" in out


def test_evaluate_prints_scores(labelled_path: Path) -> None:
    code, out = _run("evaluate", "--labelled", str(labelled_path), "--split", "heldout")
    assert code == 0
    assert "micro-F1" in out and "precision" in out and "recall" in out
    for chain in ("cybersecurity", "biomedicine", "superhard-materials"):
        assert chain in out
