"""Enterprise → chain-node classifier (经营范围 text + GB/T 4754 industry code).

Method (see docs/chains.md for the full description):

1. The scope text is normalised (NFKC, lower case), registration boilerplate and legal qualifiers
   are removed, and it is split into *items* (at ; , : 。) and *parts* (at 、).
2. Keyword evidence: every chain term (keywords, synonyms, products = strength 1.0; GB/T class
   names of classes used by one chain only = 0.6; weak keywords = 0.3) is looked up in every part;
   a match contained in a longer match is dropped, so "网络与信息安全软件开发" counts for the
   security chain, not for generic software. Items are weighted by position (the main business is
   written first) and by the share of the item's parts that match.
3. TF-IDF evidence: jieba tokens (with a domain dictionary of all chain terms and GB/T names) are
   compared by cosine similarity with a profile document per node; IDF is computed over the node
   profiles and all GB/T class names, so words such as 制造, 设备 weigh little.
4. Industry-code evidence: the firm's 4-digit code inside a node's classes.
5. Per chain: confidence = (1 - exp(-evidence)) × coverage gate, where coverage is the weighted
   share of the scope's substantive items that belong to the chain. Chains at or above the
   threshold are labelled; within a chain the strongest nodes are reported.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from zonebrain.chains._load import ChainSet
from zonebrain.chains._schema import ChainSpec
from zonebrain.chains._text import GENERIC_WORDS, Item, ascii_boundary_ok, normalise, segmenter, split_items
from zonebrain.core.errors import InputError
from zonebrain.core.industry import gbt4754

NO_CHAIN = "(none)"
STRONG, CLASS_NAME, WEAK = 1.0, 0.6, 0.3
_KIND_ZH = {
    "keyword": "关键词",
    "synonym": "同义词",
    "product": "产品",
    "class": "行业名称",
    "weak": "弱相关词",
}


@dataclass(frozen=True, slots=True)
class Label:
    """One (chain, node) label of one text."""

    chain: str
    chain_name: str
    node: str
    node_name: str
    confidence: float
    reason: str


@dataclass(frozen=True, slots=True)
class _Term:
    chain: str
    node: str
    strength: float
    original: str
    kind: str


@dataclass
class _ChainEvidence:
    keyword: float = 0.0
    weight_total: float = 0.0
    code: float = 0.0
    tfidf: float = 0.0
    node_keyword: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    node_terms: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    node_code: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Override:
    """A manual correction: add or remove a (chain, node) label for one enterprise (by USCC/id).

    ``node=None`` with ``action="remove"`` removes every label of that chain; with ``"add"`` the
    chain is added with its first node unless a node is given.
    """

    uscc: str
    chain: str
    node: str | None = None
    action: Literal["add", "remove"] = "add"
    note: str = ""


class Classifier:
    """Multi-label classifier of business-scope texts onto chain nodes.

    >>> from zonebrain.chains import load_chains
    >>> clf = Classifier(load_chains())
    >>> [l.chain for l in clf.classify(["MEMS压力传感器的研发、生产和销售"])[0]][:1]
    ['intelligent-sensors']
    """

    #: position decay of items: weight = 1 / (1 + DECAY * rank)
    DECAY = 0.15
    #: weights of the evidence kinds inside the saturating confidence
    W_KEYWORD, W_CODE, W_TFIDF = 1.3, 0.55, 1.2
    #: coverage gate: gate = min(1, GATE_BASE + GATE_SLOPE * coverage)
    GATE_BASE, GATE_SLOPE = 0.3, 1.6
    #: within a chain, report nodes whose score reaches this share of the best node
    NODE_SHARE = 0.5
    MAX_NODES = 3

    def __init__(
        self, chains: ChainSet, *, threshold: float = 0.5, secondary_threshold: float = 0.72
    ) -> None:
        for name, value in (("threshold", threshold), ("secondary_threshold", secondary_threshold)):
            if not 0.0 < value <= 1.0:
                raise InputError(f"{name} 须在 (0, 1] 内 / must be in (0, 1]: {value}")
        self.chains = chains
        self.threshold = threshold
        # A second (third, ...) chain for the same firm needs stronger evidence than the first:
        # generic items such as 软件开发 or 集成电路设计 often accompany a specialised main business.
        self.secondary_threshold = max(threshold, secondary_threshold)
        self._class_chains: dict[str, set[str]] = defaultdict(set)
        self._class_nodes: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for chain in chains:
            for node in chain.nodes:
                for code in node.classes:
                    self._class_chains[code].add(chain.id)
                    self._class_nodes[code].append((chain.id, node.id))
        self._terms: dict[str, list[_Term]] = defaultdict(list)
        self._build_terms()
        self._lengths: dict[str, tuple[int, ...]] = {}
        by_first: dict[str, set[int]] = defaultdict(set)
        for term in self._terms:
            by_first[term[0]].add(len(term))
        self._lengths = {ch: tuple(sorted(ls, reverse=True)) for ch, ls in by_first.items()}
        self._build_tfidf()

    # ----------------------------------------------------------------- building
    def _add_term(self, text: str, term: _Term) -> None:
        key = normalise(text).strip()
        if len(key) < 2:
            return
        existing = self._terms[key]
        for i, old in enumerate(existing):
            if old.chain == term.chain and old.node == term.node:
                if term.strength > old.strength:
                    existing[i] = term
                return
        existing.append(term)

    def _build_terms(self) -> None:
        classification = gbt4754()
        for chain in self.chains:
            for node in chain.nodes:
                for kind, words, strength in (
                    ("keyword", node.keywords, STRONG),
                    ("synonym", node.synonyms, STRONG),
                    ("product", node.products, STRONG),
                    ("weak", node.weak_keywords, WEAK),
                ):
                    for w in words:
                        self._add_term(w, _Term(chain.id, node.id, strength, w, kind))
                for code in node.classes:
                    if len(self._class_chains[code]) == 1:
                        name = classification.get(code).name.strip()
                        if not name.startswith("其他"):
                            self._add_term(name, _Term(chain.id, node.id, CLASS_NAME, name, "class"))

    def _dictionary(self) -> tuple[str, ...]:
        words = {t.original for terms in self._terms.values() for t in terms}
        words |= {i.name.strip() for i in gbt4754() if i.level in ("group", "class")}
        return tuple(sorted(w for w in words if w))

    def _tokens(self, text: str) -> list[str]:
        seg = segmenter(self._dictionary_words)
        return [t for t in seg.cut(normalise(text)) if len(t) >= 2 and t not in self._stop]

    def _build_tfidf(self) -> None:
        self._dictionary_words = self._dictionary()
        self._stop = set(GENERIC_WORDS)
        self._nodes: list[tuple[str, str]] = []
        docs: list[list[str]] = []
        for chain in self.chains:
            for node in chain.nodes:
                words = [node.name_zh, *node.keywords, *node.synonyms, *node.products, *node.weak_keywords]
                words += [
                    gbt4754().get(c).name.strip() for c in node.classes if len(self._class_chains[c]) == 1
                ]
                tokens: list[str] = []
                for w in words:
                    tokens += self._tokens(w)
                    tokens.append(normalise(w))
                docs.append(tokens)
                self._nodes.append((chain.id, node.id))
        background = [self._tokens(i.name) for i in gbt4754() if i.level == "class"]
        vocab: dict[str, int] = {}
        df: dict[str, int] = defaultdict(int)
        for doc in docs + background:
            for tok in set(doc):
                df[tok] += 1
                vocab.setdefault(tok, len(vocab))
        n_docs = len(docs) + len(background)
        self._vocab = vocab
        self._idf = np.ones(len(vocab))
        for tok, j in vocab.items():
            self._idf[j] = math.log((1 + n_docs) / (1 + df[tok])) + 1.0
        rows, cols, vals = [], [], []
        for i, doc in enumerate(docs):
            counts: dict[int, int] = defaultdict(int)
            for tok in doc:
                counts[vocab[tok]] += 1
            for j, c in counts.items():
                rows.append(i)
                cols.append(j)
                vals.append((1 + math.log(c)) * self._idf[j])
        mat = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)))
        norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self._node_matrix = sparse.csr_matrix(sparse.diags(1.0 / norms) @ mat)
        self._node_index = {key: i for i, key in enumerate(self._nodes)}

    # ----------------------------------------------------------------- matching
    def _match(self, part: str) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        n = len(part)
        for i, ch in enumerate(part):
            for length in self._lengths.get(ch, ()):
                if i + length > n:
                    continue
                cand = part[i : i + length]
                if cand in self._terms and (not cand.isascii() or ascii_boundary_ok(part, i, i + length)):
                    found.append((i, i + length, cand))
        # Overlapping matches compete for the same characters: the longest wins (then the leftmost),
        # so "信号调理芯片设计" counts as 信号调理芯片, not as the generic 芯片设计.
        keep: list[tuple[int, int, str]] = []
        for s, e, t in sorted(found, key=lambda m: (m[0] - m[1], m[0])):
            if all(e <= s2 or s >= e2 for s2, e2, _ in keep):
                keep.append((s, e, t))
        return sorted(keep)

    def _tfidf_vectors(self, token_lists: Sequence[list[str]]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for i, toks in enumerate(token_lists):
            counts: dict[int, int] = defaultdict(int)
            for tok in toks:
                j = self._vocab.get(tok)
                if j is not None:
                    counts[j] += 1
            for j, c in counts.items():
                rows.append(i)
                cols.append(j)
                vals.append((1 + math.log(c)) * self._idf[j])
        mat = sparse.csr_matrix((vals, (rows, cols)), shape=(len(token_lists), len(self._vocab)))
        norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ mat)

    # ----------------------------------------------------------------- scoring
    def _evidence(self, items: list[Item], code: str | None, sims: np.ndarray) -> dict[str, _ChainEvidence]:
        ev: dict[str, _ChainEvidence] = {c.id: _ChainEvidence() for c in self.chains}
        rank = 0
        total = 0.0
        for item in items:
            part_scores: list[dict[tuple[str, str], tuple[float, str]]] = []
            substantive = 0
            for part, subst in zip(item.parts, item.substantive, strict=True):
                scores: dict[tuple[str, str], tuple[float, str]] = {}
                for _s, _e, term in self._match(part):
                    for t in self._terms[term]:
                        key = (t.chain, t.node)
                        if key not in scores or t.strength > scores[key][0]:
                            label = t.original if t.kind != "weak" else f"{t.original}(弱/weak)"
                            scores[key] = (t.strength, label)
                if scores or subst:
                    substantive += 1
                    part_scores.append(scores)
            if substantive == 0:
                continue
            weight = 1.0 / (1.0 + self.DECAY * rank)
            rank += 1
            total += weight
            chain_parts: dict[str, int] = defaultdict(int)
            chain_best: dict[str, float] = defaultdict(float)
            node_best: dict[tuple[str, str], tuple[float, str]] = {}
            for scores in part_scores:
                seen_chains = set()
                for (chain_id, node_id), (strength, label) in scores.items():
                    seen_chains.add(chain_id)
                    chain_best[chain_id] = max(chain_best[chain_id], strength)
                    old = node_best.get((chain_id, node_id))
                    if old is None or strength > old[0]:
                        node_best[(chain_id, node_id)] = (strength, label)
                for chain_id in seen_chains:
                    chain_parts[chain_id] += 1
            for chain_id, best in chain_best.items():
                share = math.sqrt(chain_parts[chain_id] / substantive)
                ev[chain_id].keyword += weight * best * share
            for (chain_id, node_id), (strength, label) in node_best.items():
                ev[chain_id].node_keyword[node_id] += weight * strength
                if label not in ev[chain_id].node_terms[node_id]:
                    ev[chain_id].node_terms[node_id].append(label)
        for e in ev.values():
            e.weight_total = total
        if code:
            owners = self._class_chains.get(code, set())
            for chain_id, node_id in self._class_nodes.get(code, []):
                ev[chain_id].code = 1.0 / len(owners)
                ev[chain_id].node_code[node_id] = code
        for (chain_id, _node_id), idx in self._node_index.items():
            ev[chain_id].tfidf = max(ev[chain_id].tfidf, float(sims[idx]))
        return ev

    def _confidence(self, e: _ChainEvidence) -> float:
        if e.keyword == 0 and e.code == 0 and e.tfidf < 0.2:
            return 0.0
        tfidf = max(0.0, e.tfidf - 0.1)
        raw = self.W_KEYWORD * e.keyword + self.W_CODE * e.code + self.W_TFIDF * tfidf
        coverage = e.keyword / e.weight_total if e.weight_total > 0 else 0.0
        coverage = min(1.0, coverage + 0.5 * e.code * (1 - coverage) + 0.5 * tfidf)
        gate = min(1.0, self.GATE_BASE + self.GATE_SLOPE * coverage)
        return round((1.0 - math.exp(-raw)) * gate, 4)

    def _labels(self, chain: ChainSpec, e: _ChainEvidence, conf: float, sims: np.ndarray) -> list[Label]:
        node_scores: dict[str, float] = {}
        for node in chain.nodes:
            score = e.node_keyword.get(node.id, 0.0)
            if node.id in e.node_code:
                score += 0.3
            score += 0.3 * float(sims[self._node_index[(chain.id, node.id)]])
            node_scores[node.id] = score
        best = max(node_scores.values())
        ranked = sorted(node_scores.items(), key=lambda kv: -kv[1])
        out: list[Label] = []
        for node_id, score in ranked[: self.MAX_NODES]:
            if score <= 0 or score < self.NODE_SHARE * best:
                break
            node = chain.node(node_id)
            reasons = [f"经营范围含'{t}' → {node.name_zh}" for t in e.node_terms.get(node_id, [])[:4]]
            if node_id in e.node_code:
                code = e.node_code[node_id]
                reasons.append(f"行业代码 {code} {gbt4754().get(code).name.strip()} ∈ 节点 {node.name_zh}")
            sim = float(sims[self._node_index[(chain.id, node_id)]])
            if not reasons:
                reasons.append(f"文本与节点词表 TF-IDF 相似度 {sim:.2f} → {node.name_zh}")
            out.append(
                Label(
                    chain.id,
                    chain.name_zh,
                    node_id,
                    node.name_zh,
                    round(conf * score / best, 4),
                    "; ".join(reasons),
                )
            )
        return out

    # ----------------------------------------------------------------- public
    def scores(
        self, texts: Sequence[str], codes: Sequence[str | None] | None = None
    ) -> list[dict[str, float]]:
        """Chain confidences (every chain, also below the threshold) for each text."""
        return [{k: v for k, (v, _) in r.items()} for r in self._run(texts, codes)]

    def classify(self, texts: Sequence[str], codes: Sequence[str | None] | None = None) -> list[list[Label]]:
        """Labels (confidence ≥ threshold) for each text, best chain first; empty list = no chain."""
        return self.classify_with_scores(texts, codes)[0]

    def classify_with_scores(
        self, texts: Sequence[str], codes: Sequence[str | None] | None = None
    ) -> tuple[list[list[Label]], list[dict[str, float]]]:
        """Labels as :meth:`classify` plus every chain's confidence (also those below the threshold)."""
        out = []
        scores = []
        for result in self._run(texts, codes):
            labels: list[Label] = []
            for rank, (_chain, (conf, chain_labels)) in enumerate(
                sorted(result.items(), key=lambda kv: -kv[1][0])
            ):
                if conf >= (self.threshold if rank == 0 else self.secondary_threshold):
                    labels.extend(chain_labels)
            out.append(labels)
            scores.append({k: v for k, (v, _) in result.items()})
        return out, scores

    def _run(
        self, texts: Sequence[str], codes: Sequence[str | None] | None
    ) -> list[dict[str, tuple[float, list[Label]]]]:
        if codes is not None and len(codes) != len(texts):
            raise InputError(
                f"codes 与 texts 长度不同 ({len(codes)} ≠ {len(texts)}) / codes and texts differ in length"
            )
        clean_texts = [t if isinstance(t, str) else "" for t in texts]
        clean_codes = [_clean_code(c) for c in codes] if codes is not None else [None] * len(texts)
        items = [split_items(t) for t in clean_texts]
        tokens = [[tok for it in its for part in it.parts for tok in self._tokens(part)] for its in items]
        sims_all = (self._tfidf_vectors(tokens) @ self._node_matrix.T).toarray()
        results = []
        for its, code, sims in zip(items, clean_codes, sims_all, strict=True):
            ev = self._evidence(its, code, sims)
            result: dict[str, tuple[float, list[Label]]] = {}
            for chain in self.chains:
                conf = self._confidence(ev[chain.id])
                labels = self._labels(chain, ev[chain.id], conf, sims) if conf >= self.threshold else []
                result[chain.id] = (conf, labels)
            results.append(result)
        return results


