"""The payout workflow API's request bodies, and the service's refusals as HTTP errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from fastapi import Request
from pydantic import BaseModel, Field

from zonebrain import disbursement
from zonebrain.web._errors import Conflict, Forbidden, NotFound


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


class VersionIn(BaseModel):
    expected_version: int = Field(ge=1, le=2**31 - 1, description="你读到的批次版本 / the version you read")
    note: str = Field(default="", max_length=2000)


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


class ObjectionIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    raised_by: str = Field(min_length=1, max_length=128, description="提出人 (可写匿名)")
    raised_by_role: str = Field(default="", max_length=64, description="身份: 企业、群众、部门…")


class ResolveIn(BaseModel):
    upheld: bool = Field(description="异议成立 (撤回该项) / upheld withdraws the item")
    note: str = Field(min_length=1, max_length=2000)


class VerifyIn(BaseModel):
    status: Literal["requested", "answered", "closed"]
    expected_version: int = Field(ge=1, le=2**31 - 1)
    note: str = Field(default="", max_length=2000)
