"""pipeline/: the investment-project pipeline (招商项目库) over the app store.

Projects move 线索 → 接洽 → 考察 → 谈判 → 签约 → 注册落地 → 开工 → 投产 → 达产 (or 终止 with a reason).
Every write checks the version the officer read (:class:`~zonebrain.appstore.ConcurrentUpdate` on a
stale write) and lands in the audit log with before and after, in the same transaction. Creating a
project warns when another park or officer already pursues the firm (same USCC, or same normalised
name while there is no USCC). Stall colours, weekly digests and funnel tables read the same data.

>>> from zonebrain.appstore import Role, open_app_store
>>> store = open_app_store(":memory:", password_cost="low")
>>> wang = store.users.add("wang", "a-long-password", Role.INVESTMENT_OFFICER)
>>> pipe = Pipeline(store)
>>> p = pipe.create(wang, name="郑州ABC智能科技有限公司", park_id="wutong", origin="targeting").project
>>> pipe.move(wang, p.id, Stage.CONTACT, expected_version=p.version).stage
<Stage.CONTACT: '接洽'>
"""

from zonebrain.pipeline._delivery import DeliveryRule, delivery
from zonebrain.pipeline._excel import (
    ImportResult,
    RowProblem,
    export_projects,
    import_projects,
    projects_table,
)
from zonebrain.pipeline._funnel import conversion, funnel, time_in_stage
from zonebrain.pipeline._handoff import (
    CANDIDATE_SHEET,
    HandOff,
    Lead,
    LeadFile,
    LeadOutcome,
    add_candidates,
    leads_from_rows,
    read_candidate_file,
)
from zonebrain.pipeline._model import (
    EDITABLE,
    Created,
    NotAllowed,
    Project,
    ProjectEvent,
    ProjectNotFound,
    PursuitWarning,
)
from zonebrain.pipeline._names import normalise_name
from zonebrain.pipeline._projects import OWNERS, NewProject, Pipeline, live, may_edit, may_read
from zonebrain.pipeline._stages import FINAL, PATH, Origin, Stage, check_move, parse_origin, parse_stage
from zonebrain.pipeline._stall import (
    Colour,
    Digest,
    DigestLine,
    StallRule,
    add_months,
    stall_colour,
    weekly_digest,
)

__all__ = [
    "CANDIDATE_SHEET",
    "EDITABLE",
    "FINAL",
    "OWNERS",
    "PATH",
    "Colour",
    "Created",
    "DeliveryRule",
    "Digest",
    "DigestLine",
    "HandOff",
    "ImportResult",
    "Lead",
    "LeadFile",
    "LeadOutcome",
    "NewProject",
    "NotAllowed",
    "Origin",
    "Pipeline",
    "Project",
    "ProjectEvent",
    "ProjectNotFound",
    "PursuitWarning",
    "RowProblem",
    "Stage",
    "StallRule",
    "add_candidates",
    "add_months",
    "check_move",
    "conversion",
    "delivery",
    "export_projects",
    "funnel",
    "import_projects",
    "leads_from_rows",
    "live",
    "may_edit",
    "may_read",
    "normalise_name",
    "parse_origin",
    "parse_stage",
    "projects_table",
    "read_candidate_file",
    "stall_colour",
    "time_in_stage",
    "weekly_digest",
]
