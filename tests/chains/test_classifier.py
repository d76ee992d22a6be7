"""Classifier behaviour: reasons, codes, multi-label, no-chain texts, overrides, frames, speed."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from zonebrain.chains import NO_CHAIN, ChainSet, Classifier, Override, apply_overrides, classify_frame
from zonebrain.core.errors import InputError

NONE_TEXTS = [
    "餐饮服务；食品经营（销售预包装食品）；酒类经营",
    (
        "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；日用百货销售；五金产品零售；"
        "建筑材料销售（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
    ),
    "房屋建筑工程施工；市政公用工程施工；劳务分包；建筑材料销售",
    "物业管理；停车场服务；家政服务；保洁服务",
    "普通货物道路运输；仓储服务；装卸搬运；国内货物运输代理",
    "",
]


def test_reason_names_keyword_and_node(classifier: Classifier) -> None:
    [labels] = classifier.classify(["MEMS压力传感器的研发、生产和销售；货物进出口"])
    assert labels and labels[0].chain == "intelligent-sensors"
    reasons = " ".join(lab.reason for lab in labels)
    assert "经营范围含'压力传感器' → 压力与力学传感器" in reasons
    assert all(0.0 < lab.confidence <= 1.0 for lab in labels)


def test_reason_names_industry_code(classifier: Classifier) -> None:
    [labels] = classifier.classify(["敏感元件制造；电子元器件销售"], codes=["3983"])
    assert labels and labels[0].chain == "intelligent-sensors"
    assert any("行业代码 3983 敏感元件及传感器制造 ∈ 节点" in lab.reason for lab in labels)


def test_code_alone_gives_moderate_confidence(classifier: Classifier) -> None:
    strong = classifier.scores(["气体传感器研发生产"], ["3983"])[0]["intelligent-sensors"]
    weak = classifier.scores(["电子元件制造"], ["3983"])[0]["intelligent-sensors"]
    assert strong > weak > 0


@pytest.mark.parametrize("text", NONE_TEXTS)
def test_no_chain_texts_get_no_label(classifier: Classifier, text: str) -> None:
    assert classifier.classify([text]) == [[]]


def test_generic_software_item_in_a_trading_scope_is_not_enough(classifier: Classifier) -> None:
    text = "日用百货销售；五金产品零售；建筑材料销售；软件开发；办公用品销售；家用电器销售；服装服饰零售"
    assert classifier.classify([text]) == [[]]


def test_longer_term_wins_over_generic_overlap(classifier: Classifier) -> None:
    [labels] = classifier.classify(["网络与信息安全软件开发；等级保护测评；商用密码产品销售"])
    assert {lab.chain for lab in labels} == {"cybersecurity"}


def test_multi_label(classifier: Classifier) -> None:
    [labels] = classifier.classify(["云计算服务；数据中心运营；云安全防护服务；网络安全等级保护咨询"])
    assert {lab.chain for lab in labels} == {"computing-digital", "cybersecurity"}


def test_latin_terms_need_word_boundaries(classifier: Classifier) -> None:
    # "ai" must not be found inside "email", nor "cro" inside "micro".
    assert classifier.classify(["email营销服务；micro餐饮管理"]) == [[]]


def test_full_width_and_qualifiers(classifier: Classifier) -> None:
    [labels] = classifier.classify(["ＧＮＳＳ接收机（不含卫星电视广播地面接收设施）研发、销售"])
    assert labels[0].chain == "beidou-navigation"


def test_invalid_arguments(chains: ChainSet, classifier: Classifier) -> None:
    with pytest.raises(InputError):
        Classifier(chains, threshold=0)
    with pytest.raises(InputError):
        classifier.classify(["a", "b"], codes=["3983"])


def test_overrides_add_and_remove_survive_reruns(classifier: Classifier, chains: ChainSet) -> None:
    ids = ["91410100MA0000001X", "91410100MA0000002X"]
    texts = ["北斗高精度定位终端研发；测绘服务", "餐饮服务；小吃服务"]
    overrides = [
        Override(ids[0], "beidou-navigation", action="remove", note="实为贸易商"),
        Override(ids[1], "biomedicine", "tcm", "add", note="中药食疗, 经核实"),
    ]
    for _ in range(2):  # a re-run gives the same corrected result
        labels = apply_overrides(ids, classifier.classify(texts), overrides, chains)
        assert labels[0] == []
        assert [(lab.chain, lab.node, lab.confidence) for lab in labels[1]] == [("biomedicine", "tcm", 1.0)]
        assert "人工调整" in labels[1][0].reason and "经核实" in labels[1][0].reason


def test_override_remove_single_node_keeps_others(classifier: Classifier, chains: ChainSet) -> None:
    texts = ["人造金刚石、金刚石微粉、立方氮化硼的生产与销售"]
    before = classifier.classify(texts)[0]
    assert len(before) >= 2
    removed = before[0].node
    after = apply_overrides(
        ["x"], [before], [Override("x", "superhard-materials", removed, "remove")], chains
    )[0]
    assert removed not in {lab.node for lab in after}
    assert len(after) == len(before) - 1


def test_override_unknown_node_is_input_error(classifier: Classifier, chains: ChainSet) -> None:
    with pytest.raises(InputError, match="no node"):
        apply_overrides(["x"], [[]], [Override("x", "biomedicine", "nope")], chains)
    with pytest.raises(InputError, match="unknown chain"):
        apply_overrides(["x"], [[]], [Override("x", "nope")], chains)


def test_classify_frame_with_overrides_table(classifier: Classifier) -> None:
    df = pd.DataFrame(
        {
            "uscc": ["A1", "A2", "A3"],
            "scope": ["体外诊断试剂研发生产；第二类医疗器械销售", "餐饮服务", "防火墙、入侵检测设备研发生产"],
            "code": ["2761", "6210", None],
        }
    )
    manual = pd.DataFrame(
        {"uscc": ["A3"], "chain": ["cybersecurity"], "node": [""], "action": ["remove"], "note": [""]}
    )
    out = classify_frame(df, "scope", code_col="code", id_col="uscc", classifier=classifier, overrides=manual)
    assert list(out.columns) == ["id", "chain", "chain_name", "node", "node_name", "confidence", "reason"]
    assert set(out.loc[out["id"] == "A1", "chain"]) == {"biomedicine"}
    assert list(out.loc[out["id"] == "A2", "chain"]) == [NO_CHAIN]
    assert list(out.loc[out["id"] == "A3", "chain"]) == [NO_CHAIN]  # removed by hand
    assert out["confidence"].between(0, 1).all()


def test_classify_frame_errors(classifier: Classifier) -> None:
    df = pd.DataFrame({"scope": ["x"]})
    with pytest.raises(InputError, match="not found"):
        classify_frame(df, "text", classifier=classifier)
    with pytest.raises(InputError, match="id-column"):
        classify_frame(df, "scope", classifier=classifier, overrides=[])
    with pytest.raises(InputError, match="action"):
        classify_frame(
            df.assign(u="1"),
            "scope",
            id_col="u",
            classifier=classifier,
            overrides=pd.DataFrame({"uscc": ["1"], "chain": ["biomedicine"], "action": ["delete"]}),
        )


def test_row_numbers_without_id_column(classifier: Classifier) -> None:
    out = classify_frame(pd.DataFrame({"t": ["餐饮服务", "餐饮服务"]}), "t", classifier=classifier)
    assert list(out["id"]) == ["1", "2"]


def test_global_jieba_dictionary_untouched(classifier: Classifier) -> None:
    from zonebrain.chains._text import _jieba  # the package's guarded import of jieba

    classifier.classify(["MEMS压力传感器"])
    assert "等保测评" not in _jieba().dt.FREQ


def test_a_batch_is_classified_as_each_text_alone(classifier: Classifier, labelled_path: Path) -> None:
    """A batch keeps its order and gives each text the labels it gets alone (the batch shares its
    token work across texts). Speed is measured in benchmarks, never asserted here."""
    items = [p for t in pd.read_csv(labelled_path)["text"] for p in str(t).split("；")]
    rng = random.Random(7)
    texts = ["；".join(rng.sample(items, rng.randint(3, 9))) for _ in range(2_000)]
    out = classifier.classify(texts)
    assert len(out) == 2_000 and any(out) and not all(out)
    for i in rng.sample(range(2_000), 25):
        assert classifier.classify([texts[i]]) == [out[i]], texts[i]
