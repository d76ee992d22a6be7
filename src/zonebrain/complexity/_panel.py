"""Turn a tidy location × activity (× year) table into one sparse matrix per year, checking it."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from zonebrain.core.errors import InputError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Internal year key used when the table has no year column.
NO_YEAR: Hashable = "__single_period__"


class Table(NamedTuple):
    """How the messages name a table: in Chinese and in English."""

    zh: str
    en: str


INPUT = Table("输入表", "the input table")
POPULATION = Table("人口表", "the population table")
REFERENCE = Table("参照表", "the reference table")
TO_CLEAN = Table("待清洗的表", "the table to clean")


class ComplexityInputError(InputError):
    """The table given to :mod:`zonebrain.complexity` cannot be used as it is.

    The message is Chinese first, then the same in English in parentheses.
    ``year``, ``location``, ``activity`` and ``value`` name the first offending cell when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        year: object = None,
        location: object = None,
        activity: object = None,
        value: object = None,
    ) -> None:
        super().__init__(message)
        self.year = year
        self.location = location
        self.activity = activity
        self.value = value


@dataclass
class YearMatrix:
    """One year: values as a CSR matrix (locations × activities) with the labels of its rows and columns."""

    year: Hashable
    locations: NDArray[Any]
    activities: NDArray[Any]
    values: sp.csr_array
    population: FloatArray | None = None
    reference: FloatArray | None = None
    reference_total: float | None = None
    dropped: list[tuple[str, object, str]] = field(default_factory=list)


def show(label: object) -> str:
    """``repr`` of a label as the user wrote it (numpy scalars shown as plain Python values)."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def plain(label: object) -> object:
    """A numpy scalar as the plain Python value (for error attributes)."""
    return label.item() if isinstance(label, np.generic) else label


def where_year(has_year: bool, year: object) -> tuple[str, str]:
    """The prefix naming *year* in a message, Chinese and English ("" without a year column)."""
    return (f"年份 {show(year)}：", f"year {show(year)}: ") if has_year else ("", "")


def _codes(column: pd.Series) -> tuple[IntArray, NDArray[Any]]:
    """Sorted integer codes and labels of a key column (fast path for categoricals)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cats = column.cat.categories
        order = np.argsort(np.asarray(cats), kind="stable")
        remap = np.empty(len(cats), dtype=np.intp)
        remap[order] = np.arange(len(cats))
        raw = column.cat.codes.to_numpy()
        return remap[raw].astype(np.intp, copy=False), np.asarray(cats)[order]
    codes, uniques = pd.factorize(column, sort=True)
    return codes.astype(np.intp, copy=False), np.asarray(uniques)


