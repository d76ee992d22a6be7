"""Small edits to a :class:`Library` for what-if scenarios, never touching the files on disk.

Each helper returns a new library; the models are frozen, so edits are new pydantic models built
with ``model_copy`` (their parts validated first: amounts with units, rates as ``2%``). A clause is
named ``policy_id/clause_id``. Larger edits: :func:`replace_from_yaml` takes the edited text of a
whole ``*.policy.yaml`` or ``*.family.yaml`` and validates it exactly as a file is on load.

>>> from zonebrain.policy import load_library
>>> lib = set_threshold(load_library(), "zz-revenue-breakthrough/reach-10m", "800万", old="1000万")
>>> [leaf.value for leaf in clause(lib, "zz-revenue-breakthrough/reach-10m").when.leaves()]
['800万', '800万']
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import yaml

from zonebrain.core.errors import InputError
from zonebrain.core.yamlfile import syntax_error_text
from zonebrain.policy._format import (
    COUNT_FACTS,
    MONEY_FACTS,
    SCENARIO,
    Amount,
    Budget,
    Clause,
    Condition,
    Family,
    Policy,
    Tier,
    check_tiers,
    fact_value,
)
from zonebrain.policy._library import Library, PolicyFileError, load_family, load_policy

COMPARISONS = (">=", ">", "<=", "<", "==", "!=")


def _locate(lib: Library, target: str) -> tuple[Policy, int]:
    pid, _, cid = target.partition("/")
    p = lib.policies.get(pid)
    if p is None:
        raise InputError(f"未知政策 '{pid}' (unknown policy); 可用 / available: {sorted(lib.policies)}")
    for i, c in enumerate(p.clauses):
        if c.id == cid:
            return p, i
    raise InputError(
        f"政策 {pid} 没有条款 '{cid}' (no such clause); 可用 / available: {[c.id for c in p.clauses]}"
    )


def clause(lib: Library, target: str) -> Clause:
    """The clause named ``policy_id/clause_id``."""
    p, i = _locate(lib, target)
    return p.clauses[i]


def with_policy(lib: Library, policy: Policy) -> Library:
    """*lib* with *policy* added or replaced (its family must be in *lib*)."""
    if policy.family is not None and policy.family not in lib.families:
        raise InputError(
            f"政策族 '{policy.family}' 不存在 (unknown family); 可用 / available: {sorted(lib.families)}"
        )
    return Library(dict(lib.families), {**lib.policies, policy.id: policy})


def with_family(lib: Library, family: Family) -> Library:
    """*lib* with *family* added or replaced."""
    return Library({**lib.families, family.id: family}, dict(lib.policies))


def _with_clause(lib: Library, target: str, edit: Callable[[Clause], Clause]) -> Library:
    p, i = _locate(lib, target)
    clauses = list(p.clauses)
    clauses[i] = edit(clauses[i])
    return with_policy(lib, p.model_copy(update={"clauses": tuple(clauses)}))


def _validated(
    model: type[pydantic.BaseModel], data: Mapping[str, Any], what: str, context: dict[str, Any] | None = None
) -> Any:
    try:
        return model.model_validate(dict(data), context=context)
    except pydantic.ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise InputError(f"{what} 无效 (invalid): {problems}") from None


def set_amount(lib: Library, target: str, amount: Amount | Mapping[str, Any]) -> Library:
    """Replace a clause's amount, given as an :class:`Amount` or in the YAML shape
    (``{"fixed": "15万"}``, ``{"rate": "3%", "of": "rd_expense_fen", "cap": "80万"}``); a missing
    ``ref`` keeps the old amount's reference."""
    if isinstance(amount, Amount):
        new = amount
    else:
        old = clause(lib, target).amount
        new = _validated(Amount, {"ref": old.ref.text(), **amount}, f"{target} 的金额 amount")
    policy = lib.policies[target.partition("/")[0]]
    used = {p for p in (new.fixed_param, new.rate_param, new.cap_param) if p}
    if used - set(policy.parameters):
        raise InputError(
            f"{target}: 未声明的参数 (undeclared parameters) {sorted(used - set(policy.parameters))}"
        )
    return _with_clause(lib, target, lambda c: c.model_copy(update={"amount": new}))


def set_tiers(
    lib: Library, target: str, tiers: Sequence[Tier | Mapping[str, Any]], *, mode: str | None = None
) -> Library:
    """Replace the tier table of a clause's amount (each bracket in the YAML shape or a :class:`Tier`)."""
    old = clause(lib, target).amount
    if old.tiers is None:
        raise InputError(f"{target} 的金额不是阶梯表 (the amount has no tier table); 请用 set_amount")
    new = tuple(t if isinstance(t, Tier) else _validated(Tier, t, f"{target} 的阶梯 tier") for t in tiers)
    if not new:
        raise InputError(f"{target}: 阶梯表不能为空 (a tier table needs at least one bracket)")
    if mode not in (None, "single", "marginal"):
        raise InputError(f"阶梯方式 mode 须为 single 或 marginal (got {mode!r})")
    amount = old.model_copy(update={"tiers": new, "mode": mode or old.mode})
    try:  # the load's checks: no gap, no overlap, each bracket paying what its mode reads
        check_tiers(amount.tiers or (), amount.mode == "single", amount.of in MONEY_FACTS)
    except ValueError as exc:
        raise InputError(f"{target} 的阶梯表无效 (invalid tier table): {exc}") from None
    return _with_clause(lib, target, lambda c: c.model_copy(update={"amount": amount}))


