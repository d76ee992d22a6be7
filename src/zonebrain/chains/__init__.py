"""产业链 / Industry chains: chain definitions as data, and the enterprise → chain-node classifier.

Chains are YAML files (schema in docs/chains.md): built-ins ship in ``zonebrain/chains/builtin``;
users add their own folder::

    from zonebrain.chains import load_chains, Classifier, classify_frame
    chains = load_chains(Path("my_chains"))        # built-ins + my_chains/*.yaml
    labels = Classifier(chains).classify(["MEMS压力传感器的研发、生产"], codes=["3983"])
    table = classify_frame(df, "经营范围", code_col="行业代码", id_col="uscc", overrides=manual)
"""

from zonebrain.chains._classify import NO_CHAIN, Classifier, Label, Override, apply_overrides, classify_frame
from zonebrain.chains._evaluate import ChainScore, EvaluationReport, evaluate, read_labelled
from zonebrain.chains._load import ChainError, ChainFileError, ChainSet, load_chains, validate_chain_dir
from zonebrain.chains._membership import MembershipRun, classify_zone, set_override, stored_overrides
from zonebrain.chains._schema import ChainSpec, EdgeSpec, NodeSpec, Stage

__all__ = [
    "NO_CHAIN",
    "ChainError",
    "ChainFileError",
    "ChainScore",
    "ChainSet",
    "ChainSpec",
    "Classifier",
    "EdgeSpec",
    "EvaluationReport",
    "Label",
    "MembershipRun",
    "NodeSpec",
    "Override",
    "Stage",
    "apply_overrides",
    "classify_frame",
    "classify_zone",
    "evaluate",
    "load_chains",
    "read_labelled",
    "set_override",
    "stored_overrides",
    "validate_chain_dir",
]
