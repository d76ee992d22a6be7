"""用户: accounts (admin only), and how an audited change reads (the audit pages: ``audit.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from zonebrain.appstore import Role
from zonebrain.core.errors import InputError
from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES, NotFound
from zonebrain.web._queries._common import park_names
from zonebrain.web._render import render
from zonebrain.web._routes._deps import audit, context, locale, tr
from zonebrain.web._routes.auth import UserOut, user_out
from zonebrain.web._tables import XLSX_RESPONSE, Col, DataTable, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["admin"], responses=ERROR_RESPONSES)
Admin = Annotated[Principal, Depends(requires(Perm.ADMIN))]
Username = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    display_name: str = Field(default="", max_length=128)
    park_id: str | None = Field(default=None, max_length=64)
    uscc: str | None = Field(default=None, max_length=18)


class UserRowOut(UserOut):
    active: bool
    version: int


USER_COLUMNS = [
    Col("username", "col.username"),
    Col("display_name", "col.display_name"),
    Col("role", "col.role"),
    Col("park", "col.park"),
    Col("park_id", "kpi.col.park_id", page=False),
    Col("uscc", "col.uscc"),
    Col("active", "col.active"),
    Col("granted_by", "col.granted_by"),
]


FIELD_ZH = {
    "active": "启用", "amount_fen": "金额", "chain_node": "产业链节点", "chain_nodes": "产业链节点",
    "contact": "联系方式", "description": "说明", "detail": "详情", "first_response_at": "首次响应",
    "keywords": "关键词", "kind": "类型", "max_amount_fen": "金额上限", "min_amount_fen": "金额下限",
    "name": "名称", "note": "记录", "notes": "备注", "origin": "来源", "owner": "负责人",
    "park_id": "园区", "parks": "服务园区", "promised_investment_fen": "承诺投资",
    "promised_jobs": "承诺就业", "promised_output_fen": "承诺产值", "promised_tax_fen": "承诺税收",
    "provider": "提供方", "rating": "评分", "rating_comment": "评价", "reason": "原因",
    "resolution": "办结结果", "resource_id": "资源", "role": "角色", "source": "来源", "stage": "阶段",
    "status": "状态", "terminated_reason": "终止原因", "title": "标题", "uscc": "统一社会信用代码",
    "version": "版本",
}  # fmt: skip
"""Audited fields in Chinese (the field's own name follows it)."""
FEN_PER_WAN = 1_000_000


def _number(value: Decimal) -> str:
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money_text(fen: int) -> str:
    """Fen as people read money: 万元 from one 万元 up, else 元 (``5000`` → ``50 元``)."""
    if abs(fen) >= FEN_PER_WAN:
        return f"{_number(Decimal(fen) / FEN_PER_WAN)} 万元"
    return f"{_number(Decimal(fen) / 100)} 元"


def value_text(field: str, value: Any) -> str:
    if value is None or value == "":
        return "(空)"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field.endswith("_fen") and isinstance(value, int):
        return money_text(value)
    return str(value)


def field_text(field: str) -> str:
    zh = FIELD_ZH.get(field)
    return f"{zh}({field})" if zh else field


def detail_text(detail: Mapping[str, Any]) -> str:
    """An audit entry's detail as people read it: each change ``字段(field): old → new`` (a new
    record: ``字段(field): value``), money in 万元/元; other facts ``key=value`` as they were."""
    before, after = detail.get("before"), detail.get("after")
    changes: list[str] = []
    if isinstance(after, Mapping) or isinstance(before, Mapping):
        old = before if isinstance(before, Mapping) else {}
        new = after if isinstance(after, Mapping) else {}
        for field in dict.fromkeys([*new, *old]):
            was, now = value_text(field, old.get(field)), value_text(field, new.get(field))
            if isinstance(before, Mapping) and field in old:
                if was != now:
                    changes.append(f"{field_text(field)}: {was} → {now}")
            elif new.get(field) not in (None, ""):  # a new record: the fields it has
                changes.append(f"{field_text(field)}: {now}")
    facts = [f"{k}={v}" for k, v in detail.items() if k not in ("before", "after") or not changes]
    return "; ".join([*changes, *facts])


def create_user(request: Request, p: Principal, body: UserIn) -> UserRowOut:
    ctx = context(request)
    if body.park_id and body.park_id not in park_names(ctx, "zh-CN"):
        raise InputError(tr(request)("error.unknown_park", park=body.park_id))
    u = ctx.store.users.add(
        body.username,
        body.password,
        body.role,
        display_name=body.display_name,
        park_id=body.park_id or None,
        uscc=body.uscc or None,
        by=p.user,  # its creator: one person with it for the payout's four eyes, and a cooling-off
    )
    audit(
        request,
        "user.add",
        p=p,
        target=u.username,
        detail={"role": u.role.value, "park_id": u.park_id, "uscc": u.uscc},
    )
    return UserRowOut(**user_out(u).model_dump(), active=u.active, version=u.version)


def users_table(request: Request) -> DataTable:
    users, grants = context(request).store.users.list(), context(request).store.users.grants()
    names = {u.id: u.username for u in users}
    t = tr(request)
    parks = park_names(context(request), locale(request))
    out = [
        {
            "username": u.username,
            "display_name": u.display_name,
            "role": t(f"role.{u.role.value}"),
            "park": parks.get(u.park_id, u.park_id) if u.park_id else "",
            "park_id": u.park_id or "",
            "uscc": u.uscc or "",
            "active": t("common.yes" if u.active else "common.no"),
            # who gave it its role in the app, and when: the payout's four eyes count them as one
            "granted_by": grants[u.id].granted_text(names) if u.id in grants else "—",
        }
        for u in users
    ]
    return DataTable("users", "admin.users_title", USER_COLUMNS, out)


@pages.get("/admin/users")
def users_page(request: Request, p: Admin) -> Response:
    return render(
        request,
        "users.html",
        {
            "table": users_table(request),
            "roles": list(Role),
            "parks": park_names(context(request), locale(request)),
            "error": None,
        },
    )


@pages.post("/admin/users")
def users_form(
    request: Request,
    p: Admin,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[Role, Form()],
    display_name: Annotated[str, Form(max_length=128)] = "",
    park_id: Annotated[str, Form(max_length=64)] = "",
    uscc: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    try:
        create_user(
            request,
            p,
            UserIn(
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                park_id=park_id or None,
                uscc=uscc or None,
            ),
        )
    except InputError as exc:
        return render(
            request,
            "users.html",
            {
                "table": users_table(request),
                "roles": list(Role),
                "parks": park_names(context(request), locale(request)),
                "error": str(exc),
            },
            400,
        )
    return RedirectResponse("/admin/users", status_code=303)


@api.get("/users", response_model=TableOut, responses=XLSX_RESPONSE, summary="用户 / accounts")
def api_users(request: Request, p: Admin, format: Format = "json") -> Any:
    return respond(users_table(request), format, tr(request))


@api.post("/users", response_model=UserRowOut, status_code=201, summary="新增用户 / create an account")
def api_add_user(request: Request, p: Admin, body: UserIn) -> Any:
    return create_user(request, p, body)


@api.post(
    "/users/{username}/deactivate", response_model=UserRowOut, summary="停用用户 / deactivate an account"
)
def api_deactivate(request: Request, p: Admin, username: Username) -> Any:
    store = context(request).store
    if store.users.get(username) is None:
        raise NotFound()
    u = store.users.set_active(username, False)
    store.sessions.delete_user(u.id)
    context(request).sessions.drop()  # every cached session: the user's tokens are not known here
    audit(request, "user.deactivate", p=p, target=username)
    return UserRowOut(**user_out(u).model_dump(), active=u.active, version=u.version)
