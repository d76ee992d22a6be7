"""Checks of the policy format that stop a silent wrong amount, each naming the file and the line:
a parameter with no value for the period evaluated, tier tables with a gap or an overlap, two
values of a parameter from the same day; and errors reported where the fault is written."""

from __future__ import annotations

import datetime as dt
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from zonebrain.core.errors import InputError
from zonebrain.policy import LIBRARY, PolicyFileError, evaluate, load_library, load_policy, self_check
from zonebrain.policy._format import Amount
from zonebrain.storage import open_warehouse

RD = (LIBRARY / "zz-rd-input.policy.yaml").read_text(encoding="utf-8")
HITECH = (LIBRARY / "zz-hitech-first-cert.policy.yaml").read_text(encoding="utf-8")
BREAKTHROUGH = (LIBRARY / "zz-revenue-breakthrough.policy.yaml").read_text(encoding="utf-8")

TOP = "{lower: 1000万, lower_inclusive: true, amount: 30万}"
MIDDLE = "{lower: 200万, lower_inclusive: true, upper: 1000万, upper_inclusive: false, amount: 20万}"
LOWEST = "{upper: 200万, upper_inclusive: false, amount: 10万}"


def _edited(tmp_path: Path, text: str, old: str, new: str, name: str = "x.policy.yaml") -> Path:
    assert text.count(old) == 1, old
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _line(path: Path, needle: str) -> int:
    """The line of *path* holding *needle* (which must occur once)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, (needle, found)
    return found[0]


def _problems(path: Path) -> str:
    with pytest.raises(PolicyFileError) as err:
        load_policy(path)
    return str(err.value)


# ---- A1: a parameter with no value in force for the period ------------------------------------


def _library_with(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "lib"
    shutil.copytree(LIBRARY, folder)
    return _edited(folder, RD, old, new, "zz-rd-input.policy.yaml")


@pytest.mark.parametrize("name", ["rate", "cap", "threshold"])
def test_a_parameter_with_no_value_for_the_period_stops_the_evaluation(tmp_path: Path, name: str) -> None:
    """A rate or cap not yet in force used to give an eligible 0 or an uncapped award; a
    condition's threshold a message with neither file nor line."""
    value = {"rate": "2%", "cap": "50万元", "threshold": "500万元"}[name]
    old = f"values: [{{since: 2022-01-01, value: {value}}}]"
    path = _library_with(tmp_path, old, old.replace("2022-01-01", "2030-01-01"))
    lib = load_library(path.parent)
    with open_warehouse(":memory:") as wh, pytest.raises(InputError) as err:
        wh.migrate()
        evaluate(wh, lib, 2024)
    text = str(err.value)
    assert text.startswith(f"{path}:{_line(path, f'  {name}:')}: 参数 {name} 在 2024-12-31 没有生效的值"), (
        text
    )
    assert f"(no value of parameter {name} is in force on 2024-12-31" in text
    assert "2030-01-01" in text
    # a period the value covers evaluates
    with open_warehouse(":memory:") as wh:
        wh.migrate()
        assert evaluate(wh, lib, 2030).num_rows == 0


def test_the_value_in_force_is_looked_up_strictly_and_shown_leniently() -> None:
    rate = load_library().policies["zz-rd-input"].parameters["rate"]
    assert rate.at(dt.date(2024, 12, 31)) == Fraction(1, 50)
    assert rate.value_on(dt.date(2021, 12, 31)) is None  # to show: not yet in force
    with pytest.raises(
        InputError, match=r"zz-rd-input\.policy\.yaml:22: 参数 rate 在 2021-12-31 没有生效的值"
    ):
        rate.at(dt.date(2021, 12, 31))


# ---- A2 / A3: tier tables --------------------------------------------------------------------