def _clean_code(code: object) -> str | None:
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    text = str(code).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and len(text) == 3:
        text = "0" + text  # leading zero lost by a spreadsheet
    return text if len(text) == 4 and text.isdigit() else None


# --------------------------------------------------------------------- overrides
def _override_list(overrides: Iterable[Override] | pd.DataFrame | None) -> list[Override]:
    if overrides is None:
        return []
    if isinstance(overrides, pd.DataFrame):
        missing = {"uscc", "chain"} - set(overrides.columns)
        if missing:
            raise InputError(
                f"人工调整表缺少列 / overrides table lacks columns: {sorted(missing)}; "
                "需要 uscc, chain, [node], [action=add|remove], [note]"
            )
        out = []
        for i, row in enumerate(overrides.to_dict("records")):
            action = str(row.get("action") or "add").strip().lower()
            if action not in ("add", "remove"):
                raise InputError(
                    f"人工调整表第 {i + 1} 行 action='{action}' 无效 / row {i + 1}: action must be add or remove"
                )
            node = row.get("node")
            node = (
                None
                if node is None or (isinstance(node, float) and math.isnan(node)) or node == ""
                else str(node)
            )
            note = row.get("note")
            out.append(
                Override(
                    str(row["uscc"]).strip(),
                    str(row["chain"]).strip(),
                    node,
                    "add" if action == "add" else "remove",
                    "" if note is None or note != note else str(note),
                )
            )
        return out
    return list(overrides)


