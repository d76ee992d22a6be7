"""The entry point :func:`compute`: RCA → presence → ECI/PCI → proximity → density → COI/COG, per year."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._conventions import Convention, get_convention
from ._eci import FloatArray, components, degrees, eigen, standardiser
from ._panel import (
    NO_YEAR,
    ComplexityInputError,
    YearMatrix,
    attach_population,
    attach_reference,
    plain,
    read_panel,
    show,
    where_year,
)
from ._proximity import density_and_gain, gain_weight, proximity
from ._rca import balassa, presence, rpop
from ._result import ComplexityResult, YearResult

PresenceTest = Literal["rca", "rpop", "both", "manual"]
Disconnected = Literal["raise", "largest"]
Progress = Callable[[Hashable, int, int], None]


def compute(
    panel: pd.DataFrame,
    *,
    location: str,
    activity: str,
    value: str,
    year: str | None = None,
    population: pd.DataFrame | pd.Series | None = None,
    population_column: str = "population",
    convention: str | Convention = "atlas",
    threshold: float = 1.0,
    presence_test: PresenceTest | None = None,
    rpop_threshold: float = 1.0,
    reference: pd.DataFrame | pd.Series | None = None,
    knn: int | None = None,
    disconnected: Disconnected = "raise",
    progress: Progress | None = None,
) -> ComplexityResult:
    """Economic complexity of a location × activity (× year) table.

    Args:
        panel: tidy table, one row per (year,) location and activity; missing rows mean 0.
        location, activity, value, year: its column names (``year=None``: a single period).
        population: for RPOP: a DataFrame with the ``location`` column, optionally the ``year``
            column, and ``population_column``; or a Series indexed by location.
        convention: ``"atlas"`` (default; Stata / Atlas / OEC) or ``"ecomplexity"`` (py-ecomplexity).
        threshold: RCA threshold for presence; ``rpop_threshold`` the one for RPOP.
        presence_test: ``"rca"`` (default without population), ``"rpop"`` (default with population),
            ``"both"`` (present if either test passes) or ``"manual"`` (``value`` is already 0/1).
        reference: activity totals of a reference economy (Series indexed by activity, or DataFrame
            with ``activity``, optional ``year`` and ``value`` columns): RCA becomes the location
            quotient against it.
        knn: relatedness density over each activity's ``knn`` nearest other activities only.
        disconnected: ``"raise"`` (default) if a year's location–activity network falls apart;
            ``"largest"`` computes ECI/PCI on the largest part and reports the rest in ``issues``.
        progress: called as ``progress(year, done, total)`` after each year.

    Example:
        >>> import pandas as pd
        >>> from zonebrain.complexity import compute
        >>> t = pd.DataFrame({
        ...     "city": list("aaabbbbccdddd"),
        ...     "industry": list("wyzwxyzyzwxyz"),
        ...     "output": [8.0, 1, 2, 1, 8, 8, 5, 3, 4, 6, 4, 2, 1],
        ... })
        >>> r = compute(t, location="city", activity="industry", value="output")
        >>> r.locations.round(3)
          city  diversity    eci    coi
        0    a          1 -1.250  0.271
        1    b          3  0.750 -1.554
        2    c          2  1.116  0.172
        3    d          2 -0.616  1.111
        >>> r.activities.round(3)
          industry  ubiquity    pci
        0        w         2 -1.250
        1        x         2  0.018
        2        y         2  1.116
        3        z         2  1.116
        >>> p = r.proximity()
        >>> list(p.labels), float(p.matrix[2, 3])
        (['w', 'x', 'y', 'z'], 1.0)
    """
    conv = get_convention(convention)
    if presence_test is None:
        presence_test = "rpop" if population is not None else "rca"
    if presence_test not in ("rca", "rpop", "both", "manual"):
        raise ComplexityInputError(
            f"未知存在性判定 presence_test={presence_test!r}；可选 rca、rpop、both、manual"
            f" (unknown presence test {presence_test!r}; choose rca, rpop, both or manual)"
        )
    if presence_test in ("rpop", "both") and population is None:
        raise ComplexityInputError(
            f"存在性判定 presence_test={presence_test!r} 需要人口表（population），请一并传入"
            f" (presence_test={presence_test!r} needs a population table)"
        )
    for name, t in (("threshold", threshold), ("rpop_threshold", rpop_threshold)):
        if not np.isfinite(t) or t <= 0:
            raise ComplexityInputError(
                f"参数 {name} 须为正数，收到的是 {t!r} ({name} must be a positive number, got {t!r})"
            )
    if knn is not None and knn < 1:
        raise ComplexityInputError(
            f"参数 knn（近邻个数）须为正整数，收到的是 {knn!r} "
            f"(knn must be a positive number of neighbours, got {knn!r})"
        )
    if disconnected not in ("raise", "largest"):
        raise ComplexityInputError(
            f"参数 disconnected 须为 'raise' 或 'largest'，收到的是 {disconnected!r} "
            f"(disconnected must be 'raise' or 'largest', got {disconnected!r})"
        )

    years, _, _ = read_panel(
        panel,
        location=location,
        activity=activity,
        value=value,
        year=year,
        manual=presence_test == "manual",
    )
    if population is not None and presence_test in ("rpop", "both"):
        attach_population(years, population, location=location, year=year, column=population_column)
    if reference is not None:
        attach_reference(years, reference, activity=activity, value=value, year=year)

    names = {"location": location, "activity": activity, "value": value, "year": year or "year"}
    # density and COG of all years live in two flat arrays (each year's matrices are views into them),
    # so the tidy pair table can use them without another copy
    sizes = [len(ym.locations) * len(ym.activities) for ym in years]
    bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    flat_density = np.empty(int(bounds[-1]), dtype=np.float64)
    flat_cog = np.empty(int(bounds[-1]), dtype=np.float64)
    result = ComplexityResult(
        convention=conv,
        names=names,
        has_year=year is not None,
        years_data=[],
        flat_density=flat_density,
        flat_cog=flat_cog,
    )
    for i, ym in enumerate(years):
        shape = (len(ym.locations), len(ym.activities))
        yr = _one_year(
            ym,
            conv,
            presence_test,
            threshold,
            rpop_threshold,
            knn,
            disconnected,
            year is not None,
            result.issue_rows,
            flat_density[bounds[i] : bounds[i + 1]].reshape(shape),
            flat_cog[bounds[i] : bounds[i + 1]].reshape(shape),
        )
        result.years_data.append(yr)
        if progress is not None:
            progress(ym.year if year is not None else NO_YEAR, i + 1, len(years))
    # results are shared with the tidy tables: make accidental in-place edits fail instead of leaking
    flat_density.flags.writeable = False
    flat_cog.flags.writeable = False
    return result


def _one_year(
    ym: YearMatrix,
    conv: Convention,
    test: PresenceTest,
    threshold: float,
    rpop_threshold: float,
    knn: int | None,
    disconnected: Disconnected,
    has_year: bool,
    issues: list[tuple[object, str, object, str]],
    out_density: FloatArray,
    out_cog: FloatArray,
) -> YearResult:
    zh_year, en_year = where_year(has_year, ym.year)
    year_key = ym.year if has_year else NO_YEAR
    for kind, label, message in ym.dropped:
        issues.append((year_key, kind, label, message))
    n_loc, n_act = ym.values.shape
    if n_loc < 2:
        loc = show(ym.locations[0])
        raise ComplexityInputError(
            f"{zh_year}只有一个地区 {loc} 有非零数值；经济复杂度在地区之间比较，至少需要两个地区。"
            "请增加地区或删除该年度"
            f" ({en_year}only one location, {loc}, has non-zero values; complexity compares locations, "
            "so at least two are needed. Add locations or drop the year.)",
            year=plain(ym.year) if has_year else None,
            location=plain(ym.locations[0]),
        )
    if n_act < 2:
        act = show(ym.activities[0])
        raise ComplexityInputError(
            f"{zh_year}只有一个活动 {act} 有非零数值，至少需要两个。请增加活动或删除该年度"
            f" ({en_year}only one activity, {act}, has non-zero values; at least two are needed. "
            "Add activities or drop the year.)",
            year=plain(ym.year) if has_year else None,
            activity=plain(ym.activities[0]),
        )

    rca_m: sp.csr_array | None = None
    rpop_m: sp.csr_array | None = None
    if test == "manual":
        m = ym.values.copy()
    else:
        rca_m = balassa(ym.values, reference=ym.reference, reference_total=ym.reference_total)
        if test in ("rpop", "both"):
            assert ym.population is not None
            rpop_m = rpop(ym.values, ym.population)
        strict = conv.strict_threshold
        if test == "rca":
            m = presence(rca_m, threshold, strict=strict)
        elif test == "rpop":
            assert rpop_m is not None
            m = presence(rpop_m, rpop_threshold, strict=strict)
        else:
            assert rpop_m is not None
            m = presence(rca_m, threshold, strict=strict) + presence(rpop_m, rpop_threshold, strict=strict)
            m.data = np.minimum(m.data, 1.0)
    m = sp.csr_array(m)
    m.sort_indices()
    diversity, ubiquity = degrees(m)

    # the core: locations with a presence, activities present somewhere, connected
    core_loc = diversity > 0
    core_act = ubiquity > 0
    for i in np.flatnonzero(~core_loc):
        issues.append(
            (
                year_key,
                "location",
                ym.locations[i],
                "eci_no_presence",
            )
        )
    for j in np.flatnonzero(~core_act):
        issues.append(
            (
                year_key,
                "activity",
                ym.activities[j],
                "pci_no_presence",
            )
        )
    _, loc_comp, act_comp = components(m)
    comp_of_core = np.unique(loc_comp[core_loc])
    if comp_of_core.size > 1:
        sizes = np.array([(loc_comp[core_loc] == c).sum() for c in comp_of_core])
        if disconnected == "raise":
            parts = []
            for c in comp_of_core[np.argsort(-sizes, kind="stable")][:3]:
                members = ym.locations[core_loc & (loc_comp == c)]
                shown = ", ".join(map(show, members[:5])) + (" …" if len(members) > 5 else "")
                parts.append(f"[{shown}]")
            n, listed = comp_of_core.size, "; ".join(parts)
            raise ComplexityInputError(
                f"{zh_year}地区—活动网络分成 {n} 个互不相连的部分（彼此没有共同的活动），例如 {listed}；"
                "ECI 无法跨部分计算。请分别计算各部分、先清洗数据（zonebrain.complexity.clean），"
                "或传入 disconnected='largest'（命令行 --disconnected largest）只算最大的部分"
                f" ({en_year}the location–activity network falls into {n} disconnected parts with no shared "
                f"activity between them, e.g. {listed}. ECI is not defined across parts. Compute the parts "
                "separately, clean the table with zonebrain.complexity.clean, or pass disconnected='largest' "
                "(on the command line --disconnected largest) to compute the largest part only.)",
                year=plain(ym.year) if has_year else None,
            )
        keep = comp_of_core[int(np.argmax(sizes))]
        for i in np.flatnonzero(core_loc & (loc_comp != keep)):
            issues.append(
                (
                    year_key,
                    "location",
                    ym.locations[i],
                    "eci_outside_largest",
                )
            )
        for j in np.flatnonzero(core_act & (act_comp != keep)):
            issues.append(
                (
                    year_key,
                    "activity",
                    ym.activities[j],
                    "pci_outside_largest",
                )
            )
        core_loc &= loc_comp == keep
        core_act &= act_comp == keep
    li = np.flatnonzero(core_loc)
    aj = np.flatnonzero(core_act)
    if li.size < 2 or aj.size < 2:
        raise ComplexityInputError(
            f"{zh_year}只有 {li.size} 个地区和 {aj.size} 个活动通过存在性判定，ECI 至少各需要两个。"
            "请降低门槛或补充数据"
            f" ({en_year}only {li.size} location(s) and {aj.size} activity(ies) pass the presence test; "
            "ECI needs at least two of each. Lower the threshold or add data.)",
            year=plain(ym.year) if has_year else None,
        )

    dense_m = m.toarray()
    core = dense_m[np.ix_(li, aj)]
    try:
        eig = eigen(core)
    except ValueError:
        raise ComplexityInputError(
            f"{zh_year}各地区的活动完全相同（第二特征值为 0），ECI 无法排序。请增加地区或活动"
            f" ({en_year}every location has the same set of activities, so ECI cannot rank them: the "
            "second eigenvalue is 0. Add locations or activities.)",
            year=plain(ym.year) if has_year else None,
        ) from None

    kc = np.full(n_loc, np.nan)
    kp = np.full(n_act, np.nan)
    kc[li] = eig.kc
    kp[aj] = eig.kp
    mean, sd = standardiser(eig.kc, n_act, long_table=conv.long_table_sd)
    eci = (kc - mean) / sd
    pci = (kp - mean) / sd

    phi = proximity(dense_m, ubiquity, conv.proximity_diagonal)
    kp_filled = np.where(np.isfinite(kp), kp, 0.0)
    density, gain = density_and_gain(dense_m, phi, gain_weight(phi, kp), knn)
    del phi
    out_density[...] = density
    del density
    density = out_density
    coi_raw = ((density * (1.0 - dense_m)) * kp_filled[None, :]).sum(axis=1)
    coi = _standardise_coi(coi_raw, n_act, conv, issues, year_key)
    cog = np.divide(gain, sd, out=out_cog)
    return YearResult(
        year=ym.year,
        locations=ym.locations,
        activities=ym.activities,
        values=ym.values,
        rca=rca_m,
        rpop=rpop_m,
        presence=m,
        diversity=diversity,
        ubiquity=ubiquity,
        eci=eci,
        pci=pci,
        coi=coi,
        density=density,
        cog=cog,
        diagonal=conv.proximity_diagonal,
    )


def _standardise_coi(
    coi_raw: FloatArray,
    n_act: int,
    conv: Convention,
    issues: list[tuple[object, str, object, str]],
    year_key: object,
) -> FloatArray:
    mean, sd = standardiser(coi_raw, n_act, long_table=conv.long_table_sd)
    if not sd > 1e-12 * max(1.0, abs(mean)):
        issues.append((year_key, "year", None, "coi_constant"))
        return np.zeros_like(coi_raw)
    return (coi_raw - mean) / sd
