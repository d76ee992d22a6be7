"""Find a CJK font for charts: Chinese labels need one, and office PCs and CI must both have it."""

from __future__ import annotations

from functools import cache

from zonebrain.core.errors import ConfigError

PREFERRED = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "WenQuanYi Micro Hei",
)


def _found() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in installed:
            return name
    for f in font_manager.fontManager.ttflist:
        if "CJK" in f.name or f.name.endswith((" SC", " CN")):
            return f.name
    return None


def _rescan() -> None:
    """Scan the system's fonts again and rewrite matplotlib's cached list. Matplotlib lists the
    fonts once and keeps the list in its cache folder, so a font installed after its first use
    (as the error below tells people to) stayed invisible to it until the cache was deleted."""
    from matplotlib import font_manager

    load = getattr(font_manager, "_load_fontmanager")  # noqa: B009 (private; how matplotlib builds its own)
    fresh = load(try_read_cache=False)
    font_manager.fontManager = fresh
    font_manager.findfont = fresh.findfont  # the module's aliases of the old manager's methods
    font_manager.get_font_names = fresh.get_font_names


@cache
def cjk_font_family() -> str:
    """The first installed CJK font family matplotlib can use, or a ConfigError saying what to
    install; before giving up, the fonts are scanned again (a font installed since matplotlib
    listed them)."""
    found = _found()
    if found is None:
        _rescan()
        found = _found()
    if found is not None:
        return found
    raise ConfigError(
        "未找到中文字体, 图表无法显示中文 (no CJK font found for charts); "
        "Debian/Ubuntu: apt-get install fonts-noto-cjk; Windows 已自带微软雅黑 / Windows has Microsoft YaHei"
    )
