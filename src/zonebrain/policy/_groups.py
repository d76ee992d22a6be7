"""从高从优、不重复享受 (groups), per-enterprise caps and budget pools, applied to a run's rows.

The engine computes every row; only the eligible rows of the clauses a group, cap or pool names
are fetched (:func:`adjustments`), changed in exact integer numpy (:func:`apply_groups`, then
``_limits.apply_limits``) and joined back into the query by ``_evaluate.evaluate_all``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.policy._format import Group
from zonebrain.policy._library import Library
from zonebrain.policy._limits import apply_limits, members
from zonebrain.policy._trace import cat, flat, lit
from zonebrain.storage import Warehouse


def _members(group: Group, lib: Library) -> list[tuple[str, str]]:
    return [(n.partition("/")[0], n.partition("/")[2]) for n in members(group.members, lib)]


def _active_groups(lib: Library) -> list[tuple[Group, list[tuple[str, str]]]]:
    """The groups that apply (their interpretation holds) with at least two members, and the
    members, in order: what :func:`apply_groups` applies."""
    out = []
    for f in lib.families.values():
        for g in f.groups:
            found = _members(g, lib) if _applies(g, lib) else []
            if len(found) >= 2:
                out.append((g, found))
    return out


def _applies(group: Group, lib: Library) -> bool:
    for m in group.members:
        p = lib.policies.get(m.partition("/")[0])
        if p is None:
            continue
        for key, want in group.applies_if.items():
            if key in p.interpretations and p.interpretations[key] != want:
                return False
    return True


def apply_groups(
    results: pa.Table, lib: Library, blocks: Sequence[tuple[str, int]]
) -> tuple[pa.Table, pa.Array]:
    """从高从优、不重复享受 (groups), then per-enterprise caps and budget pools (see ``_limits``).

    In each group keep each enterprise's highest eligible award.

    Ties go to the member listed first. The dropped rows become ``superseded`` (amount null) and
    their trace names the kept award; the kept row's trace names the awards it replaced. A one-time
    award already paid whose conditions hold this period (column ``paid_fen``, optional: its amount)
    is the group's award for the period whatever the others' amounts: it keeps its status (not
    eligible: already paid) and every other member is superseded by it, so paying it never lets the
    award it beat be paid too.
    *blocks* are the ``policy/clause`` names of the consecutive row blocks and their sizes (each
    clause's rows come together). Returns the columns with the new statuses and amounts, and per
    row the notes for its trace (null: none). Only the rows of a group's members that are eligible
    are visited one by one; the whole-table steps are integer numpy.
    """
    n = results.num_rows
    sizes = [size for _, size in blocks]
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
    block_names = np.array([name for name, _ in blocks] or [""], dtype=object)

    def per_block(column: str) -> list[pa.Array]:  # each clause's rows (one chunk each: not copied)
        return [flat(results[column].slice(offsets[i], size)) for i, size in enumerate(sizes)]

    usccs, statuses, amounts = per_block("uscc"), per_block("status"), per_block("amount_fen")
    has_paid = "paid_fen" in results.column_names
    ranked = per_block("paid_fen") if has_paid else amounts
    eligible = np.zeros(n, dtype=bool)
    prepaid = np.zeros(n, dtype=bool)
    for i, st in enumerate(statuses):
        eligible[offsets[i] : offsets[i + 1]] = np.asarray(pc.fill_null(pc.equal(st, "eligible"), False))
        if has_paid:
            prepaid[offsets[i] : offsets[i + 1]] = np.asarray(pc.is_valid(ranked[i]))
            ranked[i] = pc.coalesce(amounts[i], ranked[i])
    competing = eligible | prepaid
    dropped = np.zeros(n, dtype=bool)
    notes: list[tuple[np.ndarray, pa.Array]] = []
    for g, listed in _active_groups(lib):
        order = {f"{p}/{c}": i for i, (p, c) in enumerate(listed)}
        parts = [(i, order[name]) for i, (name, _) in enumerate(blocks) if name in order]
        at = [np.flatnonzero(competing[offsets[i] : offsets[i + 1]]) for i, _ in parts]
        if not sum(len(a) for a in at):
            continue
        idx = np.concatenate([offsets[i] + a for (i, _), a in zip(parts, at, strict=True)])
        blk = np.concatenate([np.full(len(a), i, np.int64) for (i, _), a in zip(parts, at, strict=True)])
        rk = np.concatenate([np.full(len(a), r, np.int64) for (_, r), a in zip(parts, at, strict=True)])
        us = pa.concat_arrays([usccs[i].take(pa.array(a)) for (i, _), a in zip(parts, at, strict=True)])
        am = np.concatenate(
            [
                np.asarray(ranked[i].take(pa.array(a)), dtype=np.int64)
                for (i, _), a in zip(parts, at, strict=True)
            ]
        )
        code = np.asarray(pc.dictionary_encode(us).indices, dtype=np.int64)  # one integer per enterprise
        sort = np.lexsort((rk, -am, -prepaid[idx].astype(np.int64), code))  # a paid award first
        first = np.ones(sort.size, dtype=bool)
        first[1:] = code[sort][1:] != code[sort][:-1]
        winner_of = np.maximum.accumulate(np.where(first, np.arange(sort.size), 0))
        keep_rows, drop_rows = idx[sort][first], idx[sort][~first]
        kept_name = pa.array(block_names[blk[sort][winner_of][~first]].astype(str), pa.string())
        us_sorted = us.take(pa.array(sort))
        drops = pa.table(
            {
                "u": us_sorted.filter(pa.array(~first)),
                "name": pa.array(block_names[blk[sort][~first]].astype(str), pa.string()),
            }
        )
        drops = drops.sort_by([("u", "ascending"), ("name", "ascending")])
        lists = drops.group_by("u", use_threads=False).aggregate([("name", "list")])
        lists = pa.table({"u": lists["u"], "names": pc.binary_join(lists["name_list"], ",")})
        winners = pa.table({"u": us_sorted.filter(pa.array(first)), "i": keep_rows})
        joined = winners.join(lists, "u", join_type="inner", use_threads=False)
        head = cat(',"group":', lit(g.id), ',"group_ref":', lit(g.ref.text()))
        notes.append((drop_rows, cat(head, ',"superseded_by":"', kept_name, '"')))
        notes.append(
            (np.asarray(joined["i"], dtype=np.int64), cat(head, ',"kept_over":"', joined["names"], '"'))
        )
        dropped[drop_rows] = True
        competing[drop_rows] = False
    dropped &= ~prepaid  # a paid award keeps its status (not eligible: already paid)
    for i in range(len(sizes)):  # only the clauses with superseded rows are rewritten
        mine = dropped[offsets[i] : offsets[i + 1]]
        if mine.any():
            mask = pa.array(mine)
            statuses[i] = pc.if_else(mask, "superseded", statuses[i])
            amounts[i] = pc.if_else(mask, pa.scalar(None, pa.int64()), amounts[i])
    status: pa.Array | pa.ChunkedArray = pa.chunked_array(statuses, pa.string())
    amount: pa.Array | pa.ChunkedArray = pa.chunked_array(amounts, pa.int64())
    if any(f.enterprise_cap is not None or f.budget is not None for f in lib.families.values()):
        names = pa.chunked_array(
            [pa.repeat(pa.scalar(name, pa.string()), size) for name, size in blocks], pa.string()
        )
        amount, limit_notes = apply_limits(
            lib, results["uscc"].combine_chunks(), flat(names), flat(status), flat(amount)
        )
        notes += limit_notes
    return results.set_column(3, "status", status).set_column(4, "amount_fen", amount), _gather(n, notes)


def _gather(n: int, notes: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Per row, its notes' texts concatenated in the order they were made (null: none)."""
    out = pa.nulls(n, pa.string())
    if not notes or not sum(len(rows) for rows, _ in notes):
        return out
    rows = np.concatenate([r for r, _ in notes]).astype(np.int64)
    text = pa.concat_arrays([flat(t).cast(pa.string()) for _, t in notes])
    order = np.lexsort((np.arange(rows.size), rows))  # by row, then the order the notes were made
    rows, text = rows[order], text.take(pa.array(order))
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    slot = np.cumsum(first) - 1  # each note's row among the rows with notes
    nth = np.arange(rows.size) - np.flatnonzero(first)[slot]  # 0 for a row's first note, 1 …
    joined = text.filter(pa.array(first))
    for k in range(1, int(nth.max()) + 1):
        at = np.flatnonzero(nth == k)
        mask = np.zeros(len(joined), dtype=bool)
        mask[slot[at]] = True
        longer = cat(joined.take(pa.array(slot[at])), text.take(pa.array(at)))
        joined = pc.replace_with_mask(joined, pa.array(mask), longer)
    mask = np.zeros(n, dtype=bool)
    mask[rows[first]] = True
    return pc.replace_with_mask(out, pa.array(mask), joined)


def limited(lib: Library) -> list[str]:
    """``policy/clause`` names a group, a per-enterprise cap or a budget pool may change."""
    names = [f"{p}/{c}" for _, found in _active_groups(lib) for p, c in found]
    for f in lib.families.values():
        for spec in (f.enterprise_cap, f.budget):
            if spec is not None:
                names += members(spec.members, lib)
    return sorted(set(names))


_ADJUST_SCHEMA = pa.schema(
    [("a_o", pa.int32()), ("a_firm", pa.int32()), ("a_status", pa.string()),
     ("a_amount", pa.string()), ("a_notes", pa.string())]
)  # fmt: skip
"""The changed rows, shipped to the engine as a small table: the amount as text, exact on every
engine (a nullable integer column would reach Spark through a pandas float)."""


def adjustments(
    wh: Warehouse, lib: Library, rows: ir.Table, names: list[str], changeable: set[str]
) -> pa.Table | None:
    """The rows groups, caps and pools change (new status, amount and trace notes), or None.
    *changeable* is :func:`limited` of *lib* (the caller needs it too).

    Only the eligible rows of the clauses they name are fetched: :func:`apply_groups` reads no
    other row, and every other row keeps the status and amount the query gave it.
    """
    ords = [i for i, n in enumerate(names) if n in changeable]
    if not ords:
        return None
    cols = ["uscc", "policy_id", "clause_id", "status", "amount_fen", "paid_fen"]
    sub = wh.to_arrow(
        rows.filter(((rows.status == "eligible") | rows.paid_fen.notnull()) & rows["_o"].isin(ords))
        .select("_o", "firm_no", *cols)
        .order_by(["_o", "uscc"])
    )
    if sub.num_rows == 0:
        return None
    o = np.asarray(sub["_o"].to_numpy(), dtype=np.int64)
    cut = np.flatnonzero(np.diff(o)) + 1
    starts = np.concatenate([[0], cut]).astype(np.int64)
    sizes = np.diff(np.concatenate([starts, [o.size]])).astype(np.int64)
    blocks = [(names[int(o[a])], int(n)) for a, n in zip(starts, sizes, strict=True)]
    after, notes = apply_groups(sub.select(cols), lib, blocks)
    changed = pc.or_(
        pc.or_(
            pc.not_equal(after["status"], sub["status"]),
            pc.fill_null(
                pc.not_equal(after["amount_fen"], sub["amount_fen"]), pc.is_valid(sub["amount_fen"])
            ),
        ),
        pc.is_valid(notes),
    )
    mask = pa.array(np.asarray(pc.fill_null(changed, False)), pa.bool_())
    if not pc.any(mask).as_py():
        return None
    return pa.table(
        [sub["_o"].filter(mask).cast(pa.int32()), sub["firm_no"].filter(mask).cast(pa.int32()),
         after["status"].filter(mask),
         after["amount_fen"].filter(mask).cast(pa.string()), notes.filter(mask)],
        schema=_ADJUST_SCHEMA,
    ).combine_chunks()  # fmt: skip
