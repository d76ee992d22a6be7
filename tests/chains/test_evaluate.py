"""The labelled set and the classifier's scores on it (dev half and held-out half)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from zonebrain.chains import ChainSet, Classifier, evaluate, read_labelled
from zonebrain.core.errors import InputError

#: Held-out micro-F1 was 0.980 when first measured; the brief's bar is 0.85.
HELDOUT_MIN_MICRO_F1 = 0.85


@pytest.fixture(scope="module")
def labelled(labelled_path: Path) -> pd.DataFrame:
    return read_labelled(labelled_path)


def test_labelled_set_shape(labelled: pd.DataFrame, chains: ChainSet) -> None:
    assert len(labelled) >= 300
    assert labelled["id"].is_unique
    assert set(labelled["split"]) == {"dev", "heldout"}
    per_chain = {c: 0 for c in chains.ids}
    for value in labelled["chains"]:
        for c in filter(None, value.split(";")):
            per_chain[c] += 1
    assert all(n >= 35 for n in per_chain.values()), per_chain
    assert (labelled["chains"] == "").sum() >= 60
    for split in ("dev", "heldout"):
        part = labelled[labelled["split"] == split]
        assert (part["chains"] == "").sum() >= 25
        for c in chains.ids:
            assert part["chains"].str.contains(c, regex=False).sum() >= 15, (split, c)


def test_dev_scores(labelled: pd.DataFrame, classifier: Classifier) -> None:
    report = evaluate(labelled, classifier=classifier, split="dev")
    assert report.micro_f1 >= 0.9
    assert all(c.f1 >= 0.8 for c in report.per_chain)
    assert report.none_correct == report.n_none


def test_heldout_scores(labelled: pd.DataFrame, classifier: Classifier) -> None:
    report = evaluate(labelled, classifier=classifier, split="heldout")
    assert report.micro_f1 >= HELDOUT_MIN_MICRO_F1
    assert all(c.f1 >= 0.8 for c in report.per_chain)
    frame = report.to_frame()
    assert list(frame["chain"])[-1] == "micro"
    assert frame["f1"].between(0, 1).all()


def test_evaluate_rejects_unknown_chain_and_split(classifier: Classifier) -> None:
    bad = pd.DataFrame({"id": ["1"], "text": ["x"], "chains": ["no-such-chain"], "split": ["dev"]})
    with pytest.raises(InputError, match="unknown chain"):
        evaluate(bad, classifier=classifier)
    with pytest.raises(InputError, match="split"):
        evaluate(bad, classifier=classifier, split="test")


def test_read_labelled_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_labelled(tmp_path / "missing.csv")
    path = tmp_path / "bad.csv"
    path.write_text("id,text\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="chains"):
        read_labelled(path)
