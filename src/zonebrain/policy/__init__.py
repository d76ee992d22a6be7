"""policy/: policy rules → eligibility, amounts and traces (政策链、免申即享).

Policies are data: YAML files (``library/``, format in ``docs/policy.md``) validated on load with
errors that give the line. :func:`evaluate` compiles each policy's conditions into one set-based
Ibis query over the warehouse (DuckDB, PostgreSQL or Spark), three-valued: a missing fact makes a
result 待核实 (``undetermined``) and names the field, never a silent no. Amounts are exact integer
fen; every result carries a JSON trace of each condition with its clause reference, the values and
parameters used. :func:`run_policies` records a reproducible run (as-of date, policy and parameter
hashes, data batches). :func:`run_cases` runs the YAML test cases beside each policy; :func:`lint`
is the fair-competition review; :func:`self_check` is the enterprise self-check (the provisional
warning for a year not over yet comes back with its results: :func:`self_check_provisional`).
"""

from zonebrain.policy._cases import (
    Form,
    Outcome,
    PeriodRefused,
    load_firms,
    run_case_file,
    run_cases,
    self_check,
    self_check_period,
    self_check_provisional,
    with_outcomes,
)
from zonebrain.policy._coverage import (
    FACT_SOURCES,
    Coverage,
    FactSource,
    Stake,
    coverage,
    coverage_rows,
    missing_fields_zh,
)
from zonebrain.policy._edit import (
    replace_from_yaml,
    set_amount,
    set_budget,
    set_interpretation,
    set_threshold,
    set_tiers,
)
from zonebrain.policy._evaluate import NoPayments, PaidList, PaymentHistory, evaluate
from zonebrain.policy._explain import Explained, ExplainedCondition, explain
from zonebrain.policy._format import Amount, Clause, Condition, Family, Group, Parameter, Policy, Tier
from zonebrain.policy._library import (
    LIBRARY,
    Library,
    PolicyFileError,
    load_family,
    load_library,
    load_policy,
)
from zonebrain.policy._lint import RULES, Finding, lint
from zonebrain.policy._notes import RecordedPayments
from zonebrain.policy._period import (
    absent_reason,
    check_as_of,
    not_future,
    provisional,
    provisional_text,
    registered_after_text,
)
from zonebrain.policy._run import RunResult, canonical_hash, load_results, run_policies
from zonebrain.policy._store import results_table
from zonebrain.policy._whatif import MOVE_FIELDS, MOVED, WhatIf, what_if

__all__ = [
    "FACT_SOURCES",
    "LIBRARY",
    "MOVED",
    "MOVE_FIELDS",
    "RULES",
    "Amount",
    "Clause",
    "Condition",
    "Coverage",
    "Explained",
    "ExplainedCondition",
    "FactSource",
    "Family",
    "Finding",
    "Form",
    "Group",
    "Library",
    "NoPayments",
    "Outcome",
    "PaidList",
    "Parameter",
    "PaymentHistory",
    "PeriodRefused",
    "Policy",
    "PolicyFileError",
    "RecordedPayments",
    "RunResult",
    "Stake",
    "Tier",
    "WhatIf",
    "absent_reason",
    "canonical_hash",
    "check_as_of",
    "coverage",
    "coverage_rows",
    "evaluate",
    "explain",
    "lint",
    "load_family",
    "load_firms",
    "load_library",
    "load_policy",
    "load_results",
    "missing_fields_zh",
    "not_future",
    "provisional",
    "provisional_text",
    "registered_after_text",
    "replace_from_yaml",
    "results_table",
    "run_case_file",
    "run_cases",
    "run_policies",
    "self_check",
    "self_check_period",
    "self_check_provisional",
    "set_amount",
    "set_budget",
    "set_interpretation",
    "set_threshold",
    "set_tiers",
    "what_if",
    "with_outcomes",
]
