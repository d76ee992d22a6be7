"""The payout workflow API's request bodies, the service's refusals as HTTP errors, the files it serves."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from zonebrain import disbursement
from zonebrain.disbursement._exports import VERIFY_LABELS
from zonebrain.web._errors import Conflict, Forbidden, NotFound
from zonebrain.web._i18n import DEFAULT_LOCALE, translate
from zonebrain.web._tables import XLSX, DataTable, Format, attachment, respond


def respond_sheet(table: DataTable, fmt: Format, sheet: str, t: Any) -> Any:
    """:func:`~zonebrain.web._tables.respond`, the Excel file's sheet named *sheet* (兑现批次, 支付台账)
    rather than from the table's title; the file name stays the table's stem."""
    return respond(table, fmt, t, sheet)


@contextmanager
def domain_errors(request: Request) -> Iterator[None]:
    """The service's refusals as the API's: 403, 404, 409 (stale versions are 409 app-wide), bad
    input stays the 400 it is; each with the service's own sentence (it names roles and parks by name)."""
    try:
        yield
    except disbursement.NotAllowed as exc:
        raise Forbidden(str(exc)) from exc
    except disbursement.NotFound as exc:
        raise NotFound(str(exc)) from exc
    except disbursement.WrongStep as exc:
        raise Conflict(str(exc)) from exc


class BatchIn(BaseModel):
    run_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.:-]*$")
    title: str = Field(default="", max_length=256)
    policies: list[str] = Field(default_factory=list, max_length=50)
    older_run_reason: str = Field(
        default="",
        max_length=2000,
        description="同一年度已有更新的运行时, 仍用此运行的原因 (审计) / why this run although a newer one exists",
    )


class VersionIn(BaseModel):
    expected_version: int = Field(ge=1, le=2**31 - 1, description="你读到的批次版本 / the version you read")
    note: str = Field(default="", max_length=2000)


ACK_DESCRIPTION = (
    "确认已知悉运行之后导入的数据 (审计; 否则 409 并列出这些导入) / "
    "acknowledge data imported since the batch's run (audited; else 409 naming the imports)"
)


class ApproveIn(VersionIn):
    acknowledge_data_changes: bool = Field(default=False, description=ACK_DESCRIPTION)


class PayIn(BaseModel):
    acknowledge_data_changes: bool = Field(default=False, description=ACK_DESCRIPTION)


class PublicizeIn(BaseModel):
    expected_version: int = Field(ge=1, le=2**31 - 1)
    start: dt.date = Field(description="公示开始日 (含) / first day")
    end: dt.date = Field(description="公示截止日 (含) / last day")


class CloseIn(BaseModel):
    expected_version: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(min_length=1, max_length=2000)


class CancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="作废原因 / why it is cancelled")
    expected_version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="你读到的批次版本 (给出则核对) / checked if given"
    )


class ReverseIn(BaseModel):
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="冲正原因: 银行退回、误付… / returned by the bank, paid in error",
    )
    kind: str = Field(
        default="",
        max_length=32,
        description="冲正类型 (必填): returned 退汇 | recovered 追回 | error 误记 (未实际付款) | unrecovered "
        "待追回 (只记录, 仍计为已支付); 缺少或未知则 400 并列出类型 / the reversal's kind (400 naming the kinds)",
    )
    evidence: str = Field(
        default="", max_length=128, description="回单号/凭证号 (退汇、追回必填) / evidence reference"
    )
    money_back_on: dt.date | None = Field(
        default=None, description="款项退回日期 (退汇、追回必填) / the day the money came back"
    )


class ObjectionIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    raised_by: str = Field(min_length=1, max_length=128, description="提出人 (可写匿名)")
    raised_by_role: str = Field(default="", max_length=64, description="身份: 企业、群众、部门…")


class ResolveIn(BaseModel):
    upheld: bool = Field(description="异议成立 (撤回该项) / upheld withdraws the item")
    note: str = Field(min_length=1, max_length=2000)


def one_of(
    allowed: tuple[str, ...],
    *,
    labels: bool = False,
    blank: bool = True,
    names: Mapping[str, str] = VERIFY_LABELS,
) -> Callable[[object], object]:
    """A status checked before its type or pattern (待核实 by default; *names* gives the Chinese
    labels of other statuses: a result's, a batch's, an item's): one of the codes *allowed* (with
    *labels*, also its Chinese label as the pages and the Excel export show it, 已提交 →
    ``answered``); anything else is a 422 naming the statuses as people read them, with their codes
    (``status 须为 已通知 (requested)、已提交 (answered)、已办结 (closed) 之一``). With *blank*, None
    and "" pass (no filter); without, they are refused with the same message."""
    shown = [f"{names.get(code, code)} ({code})" for code in allowed]
    expected = f"{', '.join(shown[:-1])} or {shown[-1]}"  # pydantic's own form: read by _errors
    by_label = {names[code]: code for code in allowed if code in names} if labels else {}

    def check(value: object) -> object:
        if (blank and (value is None or value == "")) or value in allowed:
            return value
        if isinstance(value, str) and value.strip() in by_label:
            return by_label[value.strip()]
        raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": expected})

    return check


RESULT_LABELS: dict[str, str] = {
    s: translate(DEFAULT_LOCALE, f"policy.status_{s}")
    for s in ("eligible", "undetermined", "superseded", "ineligible")
}
"""A run result's statuses by their Chinese labels (符合 …), as the results page shows them."""
BATCH_NAMES: dict[str, str] = {
    s.value: translate(DEFAULT_LOCALE, f"payout.status_{s.value}") for s in disbursement.BatchStatus
}
ITEM_NAMES: dict[str, str] = {
    s.value: translate(DEFAULT_LOCALE, f"payout.item_{s.value}") for s in disbursement.ItemStatus
}
"""A batch's and an item's statuses by their Chinese labels, as the batch pages show them."""


STEPS = ("requested", "answered", "closed")
"""The statuses a request moves on to (never back to 待联系)."""


class VerifyIn(BaseModel):
    status: Annotated[
        Literal["requested", "answered", "closed"],
        BeforeValidator(one_of(STEPS, labels=True, blank=False)),
        WithJsonSchema(
            {
                "type": "string",
                "enum": [*STEPS, *(VERIFY_LABELS[s] for s in STEPS)],
                "description": "下一步状态, 代码或中文名称: "
                + "、".join(f"{VERIFY_LABELS[s]} ({s})" for s in STEPS)
                + " (the next status, by code or Chinese label)",
            }
        ),
    ]
    expected_version: int = Field(ge=1, le=2**31 - 1)
    note: str = Field(default="", max_length=2000)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            DOCX: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "the file",
    }
}


def _file(data: bytes, media: str, name: str) -> Response:
    return Response(data, media_type=media, headers={"Content-Disposition": attachment(name)})


def _export(request: Request, write: Any, name: str) -> bytes:
    """Run a service export into a temporary folder and return the bytes (the service audits it)."""
    with tempfile.TemporaryDirectory(prefix="zonebrain-export-") as folder:
        path = FsPath(folder) / name
        with domain_errors(request):
            out: FsPath = write(path)
        return out.read_bytes()
