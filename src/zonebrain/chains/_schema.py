"""The chain file schema (pydantic v2). See docs/chains.md for the annotated example.

A chain file describes one industry chain: its nodes (with stage, optional parent, GB/T 4754-2017
classes and the words that reveal a firm belongs there) and the supply edges between nodes.
Structure and single values are checked here; cross-references (duplicate ids, parents, edges,
class codes) are checked in ``_load`` so that every problem gets its own line number.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class Stage(StrEnum):
    """产业链环节 / position in the chain."""

    UPSTREAM = "上游"
    MIDSTREAM = "中游"
    DOWNSTREAM = "下游"

    @property
    def en(self) -> str:
        return {"上游": "upstream", "中游": "midstream", "下游": "downstream"}[self.value]


_STAGE_ALIASES = {
    "上游": Stage.UPSTREAM,
    "upstream": Stage.UPSTREAM,
    "中游": Stage.MIDSTREAM,
    "midstream": Stage.MIDSTREAM,
    "下游": Stage.DOWNSTREAM,
    "downstream": Stage.DOWNSTREAM,
}
STAGE_CHOICES = "上游/中游/下游 (upstream/midstream/downstream)"


def _text_list(value: Any) -> Any:
    """Keywords may be given as one string separated by 、 or , for brevity."""
    if isinstance(value, str):
        parts = value.replace("，", ",").replace("、", ",").split(",")
        return [p.strip() for p in parts if p.strip()]
    return value


def _class_code(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"行业代码须加引号写成字符串, 如 '{value:0>4}' / write class codes as quoted strings, "
            f"e.g. '{value:0>4}' (YAML may read 0511 as a number)"
        )
    return value


ClassCode = Annotated[str, BeforeValidator(_class_code)]


class NodeSpec(BaseModel):
    """产业链节点 / one node of a chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN, description="节点标识, 小写字母数字与 - _ / node id")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    stage: Stage
    parent: str | None = None
    classes: tuple[ClassCode, ...] = Field(
        default=(), description="GB/T 4754-2017 小类 (4 位) / 4-digit classes"
    )
    keywords: tuple[str, ...] = Field(min_length=1, description="强特征词 / specific keywords")
    synonyms: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    weak_keywords: tuple[str, ...] = Field(default=(), description="泛化词, 只作佐证 / generic support words")
    description: str = ""

    @field_validator("stage", mode="before")
    @classmethod
    def _stage(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in _STAGE_ALIASES:
            return _STAGE_ALIASES[value.strip().lower()]
        if isinstance(value, Stage):
            return value
        raise ValueError(f"环节须为 {STAGE_CHOICES} 之一 / stage must be one of {STAGE_CHOICES}")

    @field_validator("keywords", "synonyms", "products", "weak_keywords", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        return _text_list(value)

    @field_validator("keywords", "synonyms", "products", "weak_keywords")
    @classmethod
    def _no_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(v.strip() for v in value)
        if any(not v for v in cleaned):
            raise ValueError("词表中有空字符串 / a word in the list is empty")
        return cleaned

    @property
    def all_terms(self) -> tuple[str, ...]:
        return (*self.keywords, *self.synonyms, *self.products)


class EdgeSpec(BaseModel):
    """供应关系 / supply edge: *source* supplies *target*."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    note: str = ""


class ChainSpec(BaseModel):
    """产业链 / one chain file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    source: str = Field(min_length=1, description="资料来源说明 / where the chain map comes from")
    version: str = "1"
    nodes: tuple[NodeSpec, ...] = Field(min_length=1)
    edges: tuple[EdgeSpec, ...] = ()

    def node(self, node_id: str) -> NodeSpec:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)