def apply_overrides(
    ids: Sequence[str],
    labels: Sequence[list[Label]],
    overrides: Iterable[Override] | pd.DataFrame | None,
    chains: ChainSet,
) -> list[list[Label]]:
    """Apply manual corrections after classification (so they survive every re-run).

    Overrides are applied in order; unknown chains or nodes raise :class:`InputError`.
    """
    result = [list(ls) for ls in labels]
    position: dict[str, list[int]] = defaultdict(list)
    for i, ident in enumerate(ids):
        position[str(ident).strip()].append(i)
    for ov in _override_list(overrides):
        chain = chains[ov.chain]
        node = chains.node(ov.chain, ov.node) if ov.node else None
        note = f": {ov.note}" if ov.note else ""
        for i in position.get(ov.uscc.strip(), []):
            if ov.action == "remove":
                result[i] = [
                    lab
                    for lab in result[i]
                    if not (lab.chain == chain.id and (node is None or lab.node == node.id))
                ]
            else:
                target = node or chain.nodes[0]
                result[i] = [
                    lab for lab in result[i] if not (lab.chain == chain.id and lab.node == target.id)
                ]
                result[i].insert(
                    0,
                    Label(
                        chain.id,
                        chain.name_zh,
                        target.id,
                        target.name_zh,
                        1.0,
                        f"人工调整 (manual override){note}",
                    ),
                )
    return result


