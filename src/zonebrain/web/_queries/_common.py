"""Shared pieces of the web queries: active enterprises, parks, the latest year, chain memberships."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Final

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from zonebrain.core.errors import InputError
from zonebrain.policy._coverage import field_label_zh
from zonebrain.portrait import latest_year
from zonebrain.storage import Warehouse
from zonebrain.web._i18n import pick, translate

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

INACTIVE: Final = ("注销", "吊销", "迁出")
"""Statuses of firms no longer operating in the zone (as in zonebrain.portrait)."""
ABOVE_SCALE: Final = ("规上工业", "规上服务业", "限上商贸")
HIGH_TECH: Final = "高新技术企业"
MEMBERSHIP_SCHEMA: Final = pa.schema(
    [
        ("uscc", pa.string()),
        ("park_id", pa.string()),
        ("chain", pa.string()),
        ("node", pa.string()),
        ("confidence", pa.float64()),
        ("reason", pa.string()),
    ]
)


def active(wh: Warehouse) -> ir.Table:
    ent = wh.table("enterprises")
    return ent.filter(ent.status.isnull() | ~ent.status.isin(list(INACTIVE)))


def rows(wh: Warehouse, expr: ir.Table) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = wh.to_arrow(expr).to_pylist()
    return found


def tagged(wh: Warehouse, tags: tuple[str, ...], day: dt.date | None = None) -> ir.Table:
    """USCCs holding one of *tags* on *day* (default today): recognised by then and not yet expired,
    the rule of the portrait and the KPI monitor (distinct)."""
    day = day or dt.date.today()
    t = wh.table("enterprise_tags")
    valid = (t.since.isnull() | (t.since <= day)) & (t.until.isnull() | (t.until >= day))
    return t.filter(t.tag.isin(list(tags)) & valid).select("uscc").distinct()


def year_end(year: int | None) -> dt.date:
    """31 December of *year*: the day a year's tags are counted on (today when there is no year)."""
    return dt.date(year, 12, 31) if year else dt.date.today()


def parks(ctx: WebContext) -> list[dict[str, Any]]:
    """The zone's parks and township units (cached)."""
    return ctx.cache.get(("parks",), lambda wh: rows(wh, wh.table("parks").order_by("park_id")))


def park_names(ctx: WebContext, locale: str) -> dict[str, str]:
    return {p["park_id"]: pick(locale, p["short_name"], p["name_en"]) for p in parks(ctx)}


def resolve_park(ctx: WebContext, text: str | None) -> str | None:
    """A park filter as people write it: its code (``wutong``) or a name (``梧桐``, ``梧桐街道``,
    ``Wutong``) → the code; empty → None. Anything else is refused (400 ``invalid_input``) naming
    the parks, never read as a filter no firm matches."""
    text = (text or "").strip()
    if not text:
        return None
    for p in parks(ctx):
        names = (p["park_id"], p.get("short_name"), p.get("name_zh"), p.get("name_en"))
        if any(n and text.casefold() == str(n).casefold() for n in names):
            return str(p["park_id"])
    choices = ", ".join(f"{p['short_name']} ({p['park_id']})" for p in parks(ctx))
    raise InputError(f"未知园区 '{text}' (unknown park); 可选 / choose: {choices}")


def resolve_chain(ctx: WebContext, text: str | None) -> str | None:
    """A chain filter: its id or its name (Chinese or English) → the id; empty → None; anything
    else is refused (400 ``invalid_input``) naming the chains."""
    text = (text or "").strip()
    if not text:
        return None
    for c in ctx.chains:
        if text.casefold() in (c.id.casefold(), c.name_zh.casefold(), (c.name_en or "").casefold()):
            return str(c.id)
    choices = ", ".join(f"{c.name_zh} ({c.id})" for c in ctx.chains)
    raise InputError(f"未知产业链 '{text}' (unknown chain); 可选 / choose: {choices}")


def year_of(ctx: WebContext) -> int | None:
    return ctx.cache.get(("latest_year",), latest_year)


def years(ctx: WebContext) -> list[int]:
    def compute(wh: Warehouse) -> list[int]:
        y = wh.table("enterprise_years")
        return [int(r["year"]) for r in rows(wh, y.select("year").distinct().order_by("year"))]

    return ctx.cache.get(("years",), compute)


def stored(wh: Warehouse) -> bool:
    """Does the warehouse hold chain memberships (``zonebrain chains classify-zone`` has run)?"""
    return bool(wh.to_arrow(wh.table("enterprise_chain_nodes").select("uscc").limit(1)).num_rows > 0)


