"""Per-enterprise caps and budget pools: exact fen, totals equal the pool, traces say what changed."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.policy._data import build
from zonebrain.policy import LIBRARY, evaluate, load_library
from zonebrain.policy._limits import cap_per_enterprise, pro_rata, ranking
from zonebrain.storage import Warehouse

amounts = st.lists(st.integers(0, 10**11), min_size=1, max_size=30)


@given(amounts, st.integers(0, 10**12))
def test_pro_rata_hits_the_pool_exactly(req: list[int], pool: int) -> None:
    a = np.array(req, dtype=np.int64)
    got = pro_rata(a, np.arange(a.size, dtype=np.int64), pool)
    total = sum(req)
    if total <= pool:
        assert got.tolist() == req
        return
    assert int(got.sum()) == pool
    for r, g in zip(req, got.tolist(), strict=True):
        exact = Fraction(r * pool, total)
        assert exact - 1 < g < exact + 1 and g <= r


@given(amounts, st.integers(0, 10**12))
def test_ranking_pays_in_order(req: list[int], pool: int) -> None:
    a = np.array(req, dtype=np.int64)
    got = ranking(a, np.arange(a.size, dtype=np.int64), pool).tolist()
    assert sum(got) == min(pool, sum(req))
    short = [i for i, (r, g) in enumerate(zip(req, got, strict=True)) if g < r]
    assert all(got[j] == 0 for j in short[1:])  # only the crossing award is partly paid


def test_cap_fills_the_highest_first() -> None:
    owner = np.array(["A", "A", "A", "B"])
    got = cap_per_enterprise(owner, np.array([30, 50, 40, 90], dtype=np.int64), np.array([2, 0, 1, 3]), 80)
    assert got.tolist() == [0, 50, 30, 80]


def test_family_cap_and_budget_in_a_run(wh: Warehouse, tmp_path: Path) -> None:
    for f in LIBRARY.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    fam = tmp_path / "zz-gxq-2022.family.yaml"
    fam.write_text(
        fam.read_text(encoding="utf-8")
        + """
enterprise_cap: {ref: 第二条, amount: 60万, members: [zz-hitech-first-cert/*, zz-rd-input/*, zz-revenue-breakthrough/*]}
budget: {ref: 第二条, pool: 100万, rule: pro_rata, members: [zz-hitech-first-cert/*, zz-rd-input/*, zz-revenue-breakthrough/*]}
""",
        encoding="utf-8",
    )
    build(wh)
    plain = {
        (r["uscc"], r["policy_id"], r["clause_id"]): r for r in evaluate(wh, load_library(), 2024).to_pylist()
    }
    got = evaluate(wh, load_library(tmp_path), 2024).to_pylist()
    rows = {(r["uscc"], r["policy_id"], r["clause_id"]): r for r in got}
    # P1 is owed 20万 (high-tech) + 50万 (revenue) = 70万 > the 60万 cap: the 20万 award is cut to 10万 first
    p1 = rows["P1", "zz-hitech-first-cert", "award"]
    assert json.loads(p1["trace"])["enterprise_cap"] == {"ref": "第二条", "cap": 60_000_000, "requested": 20_000_000,
                                                         "granted": 10_000_000}  # fmt: skip
    paid = [r["amount_fen"] for r in got if r["status"] == "eligible"]
    assert sum(paid) == 100_000_000  # the pool binds: the total is the pool, to the fen
    asked = sum(r["amount_fen"] for r in plain.values() if r["status"] == "eligible")
    assert asked > 100_000_000
    assert all("budget" in json.loads(r["trace"]) for r in got if r["status"] == "eligible")


def test_a_pool_in_a_file_names_its_clause_and_a_scenario_pool_cites_none(tmp_path: Path) -> None:
    import pytest

    from zonebrain.policy import PolicyFileError, set_budget

    for f in LIBRARY.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    fam = tmp_path / "zz-gxq-2022.family.yaml"
    text = fam.read_text(encoding="utf-8")
    fam.write_text(
        text + "budget: {pool: 100万, rule: pro_rata, members: [zz-rd-input/*]}\n", encoding="utf-8"
    )
    with pytest.raises(PolicyFileError, match="预算池须注明条款") as err:
        load_library(tmp_path)
    assert "zz-gxq-2022.family.yaml" in str(err.value)

    added = set_budget(load_library(), "zz-gxq-2022", "100万")  # the document has no pool: none cited
    assert added.families["zz-gxq-2022"].budget.ref is None  # type: ignore[union-attr]
    cited = set_budget(added, "zz-gxq-2022", "100万", ref="第五条")
    assert cited.families["zz-gxq-2022"].budget.ref_text() == "第五条"  # type: ignore[union-attr]
    kept = set_budget(cited, "zz-gxq-2022", "80万")  # a change of size keeps the clause
    assert kept.families["zz-gxq-2022"].budget.ref_text() == "第五条"  # type: ignore[union-attr]