def test_a_gap_between_tiers_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = _edited(tmp_path, HITECH, LOWEST, LOWEST.replace("200万", "150万"))
    text = _problems(path)
    assert f"{path}:{_line(path, 'upper: 150万')}: clauses.0.amount.tiers.2: 阶梯表有空档" in text, text
    assert "[1,500,000.00 元, 2,000,000.00 元) 不属于任何一档" in text
    assert "第 3 档 (-∞, 1,500,000.00 元) (tiers.2)" in text and "第 2 档 [2,000,000.00 元" in text


def test_a_single_value_left_out_is_a_gap(tmp_path: Path) -> None:
    """Both brackets exclude 200万: exactly 200万 would get nothing."""
    path = _edited(
        tmp_path, HITECH, MIDDLE, MIDDLE.replace("lower_inclusive: true", "lower_inclusive: false")
    )
    assert "[2,000,000.00 元, 2,000,000.00 元] 不属于任何一档" in _problems(path)


@pytest.mark.parametrize(
    ("old", "new", "overlap"),
    [
        # [200万, 1500万) over [1000万, ∞)
        (MIDDLE, MIDDLE.replace("upper: 1000万", "upper: 1500万"), "[10,000,000.00 元, 15,000,000.00 元)"),
        # both include 1000万
        (MIDDLE, MIDDLE.replace("upper_inclusive: false", "upper_inclusive: true"),
         "[10,000,000.00 元, 10,000,000.00 元]"),
    ],
    ids=["overlap", "touch-both-included"],
)  # fmt: skip
def test_overlapping_tiers_are_an_error_naming_both(tmp_path: Path, old: str, new: str, overlap: str) -> None:
    path = _edited(tmp_path, HITECH, old, new)
    text = _problems(path)
    assert (
        f"{path}:{_line(path, 'lower: 200万')}: clauses.0.amount.tiers.1: 第 1 档 [10,000,000.00 元, ∞)"
        in text
    )
    assert "与第 2 档 [2,000,000.00 元, " in text and f"重叠于 {overlap}, 金额将取决于列出顺序" in text


def test_tiers_that_meet_load_in_any_order(tmp_path: Path) -> None:
    reordered = HITECH.replace(TOP, "@").replace(LOWEST, TOP).replace("@", LOWEST)
    path = tmp_path / "x.policy.yaml"
    path.write_text(reordered, encoding="utf-8")
    tiers = load_policy(path).clauses[0].amount.tiers
    assert tiers is not None and [t.amount for t in tiers] == [10_000_000, 20_000_000, 30_000_000]


def _marginal(*tiers: dict[str, object]) -> Amount:
    spec = {"ref": "第一条", "of": "revenue_fen", "mode": "marginal", "tiers": list(tiers)}
    return Amount.model_validate(spec)


def test_marginal_tables_are_checked_too() -> None:
    low = {"upper": "100万", "upper_inclusive": True, "rate": "1%"}
    high = {"lower": "100万", "lower_inclusive": False, "rate": "2%"}
    assert _marginal(low, high).tiers is not None
    with pytest.raises(ValueError, match=r"重叠于 \[1,000,000.00 元, 1,000,000.00 元\], 该部分将被计算两次"):
        _marginal(low, {**high, "lower_inclusive": True})
    with pytest.raises(
        ValueError, match=r"阶梯表有空档 \(a gap in the tier table\): \(1,000,000.00 元, 1,200,000.00 元\)"
    ):
        _marginal(low, {**high, "lower": "120万", "lower_inclusive": True})


def test_a_bracket_pays_what_its_mode_reads_and_holds_a_value(tmp_path: Path) -> None:
    """A single table's bracket without an amount (or with a rate instead) paid 0, silently."""
    path = _edited(tmp_path, HITECH, "amount: 30万}", "rate: 3%}")
    assert (
        "clauses.0.amount.tiers.0: 第 1 档 [10,000,000.00 元, ∞) (tiers.0): mode: single 的每一档须写 amount"
        in (_problems(path))
    )
    path = _edited(tmp_path, HITECH, MIDDLE, MIDDLE.replace("lower: 200万", "lower: 2000万"))
    assert "clauses.0.amount.tiers.1: 第 2 档 [20,000,000.00 元, 10,000,000.00 元) (tiers.1) 不含任何值" in (
        _problems(path)
    )


