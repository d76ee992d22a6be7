"""目标企业 → 项目库: hand candidate firms from a targeting list to the pipeline as 线索.

Each candidate becomes a project with origin ``targeting``, stage 线索, the gap it fills as its
chain node, the firm's USCC and name, the acting officer as owner and the park chosen. Three things
can stop a candidate, and each is reported, never silently dropped:

* ``already`` — a live project already pursues the firm by USCC (the candidate list leaves such firms
  out when scoring, so this happens only when someone added it since the list was drawn);
* ``needs_confirm`` — another project matches by normalised name (the duplicate-pursuit warning);
  it is added only when the officer confirms (``confirm=True``);
* ``invalid`` — the USCC is not a valid GB 32100 code, or the name is empty.

The candidates accepted are added in one transaction (all of them or none), each with its
``project.create`` audit row.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zonebrain.appstore import User
from zonebrain.core.errors import InputError
from zonebrain.core.uscc import USCC
from zonebrain.pipeline._excel import RowProblem
from zonebrain.pipeline._model import Project, PursuitWarning
from zonebrain.pipeline._names import normalise_name
from zonebrain.pipeline._projects import NewProject, Pipeline
from zonebrain.pipeline._stages import Origin, Stage
from zonebrain.registry import match_headers, read_table_file

CHAIN_NODE_MAX = 64
NOTES_MAX = 2000
CANDIDATE_SHEET = "导入招商项目库"
"""The sheet ``zonebrain candidates --out`` writes for the pipeline (see targeting/_export.py)."""


@dataclass(frozen=True)
class Lead:
    """One candidate firm to hand to the pipeline."""

    name: str
    uscc: str | None = None
    gap: str | None = None
    """The chain node (``chain/node``) or GB/T 4754 class the firm would fill."""
    score: float | None = None
    reasons: str = ""

    def notes(self) -> str:
        head = "来自目标企业清单 (from the targeting list)"
        if self.score is not None:
            head += f"，得分 score {self.score:.3f}"
        if self.gap and len(self.gap) > CHAIN_NODE_MAX:
            head += f"，补缺 gap {self.gap}"
        text = f"{head}；{self.reasons}" if self.reasons else head
        return text[:NOTES_MAX]


@dataclass(frozen=True)
class LeadOutcome:
    lead: Lead
    status: str
    """``created``, ``already``, ``needs_confirm`` or ``invalid``."""
    project: Project | None = None
    warnings: tuple[PursuitWarning, ...] = ()
    message: str = ""
    existing_id: int | None = None
    """For ``already``: the project that pursues the firm."""


@dataclass
class HandOff:
    park_id: str
    outcomes: list[LeadOutcome] = field(default_factory=list)

    def of(self, status: str) -> list[LeadOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def created(self) -> list[LeadOutcome]:
        return self.of("created")

    def summary(self) -> str:
        n = {s: len(self.of(s)) for s in ("created", "already", "needs_confirm", "invalid")}
        return (
            f"新增 {n['created']} 个线索 (added), {n['already']} 个已在项目库 (already in the pipeline), "
            f"{n['needs_confirm']} 个待确认 (need confirmation), {n['invalid']} 个无效 (invalid)"
        )


def _clean_uscc(text: str | None) -> str | None:
    if text is None or not str(text).strip():
        return None
    return USCC.parse(str(text).strip()).code


def add_candidates(
    pipe: Pipeline,
    actor: User,
    leads: Iterable[Lead],
    *,
    park_id: str,
    confirm: bool = False,
    dry_run: bool = False,
    ip: str = "",
) -> HandOff:
    """Add *leads* as 线索 of *park_id* owned by *actor*; see the module docstring for what is skipped.

    Raises :class:`~zonebrain.pipeline.NotAllowed` when *actor* may not add projects in *park_id*
    and :class:`~zonebrain.core.errors.InputError` for an unknown park or an actor who cannot own
    projects. With *dry_run* nothing is written (``created`` then means "would be created").
    """
    park = pipe.park_id(park_id)
    probe = NewProject(name="probe", park_id=park, origin=Origin.TARGETING)
    pipe._prepare(actor, probe)  # the role and park check, once for the batch
    why = pipe.check_owner(actor.username, park)
    if why:
        raise InputError(why)
    result = HandOff(park)
    in_pipeline = pipe.usccs()
    slots: list[LeadOutcome | None] = []  # one per input, in order; None: accepted, filled below
    firms: list[tuple[str | None, str, int]] = []  # USCC, normalised name, slot of earlier inputs
    twins: list[tuple[int, int]] = []  # (slot, earlier slot) of the same USCC in this request
    accepted: list[tuple[int, Lead, tuple[PursuitWarning, ...]]] = []
    for lead in leads:
        slot = len(slots)
        name = (lead.name or "").strip()
        try:
            code = _clean_uscc(lead.uscc)
        except InputError as exc:
            slots.append(LeadOutcome(lead, "invalid", message=str(exc)))
            continue
        if not name:
            slots.append(
                LeadOutcome(
                    lead, "invalid", message="企业名称为空 (the firm's name is empty); 请填写 / fill it in"
                )
            )
            continue
        lead = Lead(name, code, (lead.gap or "").strip() or None, lead.score, lead.reasons)
        key = normalise_name(name)
        same_code = next((i for c, _, i in firms if code and c == code), None)
        same_name = next((i for c, k, i in firms if k == key and (not code or not c)), None)
        firms.append((code, key, slot))
        if same_code is not None:  # the same firm earlier in this request: as if it were in the pipeline
            slots.append(LeadOutcome(lead, "already"))
            twins.append((slot, same_code))
            continue
        if code and code in in_pipeline:
            warnings = tuple(
                w
                for w in pipe.find_pursuits(name=name, uscc=code, park_id=park, owner=actor.username)
                if w.match == "uscc"
            )
            slots.append(
                LeadOutcome(
                    lead,
                    "already",
                    warnings=warnings,
                    existing_id=in_pipeline[code],
                    message=f"已在项目库 (already in the pipeline): 项目 #{in_pipeline[code]}",
                )
            )
            continue
        warnings = tuple(pipe.find_pursuits(name=name, uscc=code, park_id=park, owner=actor.username))
        reasons = [w.message() for w in warnings]
        if same_name is not None:
            reasons.append(
                f"与本次第 {same_name + 1} 项同名 (the same name as item {same_name + 1} of this request)"
            )
        if reasons and not confirm:
            slots.append(
                LeadOutcome(
                    lead,
                    "needs_confirm",
                    warnings=warnings,
                    message="；".join(reasons) + "；确认后仍可加入 (confirm to add it anyway)",
                )
            )
            continue
        slots.append(None)
        accepted.append((slot, lead, warnings))
    drafts = [
        NewProject(
            name=lead.name,
            park_id=park,
            origin=Origin.TARGETING,
            uscc=lead.uscc,
            chain_node=lead.gap if lead.gap and len(lead.gap) <= CHAIN_NODE_MAX else None,
            notes=lead.notes(),
            stage=Stage.LEAD,
        )
        for _, lead, _ in accepted
    ]
    if dry_run:
        for slot, lead, w in accepted:
            slots[slot] = LeadOutcome(lead, "created", warnings=w)
    else:
        created = pipe.create_many(actor, drafts, ip=ip) if drafts else []
        for (slot, lead, _), c in zip(accepted, created, strict=True):
            slots[slot] = LeadOutcome(
                lead,
                "created",
                project=c.project,
                warnings=c.warnings,
                message=f"已加入项目库 (added): 项目 #{c.project.id}",
            )
    for slot, first in twins:
        slots[slot] = _twin(slots[slot], slots[first], first)
    result.outcomes = [o for o in slots if o is not None]
    return result


def _twin(this: LeadOutcome | None, first: LeadOutcome | None, at: int) -> LeadOutcome:
    """A later input with the USCC of an earlier one: what a second request would have answered."""
    assert this is not None and first is not None
    where = f"本次第 {at + 1} 项 (item {at + 1} of this request)"
    if first.status == "needs_confirm":
        return LeadOutcome(this.lead, "needs_confirm", warnings=first.warnings, message=first.message)
    existing = first.project.id if first.project else first.existing_id
    found = f"项目 #{existing}" if existing is not None else where
    return LeadOutcome(
        this.lead,
        "already",
        warnings=first.warnings,
        existing_id=existing,
        message=f"已在项目库 (already in the pipeline): {found}，与{where}是同一企业 (the same firm)",
    )


_LEAD_COLUMNS = {
    "uscc": ("统一社会信用代码", "信用代码", "uscc"),
    "name": ("企业名称", "name", "firm"),
    "gap": ("补缺环节", "产业链节点", "gap", "chain_node"),
    "score": ("综合得分", "得分", "score"),
    "reasons": ("推荐理由", "reasons"),
}


@dataclass
class LeadFile:
    file: str
    leads: list[Lead] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    """The Excel row of each lead (the header is row 1)."""


def read_candidate_file(path: Path | str, *, sheet: str | None = None) -> LeadFile:
    """Read the candidate list ``zonebrain candidates --out FILE.xlsx`` wrote (sheet 导入招商项目库,
    else the first sheet), or a .csv with the same headers. Every problem names file, row, column,
    value and the fix; rows with problems are not returned as leads."""
    path = Path(path)
    chosen = sheet
    if not path.exists():
        raise InputError(
            f"文件不存在 (file not found): {path}; 请先运行 / first run: zonebrain candidates --out FILE.xlsx"
        )
    try:
        if chosen is None and path.suffix.lower() in (".xlsx", ".xlsm"):
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            try:
                chosen = CANDIDATE_SHEET if CANDIDATE_SHEET in wb.sheetnames else None
            finally:
                wb.close()
        raw = read_table_file(path, chosen)
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"{path.name}: 无法读取 (cannot be read: {exc}); 请在 Excel 中另存为 .xlsx 后重试 / save it again as .xlsx"
        ) from None
    out = LeadFile(path.name)
    for line, problem in raw.bad_rows:
        out.problems.append(RowProblem(path.name, line, "", None, problem))
    mapping = match_headers(raw.table.column_names, {f: (f, *names) for f, names in _LEAD_COLUMNS.items()})
    if "name" not in mapping.values():
        out.problems.append(
            RowProblem(
                path.name, 1, "企业名称", None, "缺少必填列 (missing column); 请添加表头 '企业名称' / add it"
            )
        )
        return out
    header_of = {f: h for h, f in mapping.items()}
    for row, line in zip(raw.table.to_pylist(), raw.row_numbers(), strict=True):
        values = {f: (str(row[h]).strip() if row.get(h) is not None else "") for h, f in mapping.items()}
        if not any(values.values()):
            continue
        bad = False
        if not values.get("name"):
            out.problems.append(
                RowProblem(
                    path.name,
                    int(line),
                    header_of["name"],
                    None,
                    "必填项为空 (required); 请填写 / fill it in",
                )
            )
            bad = True
        code = values.get("uscc") or None
        if code:
            try:
                code = USCC.parse(code).code
            except InputError as exc:
                out.problems.append(RowProblem(path.name, int(line), header_of["uscc"], code, str(exc)))
                bad = True
        score: float | None = None
        if values.get("score"):
            try:
                score = float(values["score"])
            except ValueError:
                out.problems.append(
                    RowProblem(
                        path.name,
                        int(line),
                        header_of["score"],
                        values["score"],
                        "得分须为数字 (the score must be a number); 可留空 / may be left empty",
                    )
                )
                bad = True
        if bad:
            continue
        out.leads.append(
            Lead(values["name"], code, values.get("gap") or None, score, values.get("reasons", ""))
        )
        out.rows.append(int(line))
    return out


def leads_from_rows(rows: Sequence[dict[str, object]]) -> list[Lead]:
    """Leads from candidate rows as ``targeting.candidates(...).table.to_pylist()`` gives them."""
    out = []
    for r in rows:
        score = r.get("score")
        out.append(
            Lead(
                name=str(r.get("name") or ""),
                uscc=str(r["uscc"]) if r.get("uscc") else None,
                gap=str(r["gap"]) if r.get("gap") else None,
                score=float(score) if isinstance(score, int | float) else None,
                reasons=str(r.get("reasons") or ""),
            )
        )
    return out


__all__ = [
    "CANDIDATE_SHEET",
    "HandOff",
    "Lead",
    "LeadFile",
    "LeadOutcome",
    "add_candidates",
    "leads_from_rows",
    "read_candidate_file",
]
