"""精准招商 queries: the opportunity ranking and scatter, candidate firms with reasons.

Shared by the 招商机会 / 目标企业 pages and /api/v1/targeting. Who may read them is decided by
:func:`may_read` (investment officers, leaders, policy researchers, admins) in the routes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any, Final

from zonebrain import pipeline as pl
from zonebrain import targeting
from zonebrain.appstore import Role
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse
from zonebrain.web._context import WebContext
from zonebrain.web._i18n import Translator, pick
from zonebrain.web._queries._common import rows as _rows
from zonebrain.web._tables import Col, DataTable

ROLES: Final = frozenset({Role.ADMIN, Role.LEADER, Role.INVESTMENT_OFFICER, Role.POLICY_RESEARCHER})
"""Roles that may open the targeting pages (park officers and enterprise users may not)."""
PRESETS: Final = tuple(targeting.PRESETS)
TAGS: Final = tuple(targeting.TAG_POINTS)
CLASS_RE: Final = re.compile(r"^\d{4}$")


def panel_year(ctx: WebContext) -> int | None:
    """The latest year of ``region_activity`` (None when no panel was imported)."""

    def compute(wh: Warehouse) -> int | None:
        ra = wh.table("region_activity")
        found = _rows(wh, ra.aggregate(year=ra.year.max()))
        year = found[0]["year"] if found else None
        return int(year) if year is not None else None

    return ctx.cache.get(("targeting-panel-year",), compute)


def preset_name(preset: str) -> str:
    """A preset's Chinese name (稳妥/均衡/跨越) from it or its English alias (safe/balanced/leap);
    anything else is refused (400) naming the choices, never silently 均衡."""
    name = targeting.PRESET_ALIASES.get(preset.strip().casefold(), preset.strip())
    if name not in targeting.PRESETS:
        raise InputError(
            f"未知方案 '{preset}' (unknown preset); 可选 / choose: {', '.join(PRESETS)} "
            f"({', '.join(targeting.PRESET_ALIASES)})"
        )
    return name


def opportunities(ctx: WebContext, preset: str) -> targeting.Opportunities | None:
    """The ranking for *preset* (cached); None when there is no panel."""
    preset = preset_name(preset)
    year = panel_year(ctx)
    if year is None:
        return None
    return ctx.cache.get(
        ("targeting-opps", preset, year), lambda wh: targeting.opportunities(wh, year=year, preset=preset)
    )


def opportunity_table(
    opp: targeting.Opportunities | None,
    preset: str,
    limit: int | None = None,
    t: Translator | None = None,
    node_names: dict[str, str] | None = None,
) -> DataTable:
    """The ranking; with *t* the title names the preset in the reader's language, with
    *node_names* the missing nodes are named (``chain/node`` → name, :func:`nodes`)."""
    rows: list[dict[str, Any]] = opp.table.to_pylist() if opp is not None else []
    total = len(rows)
    for r in rows:
        for k in ("score", "feasibility", "attractiveness", "fit", "density", "pci", "growth", "rd"):
            if r.get(k) is not None:
                r[k] = round(float(r[k]), 4)
        gaps = [g for g in str(r.get("gap_nodes") or "").split(";") if g]
        sep = t("common.list_sep") if t else "; "
        r["gap_node_names"] = sep.join((node_names or {}).get(g, g) for g in gaps)
    return DataTable(
        name=f"opportunities-{opp.year if opp else 'none'}",
        title="targeting.opp_table",
        title_params={"preset": preset_label(preset, t) if t else preset},
        columns=[
            Col("rank", "targeting.col.rank", "int"),
            Col("activity_code", "col.industry_code"),
            Col("name", "col.class_name"),
            Col("score", "targeting.col.score", "float"),
            Col("feasibility", "targeting.col.feasibility", "float"),
            Col("attractiveness", "targeting.col.attractiveness", "float"),
            Col("fit", "targeting.col.fit", "float"),
            Col("density", "targeting.col.density", "float"),
            Col("pci", "targeting.col.pci", "float"),
            Col("growth", "targeting.col.growth", "float"),
            Col("rd", "targeting.col.rd", "float"),
            Col("revenue_per_worker_fen", "targeting.col.revenue_per_worker", "fen"),
            Col("chain_gap", "targeting.col.chain_gap", "float"),
            Col("gap_nodes", "targeting.col.gap_node_ids", page=False, xlsx=False),
            Col("gap_node_names", "targeting.col.gap_nodes"),
        ],
        rows=rows[:limit] if limit else rows,
        total=total,
    )


def notes(opp: targeting.Opportunities | None, t: Translator) -> list[str]:
    """The ranking's notes for the page, each once; the regions and classes left out of the year
    because all their values are 0 as one sentence in the reader's language, naming them."""
    if opp is None:
        return []
    from zonebrain.targeting._opportunities import LISTED, left_out_note

    zero_note = left_out_note(opp.left_out)
    found = list(dict.fromkeys(n for n in opp.notes if n != zero_note))
    if not opp.left_out:
        return found
    codes = [code for _, code in opp.left_out]
    names = ", ".join(codes[:LISTED]) + (" …" if len(codes) > LISTED else "")
    return [t("targeting.note_all_zero", n=len(codes), names=names), *found]


