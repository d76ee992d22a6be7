"""The file formats users import: one :class:`FileFormat` per kind, with Chinese headers.

Each column says the header officials use, the aliases accepted for it, the warehouse
column it fills and how its text is read. Money columns carry their unit in the header
(``营业收入(万元)``) and are stored as integer fen; the same name with another unit in brackets
(``营业收入(元)``) is read in that unit. A money alias states its unit too: a header without one
(``纳税总额``) is refused, since 元 and 万元 differ 10,000-fold and the unit is never guessed
(QA: ``纳税总额`` was listed as accepted, yet refused). A mapping file (YAML, ``表头: 标准表头``)
renames other headers onto these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal[
    "uscc", "text", "industry", "park", "division", "money", "count", "date", "year", "month", "choice"
]


@dataclass(frozen=True)
class Column:
    header: str
    """The standard header, e.g. ``营业收入(万元)``."""
    target: str
    """The warehouse column it fills, e.g. ``revenue_fen``."""
    kind: Kind
    required: bool = False
    unit: str | None = None
    """For money: the unit the numbers are written in (元, 万元, 亿元)."""
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    """For ``choice``: the allowed values."""
    en: str = ""
    signed: bool = False
    """For money and counts: whether a negative value is legitimate (profit can be a loss)."""
    future: bool = False
    """For dates: whether a date after today is legitimate (a certificate's expiry)."""
    after: str | None = None
    """For dates: the target of another date column this one must not precede (expiry ≥ start)."""


@dataclass(frozen=True)
class FileFormat:
    name: str
    """``enterprises``, ``finance``, ``monthly``, ``events``, ``tags``, ``reference``, ``signals``."""
    table: str
    key: tuple[str, ...]
    """Warehouse columns that identify a row (the upsert key)."""
    columns: tuple[Column, ...]
    title_zh: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    parent: str | None = None
    """The registry table every row's USCC must already be in (finance rows need their firm)."""

    def column(self, target: str) -> Column:
        return next(c for c in self.columns if c.target == target)


USCC = Column(
    "统一社会信用代码", "uscc", "uscc", True, aliases=("信用代码", "社会信用代码", "USCC"), en="USCC"
)

ENTERPRISE_STATUS = ("存续", "在业", "迁出", "注销", "吊销")
EVENT_KINDS = (
    "高新技术企业首次认定",
    "高新技术企业重新认定",
    "迁入",
    "迁出",
    "荣誉",
    "行政处罚",
    "经营异常",
    "严重违法失信",
    "重大安全事故",
    "劳资纠纷",
    "一事一议协议",
)
TAGS = (
    "高新技术企业",
    "科技型中小企业",
    "专精特新中小企业",
    "专精特新小巨人",
    "规上工业",
    "规上服务业",
    "限上商贸",
    "上市企业",
    "链主企业",
    "瞪羚企业",
    "独立核算",
    "非独立核算",
    "固定经营场所",
    "产业结构调整限制类",
    "产业结构调整淘汰类",
)
SIGNAL_KINDS = ("新设分支机构", "融资", "新建厂房", "中标", "增资")

ENTERPRISES = FileFormat(
    "enterprises",
    "enterprises",
    ("uscc",),
    (
        USCC,
        Column("企业名称", "name", "text", True, aliases=("名称", "企业名"), en="name"),
        Column("所属园区", "park_id", "park", True, aliases=("园区", "所在园区", "所属街道"), en="park"),
        Column(
            "行业代码",
            "industry_code",
            "industry",
            True,
            aliases=("国民经济行业代码", "行业分类代码"),
            en="industry",
        ),
        Column(
            "注册资本(万元)",
            "registered_capital_fen",
            "money",
            unit="万元",
            en="capital",
        ),
        Column("成立日期", "registered_on", "date", True, aliases=("注册日期", "成立时间"), en="founded"),
        Column("登记状态", "status", "choice", choices=ENTERPRISE_STATUS, aliases=("经营状态",), en="status"),
        Column("经营范围", "business_scope", "text", en="business scope"),
        Column("注册地址", "address", "text", aliases=("地址", "住所"), en="address"),
    ),
    "企业名录",
)

SIGNED_MONEY = ("profit_fen", "tax_fen")
"""Money that may be below 0: a loss, and tax net of refunds (留抵退税), as policy case files and
the self-check form take it (a refund year is not 无纳税; QA: the import refused it)."""
# every alias states its unit; the standard name in another unit (纳税总额(元)) is read in that unit
_FINANCE_MONEY = (
    ("营业收入(万元)", "revenue_fen", ("主营业务收入(万元)",)),
    ("工业总产值(万元)", "output_fen", ("总产值(万元)",)),
    ("纳税总额(万元)", "tax_fen", ("税收(万元)", "实缴税金(万元)")),
    ("研发费用(万元)", "rd_expense_fen", ("研发投入(万元)", "R&D经费(万元)")),
    ("利润总额(万元)", "profit_fen", ("利润(万元)",)),
    ("出口额(万元)", "export_fen", ("出口交货值(万元)",)),
)

FINANCE = FileFormat(
    "finance",
    "enterprise_years",
    ("uscc", "year"),
    (
        USCC,
        Column("年度", "year", "year", True, aliases=("年份",), en="year"),
        *(
            Column(h, t, "money", unit="万元", aliases=a, signed=t in SIGNED_MONEY)
            for h, t, a in _FINANCE_MONEY
        ),
        Column(
            "从业人员",
            "employees",
            "count",
            aliases=("从业人员数", "从业人员(人)", "员工人数"),
            en="employees",
        ),
        Column("参保人数", "insured_employees", "count", aliases=("社保参保人数",), en="insured"),
        Column("专利数", "patents", "count", aliases=("有效专利数",), en="patents"),
        Column(
            "发明专利数", "invention_patents", "count", aliases=("有效发明专利数",), en="invention patents"
        ),
    ),
    "企业年度财务",
    parent="enterprises",
)

MONTHLY = FileFormat(
    "monthly",
    "enterprise_months",
    ("uscc", "month"),
    (
        USCC,
        Column("月份", "month", "month", True, aliases=("统计月份", "报告期"), en="month (YYYY-MM)"),
        Column("营业收入(万元)", "revenue_fen", "money", unit="万元", aliases=("本月营业收入(万元)",)),
        Column("工业总产值(万元)", "output_fen", "money", unit="万元", aliases=("本月工业总产值(万元)",)),
        Column("纳税总额(万元)", "tax_fen", "money", unit="万元", aliases=("本月纳税(万元)",)),
        Column("从业人员", "employees", "count", aliases=("期末从业人员",)),
    ),
    "企业月度指标",
    parent="enterprises",
)

EVENTS = FileFormat(
    "events",
    "events",
    ("uscc", "kind", "date"),
    (
        USCC,
        Column("事件类型", "kind", "choice", True, choices=EVENT_KINDS, aliases=("类型",), en="kind"),
        Column("日期", "date", "date", True, aliases=("发生日期", "认定日期"), en="date"),
        Column("说明", "detail", "text", aliases=("详情", "备注"), en="detail"),
    ),
    "企业事件",
    parent="enterprises",
)

TAGS_FORMAT = FileFormat(
    "tags",
    "enterprise_tags",
    ("uscc", "tag"),
    (
        USCC,
        Column("标签", "tag", "choice", True, choices=TAGS, aliases=("企业标签", "资质"), en="tag"),
        Column("认定日期", "since", "date", aliases=("起始日期",), en="since"),
        Column("有效期至", "until", "date", aliases=("截止日期",), en="until", future=True, after="since"),
    ),
    "企业标签",
    parent="enterprises",
)

REFERENCE = FileFormat(
    "reference",
    "reference_enterprises",
    ("uscc",),
    (
        USCC,
        Column("企业名称", "name", "text", True, aliases=("名称",)),
        Column("所在地区代码", "division_code", "division", True, aliases=("区划代码", "地区代码")),
        Column("行业代码", "industry_code", "industry", True, aliases=("国民经济行业代码",)),
        Column("注册资本(万元)", "registered_capital_fen", "money", unit="万元"),
        Column("成立日期", "registered_on", "date", True),
        Column("营业收入(万元)", "revenue_fen", "money", unit="万元"),
        Column("从业人员", "employees", "count"),
        Column("标签", "tags", "text", aliases=("企业标签",)),
    ),
    "全国参考企业库",
)

SIGNALS = FileFormat(
    "signals",
    "reference_signals",
    ("uscc", "kind", "date"),
    (
        USCC,
        Column("信号类型", "kind", "choice", True, choices=SIGNAL_KINDS, aliases=("类型",)),
        Column("日期", "date", "date", True),
        Column("说明", "detail", "text"),
    ),
    "扩张信号",
    parent="reference_enterprises",
)

PANEL_MEASURES = ("firms", "revenue_fen", "employees", "output_fen", "tax_fen")

PANEL = FileFormat(
    "panel",
    "region_activity",
    ("region_code", "activity_code", "year", "measure"),
    (
        Column("region_code", "region_code", "division", True, aliases=("地区代码",)),
        Column("activity_code", "activity_code", "industry", True, aliases=("行业代码",)),
        Column("year", "year", "year", True, aliases=("年度",)),
        Column("measure", "measure", "choice", True, choices=PANEL_MEASURES, aliases=("指标",)),
        Column("value", "value", "count", True, aliases=("数值",)),
    ),
    "地区×行业面板",
)

FORMATS: dict[str, FileFormat] = {
    f.name: f for f in (ENTERPRISES, FINANCE, MONTHLY, EVENTS, TAGS_FORMAT, REFERENCE, SIGNALS, PANEL)
}
"""Every importable kind, by the name the CLI uses (``zonebrain import KIND FILE``)."""
