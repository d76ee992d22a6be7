"""The 待核实 export names each request's clause by its title, looked up in the policy library when
the file is made (a request stores no title); a clause no longer in the library is named by its
id, with a note, and the export is still made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from tests.disbursement._data import C
from tests.disbursement.conftest import People
from zonebrain import policy
from zonebrain.appstore import AppStore
from zonebrain.appstore.disbursement_models import VerificationRequestRow
from zonebrain.disbursement import Disbursement, RunRows, verification_tables
from zonebrain.disbursement._exports import NOT_IN_LIBRARY, clause_names

HITECH_TITLE = (
    "首次认定的高新技术企业按上年度销售收入分档奖励 / first certification, tiered by prior-year sales"
)
REVENUE_TITLE = "营业收入首次达到1000万元 / sales first reach 10 million yuan"


def _sheet(path: Path, name: str) -> list[dict[str, Any]]:
    rows = [list(r) for r in openpyxl.load_workbook(path)[name].iter_rows(values_only=True)]
    return [dict(zip(map(str, rows[0]), r, strict=True)) for r in rows[1:]]


def test_the_export_names_each_clause_by_its_title(
    d: Disbursement, people: People, first_run: RunRows, tmp_path: Path
) -> None:
    d.verification.add_from_run(people.chen, first_run)
    path = d.export_verification(people.chen, tmp_path / "待核实.xlsx")
    detail = _sheet(path, "待核实明细")
    got = {(r["政策代码"], r["条款代码"]): (r["政策"], r["条款"], r["条款名称"]) for r in detail}
    assert got == {
        ("zz-hitech-first-cert", "award"): ("郑州市高新技术企业首次认定奖励", "第一条", HITECH_TITLE),
        ("zz-revenue-breakthrough", "reach-10m"): (
            "郑州高新区企业营业收入首次突破奖励",
            "第一条第一款",
            REVENUE_TITLE,
        ),
    }
    (firm,) = _sheet(path, "待核实企业")
    assert firm["统一社会信用代码"] == C
    assert f"郑州市高新技术企业首次认定奖励 第一条 {HITECH_TITLE} (待联系)" in firm["涉及政策条款"]
    assert f"第一条第一款 {REVENUE_TITLE} (待联系)" in firm["涉及政策条款"]


def test_a_clause_no_longer_in_the_library_is_named_by_its_id(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, tmp_path: Path
) -> None:
    """The library dropped the clause since the request was made (here: its id renamed in the
    store): the export is made, the clause shown by its id and the note, the others by title."""
    d.verification.add_from_run(people.chen, first_run)
    with store.session() as s:
        row = s.query(VerificationRequestRow).filter_by(clause_id="reach-10m").one()
        row.clause_id = "reach-8m"
    path = d.export_verification(people.chen, tmp_path / "待核实.xlsx")
    detail = {r["条款代码"]: r for r in _sheet(path, "待核实明细")}
    gone = f"reach-8m — {NOT_IN_LIBRARY}"
    assert NOT_IN_LIBRARY == "政策库中已无此条款 (no longer in the policy library)"
    assert detail["reach-8m"]["条款名称"] == gone
    assert detail["reach-8m"]["条款"] == "第一条第一款"  # as the request recorded it
    assert detail["award"]["条款名称"] == HITECH_TITLE
    (firm,) = _sheet(path, "待核实企业")
    assert f"第一条第一款 {gone} (待联系)" in firm["涉及政策条款"]
    # a library without the policy at all: every clause of it is named by its id, no error
    requests = d.verification.list()
    only_rd = clause_names(policy.load_library().select(["zz-rd-input"]))
    _, table = verification_tables(requests, clauses=only_rd)
    assert table["clause_title"].to_pylist() == [f"{r.clause_id} — {NOT_IN_LIBRARY}" for r in requests]
    assert table["clause_id"].to_pylist() == [r.clause_id for r in requests]