# ---- A4: two values of a parameter from the same day ----------------------------------------


def test_two_values_from_the_same_day_are_an_error(tmp_path: Path) -> None:
    path = _edited(
        tmp_path, RD, "values: [{since: 2022-01-01, value: 2%}]",
        "values:\n      - {since: 2022-01-01, value: 2%}\n      - {since: 2022-01-01, value: 3%}",
    )  # fmt: skip
    text = _problems(path)
    assert (
        f"{path}:{_line(path, 'value: 3%')}: parameters.rate.values.1.since: 参数的第 1 个和第 2 个取值 (2%, 3%)"
        in text
    )
    assert "都自 2022-01-01 起生效" in text and "1 处错误" in text


# ---- D2: errors at the line of what is wrong -----------------------------------------------------


def test_an_undeclared_parameter_is_reported_where_it_is_used(tmp_path: Path) -> None:
    path = _edited(tmp_path, RD, "param: threshold\n", "param: threshld\n")
    text = _problems(path)
    assert f"{path}:38: clauses.0.when.param: 未声明的参数 'threshld'" in text, text
    assert "did you mean 'threshold'" in text
    nested = _edited(tmp_path, BREAKTHROUGH, 'op: ">=", value: 2000万', 'op: ">=", param: twenty')
    assert f"{nested}:39: clauses.1.when.all.0.param: 未声明的参数 'twenty'" in _problems(nested)
    cap = _edited(tmp_path, RD, "cap_param: cap", "cap_param: kap")
    assert f"{cap}:{_line(cap, 'cap_param')}: clauses.0.amount.cap_param: 未声明的参数 'kap'" in _problems(
        cap
    )


def test_a_duplicate_clause_id_is_reported_at_the_second(tmp_path: Path) -> None:
    path = _edited(tmp_path, BREAKTHROUGH, "  - id: reach-20m", "  - id: reach-10m")
    text = _problems(path)
    assert f"{path}:33: clauses.1.id: 条款 id 'reach-10m' 重复, 第 1 个条款已用" in text, text


