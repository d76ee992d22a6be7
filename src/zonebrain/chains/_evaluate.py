"""Precision / recall / F1 of the classifier against a labelled set of business scopes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zonebrain.chains._classify import Classifier
from zonebrain.chains._load import ChainSet, load_chains
from zonebrain.core.errors import InputError

#: columns of a labelled file; ``chains`` holds ';'-separated chain ids, empty = belongs to no chain.
LABELLED_COLUMNS = ("id", "text", "chains")


@dataclass(frozen=True, slots=True)
class ChainScore:
    chain: str
    name: str
    tp: int
    fp: int
    fn: int
    support: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvaluationReport:
    """Per-chain and micro-averaged scores, plus the misclassified texts for inspection."""

    per_chain: list[ChainScore]
    n_texts: int
    n_none: int
    split: str | None
    errors: list[dict[str, str]] = field(default_factory=list)
    none_correct: int = 0

    @property
    def micro_precision(self) -> float:
        tp = sum(c.tp for c in self.per_chain)
        fp = sum(c.fp for c in self.per_chain)
        return tp / (tp + fp) if tp + fp else 0.0

    @property
    def micro_recall(self) -> float:
        tp = sum(c.tp for c in self.per_chain)
        fn = sum(c.fn for c in self.per_chain)
        return tp / (tp + fn) if tp + fn else 0.0

    @property
    def micro_f1(self) -> float:
        p, r = self.micro_precision, self.micro_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "chain": c.chain,
                "name": c.name,
                "support": c.support,
                "tp": c.tp,
                "fp": c.fp,
                "fn": c.fn,
                "precision": round(c.precision, 3),
                "recall": round(c.recall, 3),
                "f1": round(c.f1, 3),
            }
            for c in self.per_chain
        ]
        tp = sum(c.tp for c in self.per_chain)
        fp = sum(c.fp for c in self.per_chain)
        fn = sum(c.fn for c in self.per_chain)
        rows.append(
            {
                "chain": "micro",
                "name": "微平均 micro-average",
                "support": sum(c.support for c in self.per_chain),
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "precision": round(self.micro_precision, 3),
                "recall": round(self.micro_recall, 3),
                "f1": round(self.micro_f1, 3),
            }
        )
        return pd.DataFrame(rows)


def read_labelled(path: Path) -> pd.DataFrame:
    """Read a labelled CSV (columns id, text, chains; optional split, industry_code)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"标注文件不存在 / labelled file not found: {path}; "
            "请用 --labelled 指定 (如 tests/chains/data/labelled_scopes.csv) / pass --labelled FILE"
        )
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in LABELLED_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: 缺少列 / missing columns {missing}; 需要 / needed: {list(LABELLED_COLUMNS)} "
            "(+ 可选 optional: split, industry_code)"
        )
    return df


def evaluate(
    labelled: pd.DataFrame,
    *,
    classifier: Classifier | None = None,
    chains: ChainSet | None = None,
    split: str | None = None,
) -> EvaluationReport:
    """Score the classifier on *labelled* (optionally only rows whose ``split`` equals *split*)."""
    clf = classifier or Classifier(chains or load_chains())
    df = labelled
    if split is not None:
        if "split" not in df.columns:
            raise InputError("标注表没有 split 列 / the labelled table has no 'split' column")
        df = df[df["split"] == split]
        if df.empty:
            raise InputError(f"没有 split='{split}' 的行 / no rows with split='{split}'")
    known = set(clf.chains.ids)
    truth: list[set[str]] = []
    for i, value in enumerate(df["chains"].tolist()):
        ids = {c.strip() for c in str(value or "").replace(",", ";").split(";") if c.strip()}
        unknown = ids - known
        if unknown:
            raise InputError(
                f"标注第 {i + 1} 行 chains 含未知产业链 {sorted(unknown)} / row {i + 1}: unknown chain ids; "
                f"可选 / known: {sorted(known)}"
            )
        truth.append(ids)
    codes = df["industry_code"].tolist() if "industry_code" in df.columns else None
    texts = df["text"].tolist()
    predicted = [{lab.chain for lab in labs} for labs in clf.classify(texts, codes)]
    per_chain = []
    for chain in clf.chains:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if chain.id in t and chain.id in p)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if chain.id not in t and chain.id in p)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if chain.id in t and chain.id not in p)
        support = sum(1 for t in truth if chain.id in t)
        per_chain.append(ChainScore(chain.id, chain.name_zh, tp, fp, fn, support))
    errors = []
    for ident, text, t, p in zip(df["id"].tolist(), texts, truth, predicted, strict=True):
        if t != p:
            errors.append(
                {
                    "id": str(ident),
                    "truth": ";".join(sorted(t)),
                    "predicted": ";".join(sorted(p)),
                    "text": str(text),
                }
            )
    n_none = sum(1 for t in truth if not t)
    none_ok = sum(1 for t, p in zip(truth, predicted, strict=True) if not t and not p)
    return EvaluationReport(per_chain, len(df), n_none, split, errors, none_ok)