def preset_label(preset: str, t: Translator) -> str:
    """稳妥 / 均衡 / 跨越 in the reader's language."""
    return t(f"targeting.preset_{PRESETS.index(preset)}") if preset in PRESETS else preset


def weights(opp: targeting.Opportunities | None, preset: str) -> list[dict[str, Any]]:
    """The visible weights of *preset*: component, group, weight, meaning."""
    if opp is not None:
        found: list[dict[str, Any]] = opp.weights.to_pylist()
        return found
    found = targeting.weights_table(targeting.resolve_weights(preset)).to_pylist()
    return found


def scatter(opp: targeting.Opportunities | None) -> dict[str, Any]:
    """Feasibility × attractiveness, chain-gap classes apart (for the ``scatter`` chart)."""
    gap: list[list[Any]] = []
    other: list[list[Any]] = []
    if opp is not None:
        for r in opp.scatter.to_pylist():
            point = [round(r["feasibility"], 4), round(r["attractiveness"], 4), r["activity_code"], r["name"]]
            (gap if r["chain_gap"] else other).append(point)
    return {"absent": other, "present": gap}


def nodes(ctx: WebContext, locale: str) -> dict[str, str]:
    """``chain/node`` → its name, for the target selector."""
    out: dict[str, str] = {}
    for ch in ctx.chains:
        for n in ch.nodes:
            out[f"{ch.id}/{n.id}"] = (
                f"{pick(locale, ch.name_zh, ch.name_en)} · {pick(locale, n.name_zh, n.name_en)}"
            )
    return out


def pipeline_usccs(ctx: WebContext) -> dict[str, int]:
    """USCC → project id of the firms the investment pipeline pursues (live projects).

    The same set is left out of candidate scoring and marks rows 已在项目库, so the page and the
    exclusion always agree.
    """
    return pl.Pipeline(ctx.store, zone=ctx.zone).usccs()


def candidates(
    ctx: WebContext,
    *,
    mode: str,
    classes: str = "",
    node: str = "",
    province: str = "",
    min_revenue_wan: int | None = None,
    tag: str = "",
    limit: int = 100,
    exclude: frozenset[str] = frozenset(),
) -> DataTable:
    """Candidate firms for a class list, a chain node, or every gap, with their reasons.

    Firms in *exclude* (the pipeline's, :func:`pipeline_usccs`) are left out when scoring.
    """
    codes = [c.strip() for c in re.split(r"[,，\s]+", classes) if c.strip()]
    if mode == "class":
        bad = [c for c in codes if not CLASS_RE.match(c)]
        if not codes or bad:
            raise InputError(
                "请填写四位行业代码, 以逗号分隔 (4-digit GB/T 4754 class codes, comma-separated)"
            )
    elif mode == "node":
        if not node:
            raise InputError("请选择产业链节点 (choose a chain node)")
    elif mode != "all_gaps":
        raise InputError(f"未知目标类型 '{mode}' (unknown target: class, node or all_gaps)")
    if tag and tag not in TAGS:
        raise InputError(f"未知标签 '{tag}' (unknown tag); 可选 / choose: {', '.join(TAGS)}")
    excluded = sorted(exclude)
    digest = hashlib.sha256("\n".join(excluded).encode()).hexdigest()[:16]
    key = ("targeting-cands", mode, tuple(codes), node, province, min_revenue_wan, tag, limit, digest)

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        result = targeting.candidates(
            wh,
            classes=codes if mode == "class" else (),
            node=node if mode == "node" else None,
            all_gaps=mode == "all_gaps",
            provinces=[province] if province else (),
            min_revenue_fen=min_revenue_wan * 1_000_000 if min_revenue_wan is not None else None,
            tags=[tag] if tag else (),
            exclude=excluded,
            limit=limit,
            as_of=dt.date.today(),
        )
        found: list[dict[str, Any]] = result.table.to_pylist()
        return found

    found = ctx.cache.get(key, compute)
    rows = [{**r, "score": round(float(r["score"]), 4)} for r in found]
    return DataTable(
        name="candidates",
        title="targeting.cand_table",
        columns=[
            Col("rank", "targeting.col.rank", "int"),
            Col("uscc", "col.uscc"),
            Col("name", "col.name"),
            Col("province_code", "targeting.col.province"),
            Col("industry_code", "col.industry_code"),
            Col("gap", "targeting.col.gap"),
            Col("score", "targeting.col.score", "float"),
            Col("revenue_fen", "col.revenue", "fen"),
            Col("employees", "col.employees", "int"),
            Col("tags", "targeting.col.tags"),
            Col("reasons", "targeting.col.reasons"),
        ],
        rows=rows,
    )
