"""The trace scenarios whose full JSON texts are frozen in ``data/traces.json``.

The file was generated with the code from before traces were stored compactly (one full JSON text
per row); ``test_trace_store`` checks that today's code returns byte-identical texts, both from
``evaluate`` and after a write and ``load_results``. Regenerate only on purpose:
``.venv/bin/python -m tests.policy._frozen`` (then review the diff).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.policy import _data, _whatif_data
from zonebrain.policy import Library, PaidList, load_library
from zonebrain.policy._edit import set_budget
from zonebrain.storage import Warehouse, open_warehouse

FROZEN = Path(__file__).parent / "data" / "traces.json"
PERIOD = 2024
LIMITS = """
enterprise_cap: {ref: 第二条, amount: 60万, members: [zz-hitech-first-cert/*, zz-rd-input/*, zz-revenue-breakthrough/*]}
budget: {ref: 第二条, pool: 100万, rule: pro_rata, members: [zz-hitech-first-cert/*, zz-rd-input/*, zz-revenue-breakthrough/*]}
"""


def limits_library(folder: Path) -> Library:
    """The built-in library with a family cap and budget pool (as in ``test_limits``)."""
    from zonebrain.policy._library import LIBRARY

    for f in LIBRARY.glob("*.yaml"):
        shutil.copy(f, folder / f.name)
    fam = folder / "zz-gxq-2022.family.yaml"
    fam.write_text(fam.read_text(encoding="utf-8") + LIMITS, encoding="utf-8")
    return load_library(folder)


Scenario = tuple[str, Callable[[Warehouse], None], Callable[[Path], Library], dict[str, Any]]


def scenarios() -> list[Scenario]:
    """(name, build the zone, the library, keyword arguments of ``evaluate``)."""
    paid = PaidList([("P0", "zz-hitech-first-cert", "award"), ("P1", "zz-hitech-first-cert", "award")])
    return [
        ("small", _data.build, lambda _: load_library(), {}),
        ("small_paid", _data.build, lambda _: load_library(), {"history": paid}),
        ("small_limits", _data.build, limits_library, {}),
        ("whatif", _whatif_data.build, lambda _: load_library(), {}),
        (
            "whatif_rate",
            _whatif_data.build,
            lambda _: load_library(),
            {"overrides": {"zz-rd-input.rate": "3%"}},
        ),
        (
            "whatif_budget",
            _whatif_data.build,
            lambda _: set_budget(
                load_library(), "zz-gxq-2022", "33万", members=["zz-rd-input/*"], ref="第二条"
            ),
            {},
        ),
        (
            "whatif_budget_paid",
            _whatif_data.build,
            lambda _: set_budget(load_library(), "zz-gxq-2022", "30万", ref="第二条"),
            {"history": PaidList([("B2", "zz-revenue-breakthrough", "reach-10m")])},
        ),
    ]


def rows(table: Any) -> list[list[str]]:
    """[uscc, policy_id, clause_id, trace] per row, in the table's order."""
    cols = [table[c].to_pylist() for c in ("uscc", "policy_id", "clause_id", "trace")]
    return [list(r) for r in zip(*cols, strict=True)]


def generate() -> Iterator[tuple[str, list[list[str]]]]:
    from zonebrain.policy import evaluate

    for name, build, library, kwargs in scenarios():
        with tempfile.TemporaryDirectory() as tmp:
            wh = open_warehouse(Path(tmp) / "wh.duckdb")
            wh.migrate()
            build(wh)
            yield name, rows(evaluate(wh, library(Path(tmp)), PERIOD, **kwargs))
            wh.close()


if __name__ == "__main__":
    FROZEN.parent.mkdir(exist_ok=True)
    data = dict(generate())
    FROZEN.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(FROZEN, {k: len(v) for k, v in data.items()})
