"""The public surface of zonebrain.pipeline is pinned: adding or removing a name is a decision."""

from __future__ import annotations

import zonebrain.pipeline as pipeline

EXPECTED = {
    "EDITABLE", "FINAL", "PATH", "Colour", "Created", "DeliveryRule", "Digest", "DigestLine", "ImportResult",
    "NewProject", "NotAllowed", "Origin", "Pipeline", "Project", "ProjectEvent", "ProjectNotFound",
    "PursuitWarning", "RowProblem", "Stage", "StallRule", "add_months", "check_move", "delivery",
    "export_projects", "funnel", "import_projects", "live", "may_edit", "may_read", "normalise_name",
    "parse_origin", "parse_stage", "projects_table", "stall_colour", "time_in_stage", "weekly_digest",
    "CANDIDATE_SHEET", "HandOff", "Lead", "LeadFile", "LeadOutcome", "add_candidates", "conversion",
    "leads_from_rows", "read_candidate_file",
    "OWNERS",  # the roles that may own a project: the web's hand-over choices use the domain's rule
}  # fmt: skip


def test_public_names() -> None:
    assert set(pipeline.__all__) == EXPECTED
    assert all(hasattr(pipeline, n) for n in pipeline.__all__)
