"""Persisted chain memberships: classify the zone's enterprises and store them in the warehouse.

``classify_zone`` reads ``enterprises`` (business scope + industry code), runs the
:class:`~zonebrain.chains.Classifier`, applies the manual corrections stored in ``chain_overrides``
(after classification, so they survive every re-run) and replaces ``enterprise_chain_nodes`` in one
transaction, stamping each row with the run id and time. ``set_override`` records a correction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass

import pyarrow as pa

from zonebrain.chains._classify import Classifier, Override, apply_overrides
from zonebrain.chains._load import ChainSet, load_chains
from zonebrain.core.clock import utcnow
from zonebrain.core.errors import InputError
from zonebrain.core.uscc import USCC
from zonebrain.storage import Warehouse

MEMBERSHIP_SCHEMA = pa.schema(
    [
        ("uscc", pa.string()),
        ("chain_id", pa.string()),
        ("node_id", pa.string()),
        ("confidence", pa.float64()),
        ("method", pa.string()),
        ("reason", pa.string()),
        ("run_id", pa.string()),
        ("classified_at", pa.timestamp("us")),
    ]
)
OVERRIDE_SCHEMA = pa.schema(
    [
        ("uscc", pa.string()),
        ("chain_id", pa.string()),
        ("node_id", pa.string()),
        ("action", pa.string()),
        ("note", pa.string()),
        ("author", pa.string()),
        ("created_at", pa.timestamp("us")),
    ]
)
ALL_NODES = ""
"""``node_id`` stored for an override that concerns a whole chain (``remove`` without a node)."""


@dataclass(frozen=True)
class MembershipRun:
    """What :func:`classify_zone` wrote."""

    run_id: str
    classified_at: dt.datetime
    enterprises: int
    """Enterprises classified."""
    classified: int
    """Enterprises with at least one chain node (after overrides)."""
    rows: int
    """Rows written to ``enterprise_chain_nodes``."""
    overrides: int
    """Manual overrides applied."""
    ignored: tuple[tuple[Override, str], ...] = ()
    """Stored overrides not applied, each with why (the firm is not in the registry, the chain or node
    is no longer defined, an invalid USCC stored before codes were checked)."""


def stored_overrides(wh: Warehouse) -> list[Override]:
    """The manual corrections in ``chain_overrides``, oldest first (the order they are applied in)."""
    t = wh.table("chain_overrides")
    rows = wh.to_arrow(t.order_by(["created_at", "uscc", "chain_id", "node_id"])).to_pylist()
    return [
        Override(
            r["uscc"],
            r["chain_id"],
            r["node_id"] or None,
            "remove" if r["action"] == "remove" else "add",
            r["note"] or "",
        )
        for r in rows
    ]


def set_override(
    wh: Warehouse,
    override: Override,
    *,
    author: str = "",
    chains: ChainSet | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Record (or replace) a manual correction; it is applied by every later :func:`classify_zone`.

    One row per (uscc, chain, node): a new correction of the same target replaces the old one. The
    USCC must be valid (:class:`~zonebrain.core.errors.USCCError` says which rule fails) and the
    chain and node defined; a firm not (yet) in the registry is stored and ignored until it is.
    """
    chains = chains or load_chains()
    override = dataclasses.replace(override, uscc=USCC.parse(override.uscc).code)
    if override.chain not in chains:
        raise InputError(f"未知产业链 '{override.chain}' / unknown chain; 可用 / known: {chains.ids}")
    if override.node:
        chains.node(override.chain, override.node)
    node = override.node or ALL_NODES
    stamp = (now or utcnow()).replace(tzinfo=None)
    t = wh.table("chain_overrides")
    current = wh.to_arrow(t)
    keep = [
        r
        for r in current.to_pylist()
        if not (r["uscc"] == override.uscc and r["chain_id"] == override.chain and r["node_id"] == node)
    ]
    keep.append(
        {
            "uscc": override.uscc,
            "chain_id": override.chain,
            "node_id": node,
            "action": override.action,
            "note": override.note,
            "author": author,
            "created_at": stamp,
        }
    )
    with wh.transaction():
        wh.replace("chain_overrides", pa.Table.from_pylist(keep, schema=OVERRIDE_SCHEMA))


def classify_zone(
    wh: Warehouse,
    *,
    classifier: Classifier | None = None,
    chains: ChainSet | None = None,
    run_id: str | None = None,
    now: dt.datetime | None = None,
) -> MembershipRun:
    """Classify every enterprise of the zone and replace ``enterprise_chain_nodes`` (one transaction).

    ``method`` is ``classifier`` or ``override``; inactive firms are classified too (the portrait
    filters by status), so a firm that moves out keeps its history.
    """
    if classifier is None:
        classifier = Classifier(chains or load_chains())
    chain_set = classifier.chains
    ent = wh.to_arrow(
        wh.table("enterprises").select("uscc", "business_scope", "industry_code").order_by("uscc")
    )
    ids = [str(u) for u in ent["uscc"].to_pylist()]
    texts = [s or "" for s in ent["business_scope"].to_pylist()]
    codes = [c or None for c in ent["industry_code"].to_pylist()]
    labels = classifier.classify(texts, codes=codes) if ids else []
    overrides, ignored = _usable(stored_overrides(wh), set(ids), chain_set)
    labels = apply_overrides(ids, labels, overrides, chain_set)
    run = run_id or uuid.uuid4().hex[:16]
    stamp = (now or utcnow()).replace(tzinfo=None, microsecond=0)
    out: dict[str, list[object]] = {name: [] for name in MEMBERSHIP_SCHEMA.names}
    seen: set[tuple[str, str, str]] = set()
    for uscc, found in zip(ids, labels, strict=True):
        for lab in found:
            key = (uscc, lab.chain, lab.node)
            if key in seen:
                continue
            seen.add(key)
            manual = lab.reason.startswith("人工调整")
            out["uscc"].append(uscc)
            out["chain_id"].append(lab.chain)
            out["node_id"].append(lab.node)
            out["confidence"].append(float(lab.confidence))
            out["method"].append("override" if manual else "classifier")
            out["reason"].append(lab.reason)
            out["run_id"].append(run)
            out["classified_at"].append(stamp)
    table = pa.table(out, schema=MEMBERSHIP_SCHEMA)
    with wh.transaction():
        wh.replace("enterprise_chain_nodes", table)
    return MembershipRun(
        run_id=run,
        classified_at=stamp,
        enterprises=len(ids),
        classified=len({k[0] for k in seen}),
        rows=table.num_rows,
        overrides=len(overrides),
        ignored=tuple(ignored),
    )


def _usable(
    overrides: list[Override], firms: set[str], chains: ChainSet
) -> tuple[list[Override], list[tuple[Override, str]]]:
    """The overrides that can apply, and the others with the reason they cannot."""
    usable, ignored = [], []
    for ov in overrides:
        if not _valid_uscc(ov.uscc):
            ignored.append((ov, "统一社会信用代码无效 / invalid USCC"))
        elif ov.chain not in chains:
            ignored.append((ov, f"产业链 '{ov.chain}' 已无定义 / chain no longer defined"))
        elif ov.node and ov.node not in chains[ov.chain].node_ids:
            ignored.append((ov, f"节点 '{ov.node}' 已无定义 / node no longer defined"))
        elif ov.uscc.strip() not in firms:
            ignored.append((ov, "企业不在园区企业库 / firm not in the registry"))
        else:
            usable.append(ov)
    return usable, ignored


def _valid_uscc(text: str) -> bool:
    try:
        USCC.parse(text)
    except InputError:
        return False
    return True
