"""Opportunity weights as data: the components, their groups, and the three presets."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import pyarrow as pa

from zonebrain.core.errors import InputError

COMPONENTS: Final = MappingProxyType(
    {
        "density": ("feasibility", "关联密度 relatedness density of the class to what the zone already does"),
        "peer_presence": (
            "feasibility",
            "同省城市中具有比较优势的比例 share of peer regions where it is present",
        ),
        "pci": ("attractiveness", "行业复杂度 PCI (complexity)"),
        "growth": ("attractiveness", "全国新设企业占比（近 3 年）national formation rate, growth proxy"),
        "productivity": ("attractiveness", "全国人均营业收入 national revenue per worker"),
        "rd": ("attractiveness", "高新/科技型/专精特新企业占比 R&D proxy: share of tagged firms"),
        "chain_gap": (
            "attractiveness",
            "补链：对应园区所在链的缺失节点 fills a missing node of a zone chain",
        ),
        "strategic_fit": ("fit", "属于园区产业链 belongs to one of the zone's chains"),
    }
)
"""Component → (group, meaning). Each component is scaled to [0, 1] before weighting."""

PRESETS: Final = MappingProxyType(
    {
        "稳妥": MappingProxyType(
            {"density": 0.40, "peer_presence": 0.20, "pci": 0.05, "growth": 0.05, "productivity": 0.05,
             "rd": 0.05, "chain_gap": 0.10, "strategic_fit": 0.10}
        ),
        "均衡": MappingProxyType(
            {"density": 0.25, "peer_presence": 0.10, "pci": 0.15, "growth": 0.10, "productivity": 0.10,
             "rd": 0.10, "chain_gap": 0.10, "strategic_fit": 0.10}
        ),
        "跨越": MappingProxyType(
            {"density": 0.10, "peer_presence": 0.05, "pci": 0.30, "growth": 0.15, "productivity": 0.10,
             "rd": 0.15, "chain_gap": 0.10, "strategic_fit": 0.05}
        ),
    }
)  # fmt: skip
"""稳妥 low-hanging fruit, 均衡 balanced, 跨越 long jumps. Weights sum to 1."""

PRESET_ALIASES: Final = MappingProxyType({"safe": "稳妥", "balanced": "均衡", "leap": "跨越"})


def resolve_weights(
    preset: str | None = "均衡", weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The weights to use: a preset (Chinese or English name), overridden by *weights*, normalised to sum 1."""
    base: dict[str, float] = {}
    if preset is not None:
        name = PRESET_ALIASES.get(preset, preset)
        if name not in PRESETS:
            raise InputError(
                f"未知方案 '{preset}' (unknown preset {preset!r}); 可选 / choose: "
                f"{', '.join(PRESETS)} ({', '.join(PRESET_ALIASES)})"
            )
        base = dict(PRESETS[name])
    else:
        base = dict.fromkeys(COMPONENTS, 0.0)
    for key, w in (weights or {}).items():
        if key not in COMPONENTS:
            raise InputError(
                f"未知权重项 '{key}' (unknown weight {key!r}); 可选 / choose: {', '.join(COMPONENTS)}"
            )
        if not w >= 0:
            raise InputError(f"权重须为非负数 (weight {key} must be ≥ 0, got {w})")
        base[key] = float(w)
    total = sum(base.values())
    if total <= 0:
        raise InputError("权重之和须为正 (the weights must not all be 0)")
    return {k: base.get(k, 0.0) / total for k in COMPONENTS}


def weights_table(weights: Mapping[str, float]) -> pa.Table:
    """The weights as a visible table: component, group, weight, meaning."""
    return pa.table(
        {
            "component": list(COMPONENTS),
            "group": [COMPONENTS[c][0] for c in COMPONENTS],
            "weight": [float(weights.get(c, 0.0)) for c in COMPONENTS],
            "meaning": [COMPONENTS[c][1] for c in COMPONENTS],
        }
    )
