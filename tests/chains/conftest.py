from __future__ import annotations

from pathlib import Path

import pytest

from zonebrain.chains import ChainSet, Classifier, load_chains

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def chains() -> ChainSet:
    return load_chains()


@pytest.fixture(scope="session")
def classifier(chains: ChainSet) -> Classifier:
    return Classifier(chains)


@pytest.fixture(scope="session")
def labelled_path() -> Path:
    return DATA / "labelled_scopes.csv"
