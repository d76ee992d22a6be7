"""统一社会信用代码 (unified social credit code, GB 32100-2015).

Layout of the 18 characters::

    9  1  410172  MA44XXXX 7  Q
    │  │  │       │        │  └ 18: check character over positions 1-17 (mod 31)
    │  │  │       │        └ 17: GB 11714 organisation-code check digit over 9-16 (mod 11)
    │  │  │       └ 9-16: organisation code body
    │  │  └ 3-8: division code of the registering authority
    │  └ 2: entity type (for authority 9: 1 企业, 2 个体工商户, 3 农民专业合作社)
    └ 1: registration authority (1 机构编制, 5 民政, 9 市场监管, Y 其他 …)

>>> USCC.parse("91350503MA31DKY80A").division_code
'350503'
>>> USCC.parse("91110000600037341l")
USCC('91110000600037341L')
>>> USCC.parse("91110000600037341M")
Traceback (most recent call last):
...
zonebrain.core.errors.USCCError: 统一社会信用代码 '91110000600037341M' 的第18位校验码应为 'L'，实为 'M' (check character should be 'L', got 'M'); 请核对原始证照 / check the licence
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.errors import USCCError

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters GB 32100 allows (no I, O, S, V, Z)."""

CHECK_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

AUTHORITIES: Final = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "市场监管",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}

_VALUE = {c: i for i, c in enumerate(ALPHABET)}

RULES: Final = {
    "length": "长度应为18位 (must be 18 characters)",
    "alphabet": "含不允许的字符 (contains a character outside 0-9 and A-Y without I, O, S, V, Z)",
    "authority": "第1位登记管理部门代码无效 (position 1 is not a registration authority code)",
    "division": "第3-8位应为6位数字的行政区划代码 (positions 3-8 must be a 6-digit division code)",
    "org_check": "第17位组织机构代码校验码错误 (organisation-code check digit at position 17 is wrong)",
    "check": "第18位校验码错误 (check character at position 18 is wrong)",
}
"""Each rule a code can break, with its message; the order is the order of checking."""


def _org_char_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - 55


