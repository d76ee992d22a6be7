"""The public surface of zonebrain.pipeline is pinned: adding or removing a name is a decision."""

from __future__ import annotations

import zonebrain.pipeline as pipeline

EXPECTED = {
    "EDITABLE", "FINAL", "PATH", "Colour", "Created", "DeliveryRule", "Digest", "DigestLine", "ImportResult",
    "NewProject", "NotAllowed", "Origin", "Pipeline", "Project", "ProjectEvent", "ProjectNotFound",
    "PursuitWarning", "RowProblem", "Stage", "StallRule", "add_months", "check_move", "delivery",
    "export_projects", "funnel", "import_projects", "live", "may_edit", "may_read", "normalise_name",
    "parse_origin", "parse_stage", "projects_table", "stall_colour", "time_in_stage", "weekly_digest",
}  # fmt: skip


def test_public_names() -> None:
    assert set(pipeline.__all__) == EXPECTED
    assert all(hasattr(pipeline, n) for n in pipeline.__all__)
