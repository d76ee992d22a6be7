"""Reading a recorded run: names, clause references and ledger periods; a policy gone from the library."""

from __future__ import annotations

import pytest

from tests.disbursement._data import A, C
from tests.disbursement.conftest import Zone
from zonebrain import policy
from zonebrain.core.errors import InputError
from zonebrain.disbursement import load_run


def test_run_rows_carry_what_a_batch_needs(zone: Zone) -> None:
    run = load_run(zone.wh, zone.run_id)
    assert run.period == 2024 and str(run.as_of) == "2025-03-31"
    rows = {(r["uscc"], r["policy_id"], r["clause_id"]): r for r in run.rows.to_pylist()}
    hitech = rows[A, "zz-hitech-first-cert", "award"]
    assert hitech["policy_name"] == "郑州市高新技术企业首次认定奖励" and hitech["clause_ref"] == "第一条"
    assert hitech["ledger_period"] == "once" and hitech["amount_fen"] == 30_000_000
    assert rows[C, "zz-revenue-breakthrough", "reach-10m"]["clause_ref"] == "第一条第一款"
    assert {r["status"] for r in run.undetermined().to_pylist()} == {"undetermined"}


def test_a_policy_no_longer_in_the_library_keeps_its_trace_reference(zone: Zone) -> None:
    lib = policy.load_library().select(["zz-rd-input"])
    run = load_run(zone.wh, zone.run_id, lib)
    hitech = next(r for r in run.rows.to_pylist() if r["policy_id"] == "zz-hitech-first-cert")
    assert hitech["policy_name"] == "zz-hitech-first-cert" and hitech["clause_ref"] == "第一条"
    assert hitech["ledger_period"] == "2024"


def test_an_unknown_run_is_an_input_error(zone: Zone) -> None:
    with pytest.raises(InputError, match="no-such-run"):
        load_run(zone.wh, "no-such-run")
