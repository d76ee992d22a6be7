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


@cache
def cjk_font_family() -> str:
    """The first installed CJK font family matplotlib can use, or a ConfigError saying what to install."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in installed:
            return name
    for f in font_manager.fontManager.ttflist:
        if "CJK" in f.name or f.name.endswith((" SC", " CN")):
            return f.name
    raise ConfigError(
        "未找到中文字体, 图表无法显示中文 (no CJK font found for charts); "
        "Debian/Ubuntu: apt-get install fonts-noto-cjk; Windows 已自带微软雅黑 / Windows has Microsoft YaHei"
    )
