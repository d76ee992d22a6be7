"""Loading policy files: one family or policy per YAML file, validated with line-numbered errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from zonebrain.core.errors import InputError
from zonebrain.core.yamlfile import load_yaml_model
from zonebrain.policy._format import Family, Policy

LIBRARY = Path(__file__).with_name("library")
"""The built-in policies (``*.policy.yaml``), families (``*.family.yaml``) and cases (``*.cases.yaml``)."""


class PolicyFileError(InputError):
    """A policy, family or case file is invalid; the message gives file:line for each problem."""


def load_policy(path: Path) -> Policy:
    return load_yaml_model(path, Policy, PolicyFileError)


def load_family(path: Path) -> Family:
    return load_yaml_model(path, Family, PolicyFileError)


@dataclass(frozen=True)
class Library:
    """Families and policies by id; every policy's family must be present."""

    families: dict[str, Family] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)

    def select(self, ids: list[str] | None) -> Library:
        if not ids:
            return self
        unknown = sorted(set(ids) - set(self.policies))
        if unknown:
            raise InputError(
                f"未知政策 {unknown} (unknown policies); 可用 / available: {sorted(self.policies)}"
            )
        return Library(self.families, {i: self.policies[i] for i in ids})


def load_library(folder: Path | None = None) -> Library:
    """Every ``*.family.yaml`` and ``*.policy.yaml`` under *folder* (default: the built-in library)."""
    folder = folder or LIBRARY
    families = {f.id: f for f in map(load_family, sorted(folder.rglob("*.family.yaml")))}
    policies: dict[str, Policy] = {}
    for path in sorted(folder.rglob("*.policy.yaml")):
        p = load_policy(path)
        if p.id in policies:
            raise PolicyFileError(f"{path}: 政策 id '{p.id}' 重复 (duplicate policy id); 请改名")
        if p.family is not None and p.family not in families:
            raise PolicyFileError(
                f"{path}: 政策族 '{p.family}' 不存在 (unknown family); 可用 / available: {sorted(families)}"
            )
        policies[p.id] = p
    return Library(families, policies)