def _same(fact: str, a: Any, b: Any) -> bool:
    return bool(fact_value(fact, a) == fact_value(fact, b))


def set_threshold(
    lib: Library, target: str, value: Any, *, fact: str | None = None, old: Any = None
) -> Library:
    """Change the value a clause's conditions compare a fact with (``revenue_fen >= 1000万`` →
    ``800万``): every comparison leaf of the clause with a literal value, only those on *fact*
    and/or equal to *old* when given. A leaf comparing with a parameter is changed by a
    parameter override instead (``what_if(parameters={"zz-rd-input.threshold": "400万"})``)."""
    hits: list[str] = []

    def edit(leaf: Condition) -> Condition:
        if leaf.fact is None or leaf.op not in COMPARISONS or leaf.value is None:
            return leaf
        if fact is not None and leaf.fact != fact:
            return leaf
        if old is not None and not _same(leaf.fact, leaf.value, old):
            return leaf
        try:  # a head count as an integer ("80" → 80), money as written (the engine reads it in fen)
            read = fact_value(leaf.fact, value)
            given = read if leaf.fact in COUNT_FACTS else value
        except ValueError as exc:
            raise InputError(f"{target}: 门槛 {value!r} 无效 (invalid threshold): {exc}") from None
        hits.append(leaf.fact)
        return leaf.model_copy(update={"value": given})

    lib = _with_clause(lib, target, lambda c: c.model_copy(update={"when": c.when.map_leaves(edit)}))
    if not hits:
        params = [x.param for x in clause(lib, target).when.leaves() if x.param]
        hint = f"; 参数条件请用参数覆盖 / use a parameter override for {params}" if params else ""
        raise InputError(f"{target}: 没有可改的比较条件 (no comparison with a literal value matches){hint}")
    return lib


BUDGET_RULES: dict[str, str] = {"pro_rata": "按比例分配", "ranking": "按金额排序分配"}
"""How a budget pool shares out when requests exceed it, with the name people read."""


def check_budget_rule(rule: str | None) -> None:
    """A pool rule other than those of :data:`BUDGET_RULES` is an :class:`InputError` listing them."""
    if rule is not None and rule not in BUDGET_RULES:
        choices = "、".join(f"{zh} ({en})" for en, zh in BUDGET_RULES.items())
        raise InputError(f"未知的预算分配方式 '{rule}' (unknown budget rule); 可选 / choose: {choices}")


def set_budget(
    lib: Library,
    family_id: str,
    pool: str | int | None = None,
    *,
    rule: str | None = None,
    members: Sequence[str] | None = None,
    ref: str | None = None,
) -> Library:
    """Set (or add) a family's budget pool: *pool* with a unit (``"1000万"``) or int fen, *rule*
    ``pro_rata``/``ranking``, *members* ``policy/clause`` or ``policy/*``. What is not given is kept
    from the existing pool; a new pool defaults to ``pro_rata`` over every policy of the family,
    cited under *ref* when given, else under none: the document sets no pool, so no clause of it is
    cited for one (the what-if shows 情景新增)."""
    check_budget_rule(rule)
    fam = lib.families.get(family_id)
    if fam is None:
        raise InputError(
            f"未知政策族 '{family_id}' (unknown family); 可用 / available: {sorted(lib.families)}"
        )
    old = fam.budget
    if pool is None and old is None:
        raise InputError(
            f"政策族 {family_id} 没有预算池, 请给出金额 (no pool yet: give its size, e.g. 1000万)"
        )
    size: Any = f"{pool}分" if isinstance(pool, int) and not isinstance(pool, bool) else pool
    spec = {
        "ref": ref or (old.ref_text() if old is not None else None),
        "pool": size if size is not None else f"{old.pool}分",  # type: ignore[union-attr]
        "rule": rule or (old.rule if old is not None else "pro_rata"),
        "members": list(members)
        if members
        else list(old.members)
        if old is not None
        else [f"{p.id}/*" for p in lib.policies.values() if p.family == family_id],
    }
    budget = _validated(Budget, spec, f"政策族 {family_id} 的预算池 budget", SCENARIO)
    return with_family(lib, fam.model_copy(update={"budget": budget}))


def set_interpretation(lib: Library, policy_id: str, name: str, value: str) -> Library:
    """Switch a named interpretation (e.g. ``multi_threshold`` → ``cumulative``)."""
    p = lib.policies.get(policy_id)
    if p is None:
        raise InputError(f"未知政策 '{policy_id}' (unknown policy); 可用 / available: {sorted(lib.policies)}")
    try:
        p.check_interpretation(name, value)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return with_policy(lib, p.model_copy(update={"interpretations": {**p.interpretations, name: value}}))


def replace_from_yaml(lib: Library, text: str, name: str = "edited.yaml") -> Library:
    """*lib* with one policy or family replaced by (or added from) edited YAML *text*, validated
    exactly as a file on load (errors name the line); *name* is shown in those errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyFileError(syntax_error_text(name, exc)) from None
    if not isinstance(data, dict) or not ({"clauses", "eligibility"} & set(data)):
        raise PolicyFileError(
            f"{name}: 既不是政策 (clauses) 也不是政策族 (eligibility) (neither a policy nor a family)"
        )
    with tempfile.TemporaryDirectory(prefix="zonebrain-whatif-") as folder:
        path = Path(folder) / Path(name).name
        path.write_text(text, encoding="utf-8")
        if "clauses" in data:
            return with_policy(lib, load_policy(path))
        return with_family(lib, load_family(path))