def memberships_stored(ctx: WebContext) -> bool:
    """True when :func:`memberships` reads ``enterprise_chain_nodes``, False when it classifies."""
    return ctx.cache.get(("memberships_stored",), stored)


def memberships(ctx: WebContext) -> pa.Table:
    """Every active firm's chain nodes: uscc, park_id, chain, node, confidence, reason.

    Read from ``enterprise_chain_nodes`` when it is populated (the classifier's output after the
    manual overrides, see :func:`zonebrain.chains.classify_zone`); else classified on the fly from
    business scope and industry code. Cached until the data changes.
    """

    def from_table(wh: Warehouse) -> pa.Table:
        ecn = wh.table("enterprise_chain_nodes")
        firms = active(wh).select("uscc", "park_id")
        j = ecn.join(firms, "uscc")
        expr = j.select(
            uscc=j.uscc,
            park_id=j.park_id,
            chain=j.chain_id,
            node=j.node_id,
            confidence=j.confidence.cast("float64"),
            reason=j.reason,
        ).order_by(["uscc", "chain", "node"])
        return wh.to_arrow(expr).cast(MEMBERSHIP_SCHEMA)

    def classify(wh: Warehouse) -> pa.Table:
        ent = wh.to_arrow(active(wh).select("uscc", "park_id", "business_scope", "industry_code"))
        texts = [s or "" for s in ent["business_scope"].to_pylist()]
        codes = [c or "" for c in ent["industry_code"].to_pylist()]
        labels = ctx.classifier.classify(texts, codes=codes) if texts else []
        out: dict[str, list[Any]] = {name: [] for name in MEMBERSHIP_SCHEMA.names}
        usccs, park_ids = ent["uscc"].to_pylist(), ent["park_id"].to_pylist()
        for i, found in enumerate(labels):
            for label in found:
                out["uscc"].append(usccs[i])
                out["park_id"].append(park_ids[i])
                out["chain"].append(label.chain)
                out["node"].append(label.node)
                out["confidence"].append(float(label.confidence))
                out["reason"].append(label.reason)
        return pa.table(out, schema=MEMBERSHIP_SCHEMA)

    def compute(wh: Warehouse) -> pa.Table:
        return from_table(wh) if stored(wh) else classify(wh)

    return ctx.cache.get(("memberships",), compute)


def labels_by_uscc(ctx: WebContext) -> dict[str, list[dict[str, Any]]]:
    """The membership rows of each firm (cached index of :func:`memberships`)."""
    m = memberships(ctx)

    def compute(_: Warehouse) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for row in m.to_pylist():
            out.setdefault(row["uscc"], []).append(row)
        return out

    return ctx.cache.get(("labels_by_uscc",), compute)


def labels_by_node(ctx: WebContext) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The membership rows of each (chain, node) (cached index of :func:`memberships`)."""
    m = memberships(ctx)

    def compute(_: Warehouse) -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in m.to_pylist():
            out.setdefault((row["chain"], row["node"]), []).append(row)
        return out

    return ctx.cache.get(("labels_by_node",), compute)


def chain_usccs(ctx: WebContext, chain: str, node: str | None = None) -> ir.Table:
    """An Ibis memtable of the USCCs on a chain (or one node of it), for semi-joins."""
    import pyarrow.compute as pc

    m = memberships(ctx)
    mask = pc.equal(m["chain"], chain)
    if node is not None:
        mask = pc.and_(mask, pc.equal(m["node"], node))
    usccs = pc.unique(m.filter(mask)["uscc"])
    return ibis.memtable(pa.table({"uscc": usccs}))


def field_name(locale: str, name: str) -> str:
    """A fact or a missing field as the reader's language names it: ``tax_fen[2024]`` →
    ``2024年纳税总额`` (the policy layer's name, as the CLI and the Excel documents give it) or
    ``Tax paid (2024)``; an unknown name stays as it is."""
    if locale != "en":
        return field_label_zh(name)
    tag = re.fullmatch(r"tag_since\[(.+)\]", name)
    if tag:
        return f"date first holding {tag.group(1)}"
    m = re.fullmatch(r"(\w+)\[(\d{4})\]", name)
    fact, year = (m.group(1), m.group(2)) if m else (name, "")
    own = translate(locale, f"policy_check.fact.{fact}")
    text = fact if own.startswith("policy_check.") else own
    return f"{text} ({year})" if year else text


def field_names(locale: str, fields: str | None) -> str:
    """Comma-separated missing fields (as results store them) named, each once: ``、`` between
    Chinese names, ``, `` between English ones."""
    names = [field_name(locale, f.strip()) for f in (fields or "").split(",") if f.strip()]
    return ("、" if locale != "en" else ", ").join(dict.fromkeys(names))