def require_columns(frame: pd.DataFrame, columns: list[str], what: Table) -> None:
    """Raise naming the columns of *columns* that *frame* lacks, and the columns it has."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = list(frame.columns)
        raise ComplexityInputError(
            f"{what.zh}缺少列 {'、'.join(map(repr, missing))}；现有的列为 {have!r}，"
            "请传入正确的列名（--location/--activity/--value/--year）"
            f" ({what.en} has no column {', '.join(map(repr, missing))}; its columns are {have!r}. "
            "Pass the right names: --location/--activity/--value/--year)"
        )


def _numeric_values(frame: pd.DataFrame, value: str, keys: list[str], what: Table) -> FloatArray:
    col = frame[value]
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        converted = pd.to_numeric(col, errors="coerce")
        bad = converted.isna() & col.notna()
        if bool(bad.any()):
            i = int(np.flatnonzero(bad.to_numpy())[0])
            where = ", ".join(f"{k}={show(frame[k].iloc[i])}" for k in keys)
            n = int(bad.sum())
            raise ComplexityInputError(
                f"{what.zh}的数值列 {value!r} 含非数字的值 {col.iloc[i]!r}，位于 {where}（共 {n} 行）；"
                "请先把该列转换为数字"
                f" ({what.en}: column {value!r} is not numeric: value {col.iloc[i]!r} at {where}, "
                f"{n} such row(s). Convert the column to numbers first.)",
                value=col.iloc[i],
            )
        col = converted
    return np.asarray(col.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _first_bad(mask: NDArray[np.bool_], frame: pd.DataFrame, keys: list[str]) -> tuple[int, str]:
    i = int(np.flatnonzero(mask)[0])
    where = ", ".join(f"{k}={show(frame[k].iloc[i])}" for k in keys)
    return i, where


def check_values(
    frame: pd.DataFrame, value: str, keys: list[str], what: Table, *, allow_zero: bool = True
) -> FloatArray:
    """Numeric, finite, non-negative values (positive unless *allow_zero*); raise naming the first
    offender otherwise."""
    vals = _numeric_values(frame, value, keys, what)
    nan = np.isnan(vals)
    if nan.any():
        i, where = _first_bad(nan, frame, keys)
        n = int(nan.sum())
        raise ComplexityInputError(
            f"{what.zh}的列 {value!r} 有 {n} 个缺失值 NaN，第一个位于 {where}；"
            f"若缺失即为没有，请填 0（df[{value!r}] = df[{value!r}].fillna(0)），否则删除这些行"
            f" ({what.en}: {n} missing (NaN) value(s) in column {value!r}, first at {where}. "
            "If missing means none, fill with 0 using fillna(0); otherwise drop those rows.)",
            value=float("nan"),
        )
    inf = np.isinf(vals)
    if inf.any():
        i, where = _first_bad(inf, frame, keys)
        raise ComplexityInputError(
            f"{what.zh}的列 {value!r} 有无穷大的值 {float(vals[i])!r}，位于 {where}；请修正或删除该行"
            f" ({what.en}: infinite value {float(vals[i])!r} in column {value!r} at {where}; "
            "fix or drop the row.)",
            value=float(vals[i]),
        )
    neg = vals < 0 if allow_zero else vals <= 0
    if neg.any():
        i, where = _first_bad(neg, frame, keys)
        n, v = int(neg.sum()), float(vals[i])
        if allow_zero:
            zh = (
                f"{what.zh}的列 {value!r} 有 {n} 个负值，第一个为 {v!r}，位于 {where}；数值须为 ≥ 0 的数量"
                "（出口额、产值、就业人数等），不能为负，净流量或转口须先清洗"
            )
            en = (
                f"{what.en}: {n} negative value(s) in column {value!r}, first {v!r} at {where}. "
                "Values must be amounts ≥ 0 such as exports, output or employment; net or re-exported "
                "flows must be cleaned before computing complexity."
            )
        else:
            zh = f"{what.zh}的列 {value!r} 有 {n} 个非正值（≤ 0），第一个为 {v!r}，位于 {where}；数值须为正数"
            en = (
                f"{what.en}: {n} non-positive value(s) in column {value!r}, first {v!r} at {where}. "
                "Values must be positive."
            )
        raise ComplexityInputError(f"{zh} ({en})", value=v)
    return vals


def _check_keys(frame: pd.DataFrame, keys: list[str], what: Table) -> None:
    for k in keys:
        nulls = frame[k].isna()
        if bool(nulls.any()):
            i = int(np.flatnonzero(nulls.to_numpy())[0])
            n = int(nulls.sum())
            raise ComplexityInputError(
                f"{what.zh}有 {n} 行缺少 {k!r}（第一处在第 {i} 行，从 0 数起）；每行都须有键，请删除或补全这些行"
                f" ({what.en}: {n} row(s) have no {k!r}, the first at row {i} counting from 0; "
                "every row needs a key. Drop or fill those rows.)"
            )


def _check_duplicates(
    codes: list[IntArray], sizes: list[int], frame: pd.DataFrame, keys: list[str], what: Table, value: str
) -> None:
    flat = np.zeros(len(codes[0]), dtype=np.int64)
    for c, n in zip(codes, sizes, strict=True):
        flat = flat * np.int64(max(n, 1)) + c.astype(np.int64)
    order = np.argsort(flat, kind="stable")
    dup = np.zeros(len(flat), dtype=bool)
    if len(flat) > 1:
        dup[order[1:]] = flat[order[1:]] == flat[order[:-1]]
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        where = ", ".join(f"{k}={show(frame[k].iloc[i])}" for k in keys)
        n = int(dup.sum())
        fix = f"df.groupby({keys!r}, as_index=False)[{value!r}].sum()"
        raise ComplexityInputError(
            f"{what.zh}有 {n} 行重复的键，第一处在 {where}；每个 {'、'.join(keys)} 组合只能出现一次，"
            f"请先汇总，例如 {fix}"
            f" ({what.en}: {n} duplicate key row(s), first at {where}. Each combination of {', '.join(keys)} "
            f"must appear once; aggregate first, e.g. {fix}.)"
        )


def read_panel(
    panel: pd.DataFrame,
    *,
    location: str,
    activity: str,
    value: str,
    year: str | None,
    manual: bool,
) -> tuple[list[YearMatrix], NDArray[Any], NDArray[Any]]:
    """Validate ``panel`` and split it into one :class:`YearMatrix` per year (sorted by year).

    Locations and activities whose total is 0 in a year are left out of that year and listed
    in ``YearMatrix.dropped``.
    """
    if not isinstance(panel, pd.DataFrame):
        kind = type(panel).__name__
        raise ComplexityInputError(
            f"输入须为 pandas DataFrame，收到的是 {kind} (expected a pandas DataFrame, got {kind})"
        )
    keys = [location, activity] if year is None else [year, location, activity]
    require_columns(panel, [*keys, value], INPUT)
    if len(panel) == 0:
        raise ComplexityInputError(
            "输入表没有数据行，无可计算 (the input table has no rows; there is nothing to compute.)"
        )
    _check_keys(panel, keys, INPUT)
    vals = check_values(panel, value, keys, INPUT)
    if manual:
        nonbinary = (vals != 0) & (vals != 1)
        if nonbinary.any():
            i, where = _first_bad(nonbinary, panel, keys)
            v = float(vals[i])
            raise ComplexityInputError(
                f"存在性判定 presence_test='manual' 要求列 {value!r} 的值为 0 或 1，但 {where} 处为 {v!r}；"
                "请直接传入存在性矩阵，或改用 presence_test='rca'"
                f" (presence_test='manual' needs 0/1 values in {value!r}, found {v!r} at {where}. "
                "Pass the presence matrix itself, or use presence_test='rca'.)",
                value=v,
            )

    loc_codes, loc_labels = _codes(panel[location])
    act_codes, act_labels = _codes(panel[activity])
    if year is None:
        year_codes = np.zeros(len(panel), dtype=np.intp)
        year_labels: NDArray[Any] = np.array([NO_YEAR], dtype=object)
    else:
        year_codes, year_labels = _codes(panel[year])

    n_loc, n_act = len(loc_labels), len(act_labels)
    # rows of one year: a slice when the table is already sorted by year (no copies), else an index
    already_sorted = bool(np.all(year_codes[:-1] <= year_codes[1:]))
    order: NDArray[np.intp] | None = None if already_sorted else np.argsort(year_codes, kind="stable")
    sorted_codes = year_codes if order is None else year_codes[order]
    bounds = np.searchsorted(sorted_codes, np.arange(len(year_labels) + 1))
    del sorted_codes
    out: list[YearMatrix] = []
    for y, ylabel in enumerate(year_labels):
        rows: slice | NDArray[np.intp] = (
            slice(int(bounds[y]), int(bounds[y + 1])) if order is None else order[bounds[y] : bounds[y + 1]]
        )
        n_rows = int(bounds[y + 1] - bounds[y])
        seen = sp.coo_array(
            (np.ones(n_rows, dtype=np.int32), (loc_codes[rows], act_codes[rows])), shape=(n_loc, n_act)
        ).tocsr()
        if seen.nnz != n_rows:
            _check_duplicates(
                [loc_codes[rows], act_codes[rows]],
                [n_loc, n_act],
                panel.iloc[rows],
                keys,
                INPUT,
                value,
            )
        del seen
        full = sp.coo_array((vals[rows], (loc_codes[rows], act_codes[rows])), shape=(n_loc, n_act)).tocsr()
        full.eliminate_zeros()
        full.sort_indices()
        loc_tot: FloatArray = np.asarray(full.sum(axis=1), dtype=np.float64).ravel()
        act_tot: FloatArray = np.asarray(full.sum(axis=0), dtype=np.float64).ravel()
        present_loc = np.bincount(loc_codes[rows], minlength=n_loc) > 0
        present_act = np.bincount(act_codes[rows], minlength=n_act) > 0
        keep_loc = loc_tot > 0
        keep_act = act_tot > 0
        if not keep_loc.any():
            zh_year, en_year = where_year(year is not None, ylabel)
            if year is None:
                zh, en = (
                    "数值全为 0，无可计算；请修正数据",
                    "every value is 0; there is nothing to compute. Fix the data.",
                )
            else:
                zh = f"{zh_year}数值全为 0，该年度无可计算；请删除该年度的行或修正数据"
                en = (
                    f"{en_year}every value is 0; there is nothing to compute for this year. "
                    "Drop the year's rows or fix the data."
                )
            raise ComplexityInputError(f"{zh} ({en})", year=None if year is None else plain(ylabel))
        dropped: list[tuple[str, object, str]] = []
        for li_ in np.flatnonzero(present_loc & ~keep_loc):
            dropped.append(("location", loc_labels[li_], "all_zero"))
        for aj_ in np.flatnonzero(present_act & ~keep_act):
            dropped.append(("activity", act_labels[aj_], "all_zero"))
        li = np.flatnonzero(keep_loc)
        aj = np.flatnonzero(keep_act)
        sub = full[li][:, aj] if (len(li) < n_loc or len(aj) < n_act) else full
        out.append(
            YearMatrix(
                year=ylabel,
                locations=loc_labels[li],
                activities=act_labels[aj],
                values=sp.csr_array(sub),
                dropped=dropped,
            )
        )
    return out, loc_labels, act_labels


def _lookup_table(
    table: pd.DataFrame | pd.Series,
    *,
    key: str,
    year: str | None,
    column: str,
    what: Table,
) -> tuple[pd.DataFrame, bool]:
    """Normalise a population / reference table to columns [key, (year), column]."""
    if isinstance(table, pd.Series):
        frame = pd.DataFrame({key: table.index.to_numpy(), column: table.to_numpy()})
        return frame, False
    if not isinstance(table, pd.DataFrame):
        kind = type(table).__name__
        raise ComplexityInputError(
            f"{what.zh}须为 pandas DataFrame 或 Series，收到的是 {kind} "
            f"({what.en} must be a pandas DataFrame or Series, got {kind})"
        )
    require_columns(table, [key, column], what)
    by_year = year is not None and year in table.columns
    cols = [key, year, column] if by_year and year is not None else [key, column]
    return table[cols], by_year


def attach_population(
    years: list[YearMatrix],
    population: pd.DataFrame | pd.Series,
    *,
    location: str,
    year: str | None,
    column: str = "population",
) -> None:
    """Give each year its population vector, aligned with its locations (raise when one is missing)."""
    frame, by_year = _lookup_table(population, key=location, year=year, column=column, what=POPULATION)
    keys = [location, year] if by_year and year is not None else [location]
    _check_keys(frame, keys, POPULATION)
    check_values(frame, column, keys, POPULATION, allow_zero=False)
    if bool(frame.duplicated(subset=keys).any()):
        first = frame[frame.duplicated(subset=keys)].iloc[0]
        where = ", ".join(f"{k}={show(first[k])}" for k in keys)
        raise ComplexityInputError(
            f"人口表有重复行：{where}；每个地区（每年）只能有一个人口数"
            f" (the population table has duplicate rows for {where}; give one population per location "
            "and year.)",
            location=plain(first[location]),
        )
    for ym in years:
        part = frame[frame[year] == ym.year] if by_year and year is not None else frame
        series = pd.Series(part[column].to_numpy(dtype=np.float64), index=part[location].to_numpy())
        aligned = series.reindex(ym.locations)
        missing = aligned.isna().to_numpy()
        if missing.any():
            first_loc = ym.locations[int(np.flatnonzero(missing)[0])]
            zh_year, en_year = where_year(year is not None, ym.year)
            n = int(missing.sum())
            raise ComplexityInputError(
                f"{zh_year}地区 {show(first_loc)} 没有人口数据（共 {n} 个地区缺少人口）；"
                "请补上，或在按 RPOP 计算前从表中删除这些地区的行"
                f" ({en_year}no population for location {show(first_loc)}, {n} location(s) without "
                "population. Supply it, or drop the location's rows from the table before computing RPOP.)",
                year=plain(ym.year) if year is not None else None,
                location=plain(first_loc),
            )
        ym.population = aligned.to_numpy(dtype=np.float64)


def attach_reference(
    years: list[YearMatrix],
    reference: pd.DataFrame | pd.Series,
    *,
    activity: str,
    value: str,
    year: str | None,
) -> None:
    """Give each year the reference activity totals (location quotient against another economy)."""
    frame, by_year = _lookup_table(reference, key=activity, year=year, column=value, what=REFERENCE)
    keys = [activity, year] if by_year and year is not None else [activity]
    _check_keys(frame, keys, REFERENCE)
    check_values(frame, value, keys, REFERENCE)
    if bool(frame.duplicated(subset=keys).any()):
        first = frame[frame.duplicated(subset=keys)].iloc[0]
        where = ", ".join(f"{k}={show(first[k])}" for k in keys)
        raise ComplexityInputError(
            f"参照表有重复行：{where}；每个活动（每年）只能有一个总额"
            f" (the reference table has duplicate rows for {where}; give one total per activity and year.)",
            activity=plain(first[activity]),
        )
    for ym in years:
        part = frame[frame[year] == ym.year] if by_year and year is not None else frame
        series = pd.Series(part[value].to_numpy(dtype=np.float64), index=part[activity].to_numpy())
        aligned = series.reindex(ym.activities).to_numpy(dtype=np.float64)
        bad = np.isnan(aligned) | (aligned <= 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            zh_year, en_year = where_year(year is not None, ym.year)
            act, n = show(ym.activities[j]), int(bad.sum())
            raise ComplexityInputError(
                f"{zh_year}参照表中活动 {act} 没有正的总额（共 {n} 个这样的活动）；"
                "计算区位商需要表中的每个活动都在参照表中有正的总额"
                f" ({en_year}the reference has no positive total for activity {act}, {n} such "
                "activities; a location quotient needs every activity of the table in the reference.)",
                year=plain(ym.year) if year is not None else None,
                activity=plain(ym.activities[j]),
            )
        ym.reference = aligned
        ym.reference_total = float(part[value].sum())
