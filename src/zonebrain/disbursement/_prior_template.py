"""An empty workbook for payments made before ZoneBrain (往年已兑现导入), to fill in Excel.

Three sheets: ``往年兑现`` (the headers of :data:`~._prior_read.PRIOR_FORMAT`, the USCC, year and
reference columns formatted as text so Excel keeps leading zeros and long numbers whole), ``说明``
(each column: required or not, what it holds, and an example row *outside* the data sheet: a
template uploaded unfilled is refused as "headers only" rather than paying a made-up firm) and
``政策条款`` (every clause of the library a row may name: policy id, name, 文号, clause id and
reference, one-time or yearly), so an officer copies the words the reader accepts.
"""

from __future__ import annotations

from pathlib import Path

from zonebrain import policy
from zonebrain.core.xlsx import save_workbook
from zonebrain.disbursement._prior_read import PRIOR_FORMAT

DATA_SHEET = "往年兑现"
"""The sheet the rows go in (the reader takes the first sheet unless told another)."""
_TEXT_COLUMNS = frozenset({"uscc", "year", "reference", "policy", "clause"})
_EXAMPLE = {
    "uscc": "91410100MA00000000",
    "policy": "zz-hitech-first-cert",
    "clause": "第一条",
    "year": "2023",
    "amount_fen": "300000",
    "paid_on": "2024-03-20",
    "reference": "郑开管〔2024〕12号",
    "enterprise_name": "示例科技有限公司",
}
_MEANING = {
    "uscc": "18 位统一社会信用代码",
    "policy": "政策代码、文号或政策名称 (见工作表 政策条款)",
    "clause": "条款代码或条款号, 如 第一条第一款 (见工作表 政策条款)",
    "year": "奖励所属年度 (一次性奖励也填其年度)",
    "amount_fen": "实际兑现金额, 单位见表头 (元; 表头改为 兑现金额(万元) 则按万元), 精确到分",
    "paid_on": "实际拨付日期 YYYY-MM-DD",
    "reference": "兑现文号、批次或凭证号, 供审计追溯",
    "enterprise_name": "可不填; 以企业库名称为准",
}


def write_prior_template(path: Path | str, lib: policy.Library | None = None) -> Path:
    """Write the workbook to *path* and return it; *lib* (default: the built-in library) fills the
    sheet of the policies and clauses a row may name."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    lib = lib or policy.load_library()
    bold = Font(bold=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = DATA_SHEET
    ws.append([c.header for c in PRIOR_FORMAT.columns])
    for i, c in enumerate(PRIOR_FORMAT.columns, start=1):
        ws.cell(1, i).font = bold
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = 22 if c.target in ("uscc", "policy", "reference") else 14
        if c.target in _TEXT_COLUMNS:  # typed into Excel, 9141… and 2023 stay text, not numbers
            for row in range(2, 1002):
                ws.cell(row, i).number_format = "@"
    ws.freeze_panes = "A2"

    info = wb.create_sheet("说明")
    info.append(["列 Column", "必填 Required", "说明", "Meaning"])
    for cell in info[1]:
        cell.font = bold
    for c in PRIOR_FORMAT.columns:
        info.append([c.header, "是 yes" if c.required else "", _MEANING.get(c.target, ""), c.en])
    info.append([])
    info.append(["示例 (example; 请勿照抄, do not import it as is):"])
    info.append([c.header for c in PRIOR_FORMAT.columns])
    info.append([_EXAMPLE.get(c.target, "") for c in PRIOR_FORMAT.columns])
    info.append([])
    for line in (
        "全部行通过校验才导入, 任一行有问题则不写入, 并给出问题清单 (all rows or none; a report lists every problem).",
        "重复导入同一文件不会重复记账 (importing the same file again adds nothing).",
        "一次性奖励 (首次认定、首次突破等) 导入后, 系统不会再次兑现 (a one-time award imported is never paid again).",
    ):
        info.append([line])
    info.column_dimensions["A"].width = 18
    info.column_dimensions["C"].width = 48
    info.column_dimensions["D"].width = 36

    clauses = wb.create_sheet("政策条款")
    clauses.append(["政策代码 policy id", "政策名称 name", "文号 number", "条款代码 clause id", "条款号 clause",
                    "条款名称 title", "兑现 paid"])  # fmt: skip
    for cell in clauses[1]:
        cell.font = bold
    for p in lib.policies.values():
        for cl in p.clauses:
            once = "一次性 once" if cl.once else "每年 yearly"
            clauses.append([p.id, p.meta.name, p.meta.number or "", cl.id, cl.ref.text(), cl.title, once])
    for letter, width in zip("ABCDEFG", (26, 40, 22, 16, 16, 30, 12), strict=True):
        clauses.column_dimensions[letter].width = width
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path)
    return path