def test_a_future_date_on_the_form_is_reported_at_its_line(tmp_path: Path) -> None:
    form = tmp_path / "form.yaml"
    form.write_text(
        "period: 2024\nfirm:\n  enterprise: {division_code: \"410172561\", status: 存续}\n"
        "  tags: [{tag: 高新技术企业, since: 2023-01-01}]\n"
        "  events:\n    - {kind: 迁入, date: 2023-05-10}\n    - {kind: 高新技术企业首次认定, date: 2999-10-08}\n",
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(PolicyFileError) as err:
        self_check(None, load_library(), 2024, form=form)
    assert f"{form}:7: firm.events.1.date: 日期 2999-10-08 晚于今天" in str(err.value), str(err.value)


def test_a_tag_ending_before_it_began_is_reported_at_its_line(tmp_path: Path) -> None:
    """QA: tags: [{tag: 高新技术企业, since: 2024-05-01, until: 2023-01-01}] gave a result table."""
    form = tmp_path / "form.yaml"
    form.write_text(
        "period: 2024\nfirm:\n  enterprise: {division_code: \"410172561\", status: 存续}\n"
        "  tags:\n    - {tag: 独立核算}\n    - {tag: 高新技术企业, since: 2024-05-01, until: 2023-01-01}\n",
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(PolicyFileError) as err:
        self_check(None, load_library(), 2024, form=form)
    text = str(err.value)
    assert f"{form}:6: firm.tags.1" in text and "有效期至 2023-01-01 早于认定日期 2024-05-01" in text, text


# ---- D3 / D4 -----------------------------------------------------------------------------------


def test_a_date_without_dashes_says_how_to_write_it(tmp_path: Path) -> None:
    path = _edited(tmp_path, RD, "since: 2022-01-01, value: 2%", "since: '20220101', value: 2%")
    text = _problems(path)
    assert f"{path}:25: parameters.rate.values.0.since: 须为日期, 请写成 YYYY-MM-DD" in text, text
    assert "Datetimes" not in text


def test_a_key_written_twice_is_the_only_error(tmp_path: Path) -> None:
    path = _edited(tmp_path, RD, "    kind: rate\n", "    kind: rate\n    kind: amount\n")
    text = _problems(path)
    assert f"{path}:25: parameters.rate.kind: 键重复" in text and "1 处错误" in text, text
    assert "须写单位" not in text


def test_a_bad_parameter_value_is_reported_at_its_line(tmp_path: Path) -> None:
    """Not at the parameter's first key (``ref:``, line 23)."""
    path = _edited(tmp_path, RD, "value: 2%}", "value: 2万}")
    assert f"{path}:25: parameters.rate.values.0.value: 比例须写成 2% 或 5‰" in _problems(path)


def test_a_what_if_tier_table_is_checked_like_a_loaded_one() -> None:
    """set_tiers (what-if) runs the load's checks: a gap between brackets is refused, not paid 0."""
    from zonebrain.policy import set_tiers

    lib = load_library()
    gap = [
        {"upper": "150万", "upper_inclusive": False, "amount": "10万"},
        {"lower": "200万", "lower_inclusive": True, "amount": "20万"},
    ]
    with pytest.raises(InputError, match=r"zz-hitech-first-cert/award 的阶梯表无效 .*空档"):
        set_tiers(lib, "zz-hitech-first-cert/award", gap)
    met = [gap[0] | {"upper": "200万"}, gap[1]]
    edited = set_tiers(lib, "zz-hitech-first-cert/award", met)
    assert [t.amount for t in edited.policies["zz-hitech-first-cert"].clauses[0].amount.tiers or ()] == [
        10_000_000,
        20_000_000,
    ]


def test_explaining_a_period_before_a_parameter_s_first_value_shows_a_dash(tmp_path: Path) -> None:
    """Explanations read a recorded trace against today's files: a parameter whose values now
    start later than the trace's period is shown as "—", not an error (only evaluation refuses)."""
    from zonebrain.policy._explain import explain, leaves

    path = _library_with(
        tmp_path, "{since: 2022-01-01, value: 500万元}", "{since: 2030-01-01, value: 500万元}"
    )
    lib = load_library(path.parent)
    (pid, cid), found = next((k, v) for k, v in leaves(lib).items() if k[0] == "zz-rd-input")
    trace = {"policy": pid, "clause": cid, "period": 2024, "conditions": [{"result": True}] * len(found)}
    shown = explain(lib, trace)
    assert "—" in str(shown) and "threshold" in str(shown)


@pytest.mark.parametrize("written", ["0", "20220101"])
def test_a_number_is_no_date(tmp_path: Path, written: str) -> None:
    """``since: 0`` was read as the Unix epoch (1970-01-01) and loaded without a word."""
    path = _edited(tmp_path, RD, "{since: 2022-01-01, value: 2%}", f"{{since: {written}, value: 2%}}")
    text = _problems(path)
    assert f"{path}:{_line(path, 'value: 2%')}" in text and "须为日期, 请写成 YYYY-MM-DD" in text, text


@pytest.mark.parametrize(
    ("ref", "ok"),
    [
        ("第三条", True),
        ("第三条第一款", True),
        ("第三条第一款第二项", True),
        ("第3条第1款", True),
        ("第十二条第二项", True),
        ("第条", False),
        ("第三款", False),
        ("第三条附则", False),
        ("第甲条", False),
    ],
)
def test_clause_references_are_numbered_articles_paragraphs_and_items(ref: str, ok: bool) -> None:
    """QA: any 第…条 was accepted (第甲条, 第三条附则); 条, then optionally 款 and 项, numbered."""
    from pydantic import TypeAdapter, ValidationError

    from zonebrain.policy._format import ClauseRef

    read = TypeAdapter(ClauseRef)
    if ok:
        assert read.validate_python(ref).text() == ref
    else:
        with pytest.raises(ValidationError, match="须写成 第三条、第三条第一款 或 第三条第一款第二项"):
            read.validate_python(ref)


# ---- QA (a policy author's mistakes that paid a wrong sum, or crashed) --------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("      cap_param: cap\n", "      cap_param: rate\n", "cap_param: rate"),  # a rate as the cap
        ("      rate_param: rate\n", "      rate_param: cap\n", "rate_param: cap"),  # 5000000000 %
        ("      param: threshold\n", "      param: rate\n", "  param: rate"),  # a rate as a money threshold
    ],
)
def test_a_parameter_of_the_wrong_kind_is_an_error_at_its_line(
    tmp_path: Path, old: str, new: str, needle: str
) -> None:
    """QA: a rate used as a cap crashed with a traceback; an amount used as a rate paid every firm
    the cap (rate 5000000000 %)."""
    path = _edited(tmp_path, RD, old, new)
    msg = _problems(path)
    assert f"{path}:{_line(path, needle)}" in msg and "这里须用" in msg and "a rate as a cap" in msg, msg


