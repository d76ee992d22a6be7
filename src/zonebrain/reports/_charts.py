"""Charts for Word reports, drawn with matplotlib (Agg, no display) in a CJK font, as PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from zonebrain.reports._fonts import cjk_font_family

PALETTE = ("#2f6fb3", "#e07b39", "#3a9d5d", "#c0392b", "#8e6bbf", "#7f8c8d", "#d4ac0d", "#16a085")


def _figure(width: float = 6.4, height: float = 3.6):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = [cjk_font_family()]
    plt.rcParams["axes.unicode_minus"] = False
    return plt.subplots(figsize=(width, height), dpi=150)


def _plain_values(ax) -> None:  # type: ignore[no-untyped-def]
    """The value axis reads as written: thousands separators, never an offset or a 1e7 factor
    (matplotlib's default for large 万元 figures, which a reader takes for the value)."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.4g}"))


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def bar_chart(
    categories: Sequence[str], series: dict[str, Sequence[float]], title: str, unit: str = ""
) -> bytes:
    """Grouped bars: one group per category, one bar per series."""
    fig, ax = _figure()
    n = max(len(series), 1)
    x = np.arange(len(categories))
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        ax.bar(
            x + (i - (n - 1) / 2) * width, list(values), width, label=name, color=PALETTE[i % len(PALETTE)]
        )
    ax.set_xticks(x, list(categories), rotation=30 if len(categories) > 6 else 0, ha="right")
    ax.set_title(title)
    _plain_values(ax)
    if unit:
        ax.set_ylabel(unit)
    if len(series) > 1:
        ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def line_chart(
    x: Sequence[str], series: dict[str, Sequence[float | None]], title: str, unit: str = ""
) -> bytes:
    """Lines over an ordered axis (months, years); None leaves a gap."""
    fig, ax = _figure()
    for i, (name, values) in enumerate(series.items()):
        ys = [np.nan if v is None else v for v in values]
        ax.plot(list(x), ys, marker="o", label=name, color=PALETTE[i % len(PALETTE)])
    ax.set_title(title)
    _plain_values(ax)
    if unit:
        ax.set_ylabel(unit)
    if len(series) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    if len(x) > 8:
        ax.tick_params(axis="x", rotation=45)
    return _png(fig)


def radar_chart(indicators: Sequence[str], series: dict[str, Sequence[float]], title: str) -> bytes:
    """One polygon per series over the indicators (values best pre-scaled to 0-1 or 0-100)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(5.2, 5.2), dpi=150)
    plt.rcParams["font.family"] = [cjk_font_family()]
    ax = fig.add_subplot(projection="polar")
    angles = np.linspace(0, 2 * np.pi, len(indicators), endpoint=False).tolist()
    for i, (name, values) in enumerate(series.items()):
        vals = [*values, values[0]]
        ax.plot([*angles, angles[0]], vals, label=name, color=PALETTE[i % len(PALETTE)])
        ax.fill([*angles, angles[0]], vals, alpha=0.12, color=PALETTE[i % len(PALETTE)])
    ax.set_xticks(angles, list(indicators))
    ax.set_title(title)
    ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1))
    return _png(fig)


def pie_chart(labels: Sequence[str], values: Sequence[float], title: str) -> bytes:
    fig, ax = _figure(5.2, 4.0)
    ax.pie(list(values), labels=list(labels), autopct="%1.1f%%", colors=PALETTE[: len(values)], startangle=90)
    ax.set_title(title)
    return _png(fig)
