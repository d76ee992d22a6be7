"""Rebuild src/zonebrain/core/data/gbt4754_2017.tsv from the shared reference table.

Only codes and names (facts of the standard) are carried; the standard's notes are not.
A 中类 without sub-classes is listed in the source only as its 小类 ``xx0``; here it also
gets its own group row, so the package holds all 473 groups.

Usage: python scripts/build_gbt4754.py ../shared/data/gbt4754_2017.csv
"""

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/zonebrain/core/data/gbt4754_2017.tsv"

# Known transcription errors in the shared table, corrected from the standard itself:
# class 3741 飞机制造 appears there as a second level-3 row of group 374 (see docs/adr/0003).
CORRECTIONS = {("3", "374", "飞机制造"): ("4", "3741")}


def main(source: str) -> None:
    with open(source, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lines: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    groups = {r["group"] for r in rows if r["level"] == "3"}
    for r in rows:
        fix = CORRECTIONS.get((r["level"], r["group"], r["name"]))
        if fix:
            r = {**r, "level": fix[0], "class": fix[1]}
        level = r["level"]
        code = {"1": r["section"], "2": r["division"], "3": r["group"], "4": r["class"]}[level]
        parent = {"1": "", "2": r["section"], "3": r["division"], "4": r["group"] or r["class"][:3]}[level]
        if level == "4" and r["class"][:3] not in groups and r["class"][:3] not in seen:
            lines.append((r["class"][:3], r["division"], r["name"]))
            seen.add(r["class"][:3])
        if code in seen:
            continue
        seen.add(code)
        lines.append((code, parent, r["name"]))
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("# GB/T 4754-2017 国民经济行业分类: code, parent code, name (codes and names only)\n")
        for code, parent, name in lines:
            f.write(f"{code}\t{parent}\t{name}\n")


if __name__ == "__main__":
    main(sys.argv[1])