def test_a_fixed_amount_with_a_cap_is_an_error(tmp_path: Path) -> None:
    """QA: ``fixed: 50万`` with ``cap: 30万`` paid 50万, the cap silently ignored."""
    path = _edited(
        tmp_path,
        BREAKTHROUGH,
        "{ref: 第一条第一款, fixed: 10万}",
        "{ref: 第一条第一款, fixed: 10万, cap: 5万}",
    )
    msg = _problems(path)
    assert f"{path}:{_line(path, 'cap: 5万')}" in msg and "固定金额不设上限" in msg, msg


def test_a_group_member_naming_the_start_of_a_policy_id_is_a_typo(tmp_path: Path) -> None:
    """QA: ``zz-rd/*`` for ``zz-rd-input/*`` (no close match at difflib's 0.8) switched the 从高从优
    group off without a word; a policy left out of a folder on purpose still loads."""
    folder = tmp_path / "lib"
    shutil.copytree(LIBRARY, folder)
    family = next(folder.glob("*.family.yaml"))
    text = family.read_text(encoding="utf-8")
    family.write_text(text.replace("zz-rd-input/*]", "zz-rd/*]"), encoding="utf-8")
    with pytest.raises(PolicyFileError, match="成员 'zz-rd/\\*' 不是本目录中的政策条款"):
        load_library(folder)
    family.write_text(text, encoding="utf-8")
    (folder / "zz-hitech-first-cert.policy.yaml").unlink()  # one policy of the family left out
    assert "zz-hitech-first-cert" not in load_library(folder).policies


@pytest.mark.parametrize(("written", "ok"), [("5％", True), ("'1/20'", False), ("'0.05'", False)])
def test_a_rate_parameter_is_read_and_advised_as_a_rate(tmp_path: Path, written: str, ok: bool) -> None:
    """QA: a rate typed with a Chinese input method's ％ was refused, and a rate written 1/20 was
    told to write an amount with a unit (万); a rate parameter's value gets a rate's advice."""
    path = _edited(tmp_path, RD, "{since: 2022-01-01, value: 2%}", f"{{since: 2022-01-01, value: {written}}}")
    if ok:
        assert load_policy(path).parameters["rate"].values[0].value == "5％"
        return
    msg = _problems(path)
    assert "比例须写成 2% 或 5‰" in msg and "须写单位" not in msg, msg