def classify_frame(
    df: pd.DataFrame,
    text_col: str,
    code_col: str | None = None,
    id_col: str | None = None,
    *,
    classifier: Classifier | None = None,
    chains: ChainSet | None = None,
    overrides: Iterable[Override] | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Classify a table of enterprises; one output row per label, or one ``(none)`` row.

    Columns: ``id`` (the *id_col* value, or the 1-based row number), ``chain``, ``chain_name``,
    ``node``, ``node_name``, ``confidence``, ``reason``.
    """
    for col in (text_col, code_col, id_col):
        if col is not None and col not in df.columns:
            raise InputError(
                f"表中没有列 '{col}' / column '{col}' not found; 现有列 / columns: {list(map(str, df.columns))}"
            )
    if overrides is not None and id_col is None:
        raise InputError("使用人工调整时须指定 id 列 (USCC) / overrides need --id-column (the USCC)")
    if classifier is None:
        from zonebrain.chains._load import load_chains

        classifier = Classifier(chains or load_chains())
    texts = ["" if v is None or v != v else str(v) for v in df[text_col].tolist()]
    codes = df[code_col].tolist() if code_col else None
    ids = [str(v) for v in df[id_col].tolist()] if id_col else [str(i + 1) for i in range(len(df))]
    labels, scores = classifier.classify_with_scores(texts, codes)
    labels = apply_overrides(ids, labels, overrides, classifier.chains)
    rows = []
    for ident, labs, sc in zip(ids, labels, scores, strict=True):
        if not labs:
            best = max(sc.items(), key=lambda kv: kv[1]) if sc else ("", 0.0)
            reason = f"无匹配产业链 / no chain ≥ {classifier.threshold}"
            if best[1] > 0:
                reason += f"; 最接近 / closest: {best[0]} {best[1]:.2f}"
            rows.append((ident, NO_CHAIN, "无 (no chain)", "", "", 0.0, reason))
        for lab in labs:
            rows.append(
                (ident, lab.chain, lab.chain_name, lab.node, lab.node_name, lab.confidence, lab.reason)
            )
    return pd.DataFrame(
        rows, columns=["id", "chain", "chain_name", "node", "node_name", "confidence", "reason"]
    )
