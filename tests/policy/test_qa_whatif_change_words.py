"""QA (policy research centre, what-if presentation): each change of a scenario in words, old → new.

Item 2: a replaced policy file read only "第一条: 条款已修改"; each amount, tier, rate, cap,
condition and parameter that changed is named. Item 3: parameters showed only the new value, a
value already in force was a change, ``--threshold …:revenue_fen=800万`` lost the old 1000万.
Item 4: a breakthrough threshold moves two conditions, the line named one value. Item 6: pools read
"预算池 = 30000万" and "0万", not money.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from zonebrain.policy import LIBRARY, Library, load_library, replace_from_yaml, set_budget, set_threshold
from zonebrain.web._i18n import translator
from zonebrain.web._queries.whatif_words import scenario_changes

CERT = LIBRARY / "zz-hitech-first-cert.policy.yaml"
RD = LIBRARY / "zz-rd-input.policy.yaml"
NAME = "郑州市高新技术企业首次认定奖励"
BREAK = "郑州高新区企业营业收入首次突破奖励 第一条第一款"


def _edited(path: Path, *edits: tuple[str, str]) -> str:
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


CERT_EDITS = (
    (
        "- {lower: 1000万, lower_inclusive: true, amount: 30万}",
        "- {lower: 800万, lower_inclusive: true, amount: 40万}",
    ),
    (
        "upper: 1000万, upper_inclusive: false, amount: 20万}",
        "upper: 800万, upper_inclusive: false, amount: 20万}",
    ),
    ("effective_from: 2022-01-01", "effective_from: 2023-01-01"),
    ("detail_excludes: 郑州", "detail_excludes: 郑州市"),
)
RD_EDITS = (
    ("value: 2%}]", "value: 2%}, {since: 2024-06-01, value: 3%}]"),
    ("value: 50万元}]", "value: 60万元}]"),
    ("rounding: yuan_down", "rounding: yuan_half_up"),
    ('op: ">="\n      param: threshold', 'op: ">"\n      param: threshold'),
)


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


def test_a_replaced_policy_file_names_each_change(lib: Library) -> None:
    edited = replace_from_yaml(lib, _edited(CERT, *CERT_EDITS), "cert.policy.yaml")
    edited = replace_from_yaml(edited, _edited(RD, *RD_EDITS), "rd.policy.yaml")
    assert scenario_changes(lib, edited, {}, period=2024) == [
        f"{NAME} 第一条 条件: 上一年度发生“迁入”事件 (详情不含“郑州”) → 上一年度发生“迁入”事件 (详情不含“郑州市”)",
        f"{NAME} 第一条 第 1 档: ≥ 1000万元 奖励 30万元 → ≥ 800万元 奖励 40万元",
        f"{NAME} 第一条 第 2 档: ≥ 200万元 且 < 1000万元 奖励 20万元 → ≥ 200万元 且 < 800万元 奖励 20万元",
        f"{NAME} 生效日期: 2022-01-01 → 2023-01-01",
        "郑州高新区企业研发投入奖励 · 奖励比例: 2% → 2022-01-01 起 2%, 2024-06-01 起 3%",
        "郑州高新区企业研发投入奖励 · 单企上限: 50万元 → 60万元",
        "郑州高新区企业研发投入奖励 第一条 条件: 2024年研发费用 ≥ 参数 threshold → 2024年研发费用 > 参数 threshold",
        "郑州高新区企业研发投入奖励 第一条 取整方式: 舍去到元 → 四舍五入到元",
    ]
    assert not any("已修改" in x or "文件已替换" in x for x in scenario_changes(lib, edited, {}))


def test_the_cli_names_a_replaced_files_changes_on_screen_and_in_the_workbook(
    analysis_cli: typer.Typer, tmp_path: Path
) -> None:
    yaml_file, out = tmp_path / "cert.policy.yaml", tmp_path / "whatif.xlsx"
    yaml_file.write_text(_edited(CERT, CERT_EDITS[0], CERT_EDITS[1]), encoding="utf-8")
    r = CliRunner().invoke(
        analysis_cli,
        ["whatif", "--as-of", "2025-03-31", "--yaml", str(yaml_file), "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 0, r.output
    tier = f"{NAME} 第一条 第 1 档: ≥ 1000万元 奖励 30万元 → ≥ 800万元 奖励 40万元"
    assert f"\n  - {tier}\n" in r.output and "条款已修改" not in r.output, r.output
    ws = openpyxl.load_workbook(out)["情景 scenario"]
    said = [row[1].value for row in ws.iter_rows(min_row=2) if row[0].value == "调整"]
    assert said[0] == tier and len(said) == 2, said


def test_parameters_read_old_to_new_and_a_value_in_force_is_no_change(lib: Library) -> None:
    assert scenario_changes(lib, lib, {"zz-rd-input.rate": "3%"}, period=2024) == [
        "郑州高新区企业研发投入奖励 · 奖励比例: 2% → 3%"
    ]
    assert scenario_changes(lib, lib, {"zz-rd-input.threshold": "400万"}, period=2024) == [
        "郑州高新区企业研发投入奖励 · 门槛: 500万元 → 400万元"
    ]
    assert (
        scenario_changes(lib, lib, {"zz-rd-input.rate": "2%", "zz-rd-input.cap": "50万元"}, period=2024) == []
    )


def test_the_cli_lists_no_change_for_a_value_in_force(analysis_cli: typer.Typer) -> None:
    r = CliRunner().invoke(analysis_cli, ["whatif", "--as-of", "2025-03-31", "--set", "zz-rd-input.rate=2%"])
    assert r.exit_code == 0, r.output
    assert "本次调整 changes: 无 (与基线相同) none" in r.output, r.output


def test_a_threshold_on_one_fact_keeps_its_old_value(lib: Library) -> None:
    edited = set_threshold(lib, "zz-revenue-breakthrough/reach-10m", "800万", fact="revenue_fen")
    assert scenario_changes(lib, edited, {}, period=2024) == [
        f"{BREAK} 门槛: 2024年营业收入 ≥ 1000万元 → 800万元"
    ]


def test_a_breakthrough_threshold_names_both_conditions_it_moves(lib: Library) -> None:
    edited = set_threshold(lib, "zz-revenue-breakthrough/reach-10m", "800万")
    assert scenario_changes(lib, edited, {}, period=2024) == [
        (
            f"{BREAK} 门槛 (本款 2 项条件同时调整): 2024年营业收入 ≥ 1000万元 → 800万元, "
            "2024年以前各年度最高营业收入 < 1000万元 → 800万元"
        )
    ]
    en = scenario_changes(lib, edited, {}, translator("en"), period=2024)
    assert en == [
        (
            f"{BREAK} threshold (conditions of the clause moved together: 2): Revenue (2024) ≥ 10,000,000.00 "
            "yuan → 8,000,000.00 yuan, highest revenue of the years before 2024 < 10,000,000.00 yuan → "
            "8,000,000.00 yuan"
        )
    ]


def test_pools_read_as_money(lib: Library) -> None:
    fam = "郑州高新区加快推进高质量发展若干政策措施 预算池"
    pooled = set_budget(lib, "zz-gxq-2022", "30000万")
    assert scenario_changes(lib, pooled, {}) == [f"{fam}: 无 → 3亿元 (按比例分配)"]
    emptied = set_budget(pooled, "zz-gxq-2022", "0万", rule="ranking")
    assert scenario_changes(pooled, emptied, {}) == [f"{fam}: 3亿元 (按比例分配) → 0.00元 (按金额排序分配)"]
    odd = set_budget(pooled, "zz-gxq-2022", "1234.56元")
    assert scenario_changes(pooled, odd, {}) == [f"{fam}: 3亿元 (按比例分配) → 1,234.56元 (按比例分配)"]
