"""The ledger page and API show where an entry comes from (来源: 兑现批次, or 往年导入 with its
文号/批次/凭证号) for payments made before ZoneBrain, named and scoped by the park the registry gave
at import; a voided one (冲正) is flagged. On an app of its own (it writes the ledger)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.web.conftest import Demo, api_ok, logged_in, private_app
from zonebrain.disbursement import Disbursement, import_prior_payments

REF = "郑开管〔2024〕99号"


@pytest.fixture(scope="module")
def prior_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Any:
    with private_app(demo, tmp_path_factory, "prior-payments") as application:
        yield application


def _import(app: FastAPI, folder: Path, uscc: str, ref: str = REF) -> int:
    store = app.state.zonebrain.store
    path = folder / "往年兑现.csv"
    path.write_text(
        "统一社会信用代码,政策,条款,年度,兑现金额(元),兑现日期,凭证号\n"
        f"{uscc},zz-hitech-first-cert,award,2023,300000,2024-03-20,{ref}\n",
        encoding="utf-8",
    )
    with app.state.zonebrain.pool.reader() as wh:  # names the firm and its park, as the CLI does
        r = import_prior_payments(store, store.users.get("admin"), path, warehouse=wh)
    return r.entries[0]


def test_the_ledger_shows_an_imported_entry_with_its_source_and_reference(
    prior_app: FastAPI, demo: Demo, tmp_path: Path
) -> None:
    entry = _import(prior_app, tmp_path, demo.wutong_firm)
    with logged_in(prior_app, ["admin", "leader", "parkofficer"]) as c:
        rows = api_ok(c["admin"].get("/api/v1/policy/ledger", params={"size": 500}))["rows"]
        row = next(r for r in rows if r["id"] == entry)
        assert row["source_text"] == "往年导入" and row["reference"] == REF and row["batch_id"] is None
        assert row["enterprise_name"] and row["park"]  # from the registry, at import
        page = c["admin"].get("/policy/ledger")
        assert (
            page.status_code == 200 and "来源" in page.text and REF in page.text and "往年导入" in page.text
        )
        c["admin"].cookies.set("zb_lang", "en")
        english = api_ok(c["admin"].get("/api/v1/policy/ledger", params={"size": 500}))["rows"]
        assert (
            next(r for r in english if r["id"] == entry)["source_text"] == "Imported (paid before ZoneBrain)"
        )
        c["admin"].cookies.delete("zb_lang")
        # the park officer of the firm's park sees it (its park came from the registry)
        mine = api_ok(c["parkofficer"].get("/api/v1/policy/ledger", params={"size": 500}))["rows"]
        assert entry in {r["id"] for r in mine}

        # voided (冲正, by a second person): still listed, flagged, out of the total
        leader = prior_app.state.zonebrain.store.users.get("leader")
        Disbursement(prior_app.state.zonebrain.store).reverse(leader, entry, reason="误录", kind="error")
        after = api_ok(c["admin"].get("/api/v1/policy/ledger", params={"size": 500}))["rows"]
        assert next(r for r in after if r["id"] == entry)["status_text"] == "已冲正"


def test_voiding_an_imported_entry_from_the_page_and_the_api(
    prior_app: FastAPI, demo: Demo, tmp_path: Path
) -> None:
    first = _import(prior_app, tmp_path, demo.own_firm, "page")
    second = _import(prior_app, tmp_path, demo.wutong_firm, "api")  # the first test voided its REF row
    with logged_in(prior_app, ["leader"]) as c:
        form = c["leader"].get("/policy/ledger").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, form[:500]
        done = c["leader"].post(
            f"/policy/ledger/{first}/reverse",
            data={"csrf_token": token.group(1), "reason": "误录", "kind": "error"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text[:800]
        assert done.headers["location"] == f"/policy/ledger?reversed={first}"  # no batch to filter by
        body = api_ok(
            c["leader"].post(
                f"/api/v1/policy/ledger/{second}/reverse", json={"reason": "重复登记", "kind": "error"}
            )
        )
    assert body["entry"]["source"] == "import" and body["entry"]["reference"] == "api"
    assert body["entry"]["batch_id"] is None and body["entry"]["reversed"]
