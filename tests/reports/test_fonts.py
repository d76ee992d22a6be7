"""A CJK font installed after matplotlib first listed the fonts is still found: the error told
people to install one, and matplotlib's cached list (QA: a stale one on a machine that ran the
reports before fonts-noto-cjk was installed) kept saying there was none."""

from __future__ import annotations

import copy

import pytest
from matplotlib import font_manager

from zonebrain.reports import _fonts


def test_a_font_missing_from_a_stale_list_is_found_by_scanning_again(monkeypatch: pytest.MonkeyPatch) -> None:
    real = font_manager.fontManager
    stale = copy.copy(real)
    stale.ttflist = [f for f in real.ttflist if "CJK" not in f.name and not f.name.endswith((" SC", " CN"))]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    monkeypatch.setattr(font_manager, "findfont", stale.findfont)
    monkeypatch.setattr(font_manager, "get_font_names", stale.get_font_names)
    _fonts.cjk_font_family.cache_clear()
    try:
        assert _fonts._found() is None  # what the stale list says
        family = _fonts.cjk_font_family()  # scans the system's fonts again, rewriting the cache
        fresh = font_manager.fontManager
        assert fresh is not stale and family in {f.name for f in fresh.ttflist}
        assert font_manager.findfont == fresh.findfont
    finally:
        _fonts.cjk_font_family.cache_clear()
