"""The self-check checks its year once and gives the provisional warning back with its results
(``self_check_provisional``), by USCC and by form; a refused year is a ``PeriodRefused``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from tests.policy._data import build
from zonebrain import policy as pol
from zonebrain.core.errors import InputError
from zonebrain.policy import _cases
from zonebrain.storage import open_warehouse

TODAY = dt.date(2026, 11, 30)
"""A day of a year not over yet (Beijing)."""


def _form(period: int) -> pol.Form:
    firm = {"enterprise": {"division_code": "410172160"}, "years": {period: {"revenue_fen": "8000万"}}}
    return pol.Form.model_validate({"period": period, "firm": firm})


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each period the self-check checks, through its own module's reference."""
    seen: list[int] = []
    real = _cases.self_check_period

    def counting(lib: pol.Library, period: int, today: dt.date | None = None) -> str | None:
        seen.append(period)
        return real(lib, period, today)

    monkeypatch.setattr(_cases, "self_check_period", counting)
    return seen


def test_a_form_for_the_current_year_carries_the_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    lib = pol.load_library()
    seen = _counted(monkeypatch)
    results = pol.self_check(None, lib, 0, form=_form(2026), today=TODAY)
    assert seen == [2026]  # checked once, and the caller needs no second check for the warning
    warning = pol.self_check_provisional(results)
    assert warning == pol.provisional_text(TODAY, 2026) == pol.self_check_period(lib, 2026, TODAY)
    assert warning.startswith("2026 年度在基准日 2026-11-30 尚未结束") and "(the period 2026" in warning
    assert results.num_rows  # still the plain result table
    assert pol.self_check_provisional(results.sort_by("status").select(["policy_id"])) == warning
    over = pol.self_check(None, lib, 0, form=_form(2025), today=TODAY)
    assert pol.self_check_provisional(over) is None and over.num_rows


def test_by_uscc_the_warning_comes_back_too(tmp_path: Path) -> None:
    lib = pol.load_library()
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        build(wh)
        now = pol.self_check(wh, lib, 2026, uscc="P2", today=TODAY)
        past = pol.self_check(wh, lib, 2024, uscc="P2", today=TODAY)
        nobody = pol.self_check(wh, lib, 2026, uscc="NOSUCH", today=TODAY)
    assert pol.self_check_provisional(now) == pol.provisional_text(TODAY, 2026)
    assert pol.self_check_provisional(past) is None and past.num_rows
    assert nobody.num_rows == 0 and pol.self_check_provisional(nobody) == pol.provisional_text(TODAY, 2026)


@pytest.mark.parametrize(("period", "said"), [(2027, "2027 年度尚未开始"), (2019, "政策自 2022 年度起适用")])
def test_a_refused_year_is_a_period_refused(period: int, said: str) -> None:
    lib = pol.load_library()
    with pytest.raises(pol.PeriodRefused, match=f"^{said}") as got:
        pol.self_check(None, lib, 0, form=_form(period), today=TODAY)
    assert isinstance(got.value, InputError)  # still bad input: the CLI exits 2, the web answers 400
    with pytest.raises(pol.PeriodRefused, match=f"^{said}"):
        pol.self_check_period(lib, period, TODAY)


def test_other_tables_have_no_warning() -> None:
    assert pol.self_check_provisional(pa.table({"x": [1]})) is None
