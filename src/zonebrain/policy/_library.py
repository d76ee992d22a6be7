"""Loading policy files: one family or policy per YAML file, validated with line-numbered errors."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zonebrain.core.errors import InputError
from zonebrain.core.yamlfile import load_yaml_model, load_yaml_model_with_lines
from zonebrain.policy._format import Family, Policy

LIBRARY = Path(__file__).with_name("library")
"""The built-in policies (``*.policy.yaml``), families (``*.family.yaml``) and cases (``*.cases.yaml``)."""


class PolicyFileError(InputError):
    """A policy, family or case file is invalid; the message gives file:line for each problem."""


def ledger_period(lib: Library, period: int) -> Callable[[str, str], str]:
    """The payment ledger's period of a clause's award in *period*, by (policy, clause): ``once``
    for a one-time award (paid once, in any year), else the year: the one rule every reader of the
    ledger's keys (uscc, policy, clause, period) follows."""
    once = {(p.id, c.id) for p in lib.policies.values() for c in p.clauses if c.once}
    year = str(period)
    return lambda policy_id, clause_id: "once" if (policy_id, clause_id) in once else year


def load_policy(path: Path) -> Policy:
    """The policy in *path*; each parameter knows its line, for an error naming it should a
    period be evaluated that no value of the parameter covers (``Parameter.at``)."""
    policy, index = load_yaml_model_with_lines(path, Policy, PolicyFileError)
    for name, param in policy.parameters.items():
        param.place(where=f"{path}:{index.line_of(('parameters', name))}")
    return policy


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
    """Every ``*.family.yaml`` and ``*.policy.yaml`` under *folder* (default: the built-in library).

    Checked as a whole too: the folder holds at least one policy, every policy's family exists,
    and every member a family's groups, cap or budget pool names (``policy/clause`` or
    ``policy/*``) is a clause of the library, or a policy absent from the folder whose id is not
    close to one present nor the start of one: a typo would otherwise switch a 从高从优 rule off
    without a word.
    """
    folder = folder or LIBRARY
    if not folder.is_dir():
        raise PolicyFileError(f"{folder}: 政策目录不存在 (no such policy folder); 请检查 --dir")
    family_files = {path: load_family(path) for path in sorted(folder.rglob("*.family.yaml"))}
    families = {f.id: f for f in family_files.values()}
    policies: dict[str, Policy] = {}
    for path in sorted(folder.rglob("*.policy.yaml")):
        p = load_policy(path)
        if p.id in policies:
            raise PolicyFileError(f"{path}: 政策 id '{p.id}' 重复 (duplicate policy id); 请改名")
        if p.family is not None and p.family not in families:
            raise PolicyFileError(
                f"{path}:{_line_of(path, 'family:')}: 政策族 '{p.family}' 不存在 (unknown family); "
                f"可用 / available: {sorted(families)}"
            )
        policies[p.id] = p
    if not policies:
        raise PolicyFileError(f"{folder}: 目录中没有 *.policy.yaml 政策文件 (no policy files in the folder)")
    for path, fam in family_files.items():
        named = [m for g in fam.groups for m in g.members]
        named += [m for spec in (fam.enterprise_cap, fam.budget) if spec is not None for m in spec.members]
        for m in named:
            pid, _, cid = m.partition("/")
            pol = policies.get(pid)
            # a policy of the family may be absent from a folder on purpose (one policy copied out to
            # test); a name close to one that is present, or the start of one (zz-zjtx for
            # zz-zjtx-award: QA, a 从高从优 group silently off), is a typo
            typo = pol is None and _near(pid, list(policies))
            if typo or (pol is not None and cid != "*" and cid not in {c.id for c in pol.clauses}):
                known = sorted(f"{x.id}/{c.id}" for x in policies.values() for c in x.clauses)
                raise PolicyFileError(
                    f"{path}:{_line_of(path, m)}: 成员 '{m}' 不是本目录中的政策条款 (names no policy clause); "
                    f"写成 政策/条款 或 政策/* / write policy/clause or policy/*; 可用 / available: {known}"
                )
    return Library(families, policies)


def _near(name: str, ids: list[str]) -> bool:
    """Whether *name* is close to one of *ids* (difflib, 0.6), or one starts with the other."""
    if any(i.startswith(name) or name.startswith(i) for i in ids):
        return True
    return bool(difflib.get_close_matches(name, ids, n=1, cutoff=0.6))


def _line_of(path: Path, text: str) -> int:
    """The first line of *path* containing *text* (1 when none does: the error is about the file)."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return n
    return 1