def org_check_digit(body: str) -> str:
    """GB 11714 check digit for an 8-character organisation-code body (A=10 … Z=35)."""
    total = sum(_org_char_value(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def check_character(first17: str) -> str:
    """GB 32100 check character for the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, CHECK_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def broken_rule(code: str) -> tuple[str, str] | None:
    """Return ``(rule, expected)`` for the first rule *code* breaks, or None when it is valid.

    *expected* is the correct character for the check rules and "" otherwise.
    """
    if len(code) != 18:
        return ("length", "")
    if any(c not in _VALUE for c in code):
        return ("alphabet", "")
    if code[0] not in AUTHORITIES:
        return ("authority", "")
    if not code[2:8].isdigit():
        return ("division", "")
    expected_org = org_check_digit(code[8:16])
    if code[16] != expected_org:
        return ("org_check", expected_org)
    expected = check_character(code[:17])
    if code[17] != expected:
        return ("check", expected)
    return None


def describe_problem(code: str) -> str:
    """A bilingual message saying which rule *code* breaks and what to do ("" when valid)."""
    problem = broken_rule(code)
    if problem is None:
        return ""
    rule, expected = problem
    if rule == "check":
        return (
            f"统一社会信用代码 '{code}' 的第18位校验码应为 '{expected}'，实为 '{code[17]}' "
            f"(check character should be '{expected}', got '{code[17]}'); 请核对原始证照 / check the licence"
        )
    if rule == "org_check":
        return (
            f"统一社会信用代码 '{code}' 的第17位组织机构代码校验码应为 '{expected}'，实为 '{code[16]}' "
            f"(organisation-code check digit should be '{expected}', got '{code[16]}'); "
            "请核对原始证照 / check the licence"
        )
    if rule == "length":
        return (
            f"统一社会信用代码 '{code}' {RULES[rule]}，实为 {len(code)} 位 (got {len(code)}); "
            "请检查是否多录或漏录字符 / check for missing or extra characters"
        )
    if rule == "alphabet":
        bad = sorted({c for c in code if c not in _VALUE})
        return (
            f"统一社会信用代码 '{code}' {RULES[rule]}: {''.join(bad)!r}; "
            "常见原因: 字母O与数字0、字母I与数字1混淆 / O and I are often typed for 0 and 1"
        )
    return f"统一社会信用代码 '{code}' {RULES[rule]}; 请核对原始证照 / check the licence"


@dataclass(frozen=True, slots=True)
class USCC:
    """A valid 统一社会信用代码. Build it with :meth:`parse`, which says which rule failed."""

    code: str

    @classmethod
    def parse(cls, text: str) -> USCC:
        """Parse *text* (surrounding blanks dropped, letters upper-cased) or raise :class:`USCCError`."""
        code = text.strip().upper()
        problem = broken_rule(code)
        if problem is not None:
            raise USCCError(describe_problem(code), rule=problem[0], value=text)
        return cls(code)

    @classmethod
    def build(cls, authority: str, entity: str, division: str, org_body: str) -> USCC:
        """Assemble a code from its parts, computing both check characters.

        >>> USCC.build("9", "1", "350503", "MA31DKY8")
        USCC('91350503MA31DKY80A')
        """
        first16 = f"{authority}{entity}{division}{org_body}"
        first17 = first16 + org_check_digit(org_body)
        return cls.parse(first17 + check_character(first17))

    @property
    def authority(self) -> str:
        """Registration authority (登记管理部门), e.g. 市场监管."""
        return AUTHORITIES[self.code[0]]

    @property
    def division_code(self) -> str:
        """Division code of the registering authority (positions 3-8)."""
        return self.code[2:8]

    @property
    def org_code(self) -> str:
        """The 9-character GB 11714 organisation code (positions 9-17)."""
        return self.code[8:17]

    def masked(self) -> str:
        """For 公示 lists: keep the first 6 and last 4 characters.

        >>> USCC.parse("91110000600037341L").masked()
        '911100********341L'
        """
        return self.code[:6] + "*" * 8 + self.code[14:]

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"USCC({self.code!r})"


# ---------------------------------------------------------------- vectorised forms
_LUT31 = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(ALPHABET):
    _LUT31[ord(_c)] = _i
_LUT36 = np.full(256, -1, dtype=np.int16)
for _c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _LUT36[ord(_c)] = _org_char_value(_c)
_AUTH = np.zeros(256, dtype=bool)
for _c in AUTHORITIES:
    _AUTH[ord(_c)] = True
_RULE_CODES: Final = ("", "length", "alphabet", "authority", "division", "org_check", "check")


def rule_names() -> tuple[str, ...]:
    """Names indexed by the integers :func:`validate_many` returns (0 = valid)."""
    return _RULE_CODES


def validate_many(codes: npt.ArrayLike | pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int8]:
    """Check many codes at once; return, per code, 0 when valid or the index of the broken rule.

    Codes are compared as given (callers upper-case and strip first); nulls count as
    ``length``. Vectorised: an Arrow string array is checked straight from its buffers, so
    a million codes take a fraction of a second.
    """
    arr = pa.array(codes, pa.string()) if not isinstance(codes, (pa.Array, pa.ChunkedArray)) else codes
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.string())
    n = len(arr)
    out = np.zeros(n, dtype=np.int8)
    if n == 0:
        return out
    lengths = np.asarray(pc.fill_null(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False))
    ok_len = lengths == 18
    out[~ok_len] = 1
    idx = np.flatnonzero(ok_len)
    if not len(idx):
        return out
    fixed = arr.filter(pa.array(ok_len))
    offsets = np.frombuffer(fixed.buffers()[1], dtype=np.int32)[fixed.offset : fixed.offset + len(fixed) + 1]
    data = np.frombuffer(fixed.buffers()[2], dtype=np.uint8)
    b = data[offsets[0] : offsets[-1]].reshape(-1, 18)
    v31 = _LUT31[b]
    sub = np.zeros(b.shape[0], dtype=np.int8)
    sub[(v31 < 0).any(axis=1)] = 2
    sub[~_AUTH[b[:, 0]] & (sub == 0)] = 3
    digits = (b[:, 2:8] >= ord("0")) & (b[:, 2:8] <= ord("9"))
    sub[~digits.all(axis=1) & (sub == 0)] = 4
    # int32 is ample (at most 35 × 10 × 8 and 30 × 30 × 17) and halves the memory traffic
    v36 = _LUT36[b[:, 8:16]].astype(np.int32)
    r = 11 - (v36 @ np.array(ORG_WEIGHTS, dtype=np.int32)) % 11
    expected_org = np.where(r == 10, ord("X"), np.where(r == 11, ord("0"), ord("0") + r))
    sub[(b[:, 16] != expected_org) & (sub == 0)] = 5
    total = v31[:, :17].astype(np.int32) @ np.array(CHECK_WEIGHTS, dtype=np.int32)
    expected = (31 - total % 31) % 31
    sub[(v31[:, 17] != expected) & (sub == 0)] = 6
    out[idx] = sub
    return out


def build_many(
    division: npt.NDArray[np.str_], org_body: npt.NDArray[np.str_], authority: str = "9", entity: str = "1"
) -> npt.NDArray[np.str_]:
    """Vectorised :meth:`USCC.build` for synthetic registries (8-character bodies, 6-digit divisions)."""
    n = len(division)
    prefix = np.char.add(np.char.add(authority + entity, division.astype("U6")), org_body.astype("U8"))
    b = np.frombuffer(np.char.encode(prefix, "ascii").astype("S16").tobytes(), dtype=np.uint8).reshape(n, 16)
    v36 = _LUT36[b[:, 8:16]].astype(np.int64)
    r = 11 - (v36 @ np.array(ORG_WEIGHTS, dtype=np.int64)) % 11
    org = np.where(r == 10, ord("X"), np.where(r == 11, ord("0"), ord("0") + r)).astype(np.uint8)
    b17 = np.concatenate([b, org[:, None]], axis=1)
    total = _LUT31[b17].astype(np.int64) @ np.array(CHECK_WEIGHTS, dtype=np.int64)
    alphabet = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    chk = alphabet[(31 - total % 31) % 31]
    full = np.concatenate([b17, chk[:, None]], axis=1)
    return np.char.decode(full.copy().view("S18").ravel(), "ascii")
