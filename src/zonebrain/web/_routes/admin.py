"""用户与审计: accounts (admin only) and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
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
]
AUDIT_COLUMNS = [
    Col("at", "col.at", "date"),
    Col("username", "col.username"),
    Col("role", "col.role"),
    Col("action", "col.action"),
    Col("target", "col.target"),
    Col("outcome", "col.outcome"),
    Col("ip", "col.ip"),
    Col("detail", "col.detail"),
]


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
    users = context(request).store.users.list()
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
        }
        for u in users
    ]
    return DataTable("users", "admin.users_title", USER_COLUMNS, out)


def audit_table(request: Request, action: str | None = None, limit: int = 500) -> DataTable:
    entries = context(request).store.audit.entries(limit=limit, action=action or None)
    out = [
        {
            "at": e.at,
            "username": e.username,
            "role": e.role,
            "action": e.action,
            "target": e.target,
            "outcome": e.outcome,
            "ip": e.ip,
            "detail": ", ".join(f"{k}={v}" for k, v in e.detail.items()),
        }
        for e in entries
    ]
    return DataTable("audit_log", "admin.audit_title", AUDIT_COLUMNS, out)


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


@pages.get("/admin/audit")
def audit_page(request: Request, p: Admin) -> Response:
    return render(request, "audit.html", {"table": audit_table(request, limit=200)})


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


@api.get("/audit", response_model=TableOut, responses=XLSX_RESPONSE, summary="审计日志 / the audit log")
def api_audit(
    request: Request,
    p: Admin,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    format: Format = "json",
) -> Any:
    return respond(audit_table(request, action, limit), format, tr(request))
