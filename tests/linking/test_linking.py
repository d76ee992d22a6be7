"""Resource linking: catalogue, demands scoped to their firm, ranked suggestions with reasons,
proposals as first responses, resolution, the firm's rating, versions and the audit log."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore, ConcurrentUpdate
from zonebrain.core.errors import InputError
from zonebrain.linking import DemandKind, Linking, NotAllowed, ResourceKind, response_stats

OWN = "91110000600037341L"  # the enterprise user's firm
OTHER = "91350503MA31DKY80A"
WAN = 1_000_000
D = dt.datetime


@pytest.fixture
def links(store: AppStore) -> Linking:
    return Linking(store, response_days=5)


def _catalogue(links: Linking, people: People) -> dict[str, int]:
    add = links.add_resource
    return {
        "kejidai": add(
            people.wang,
            kind="bank_loan",
            name="科技贷",
            provider="郑州银行",
            keywords="研发，流动资金,知识产权质押",
            min_amount_fen=100 * WAN,
            max_amount_fen=1000 * WAN,
        ).id,
        "bigloan": add(
            people.wang, kind=ResourceKind.BANK_LOAN, name="大额项目贷", min_amount_fen=5000 * WAN
        ).id,
        "fund": add(
            people.wang,
            kind="fund",
            name="高新区天使基金",
            keywords=["天使", "研发"],
            chain_nodes="ic-design",
        ).id,
        "lab": add(people.wang, kind="university_lab", name="郑大材料实验室", keywords=["材料"]).id,
        "land": add(people.admin, kind="land_building", name="石佛标准厂房", parks=["shifo"]).id,
    }


def test_suggestions_are_ranked_with_reasons(links: Linking, people: People) -> None:
    ids = _catalogue(links, people)
    d = links.submit_demand(
        people.firm,
        uscc=OWN,
        kind="融资",
        title="研发流动资金贷款",
        amount_fen=300 * WAN,
        chain_node="ic-design",
    )
    ranked = links.suggest(people.wang, d.id)
    assert [s.resource.id for s in ranked] == [
        ids["kejidai"],
        ids["fund"],
    ]  # 大额项目贷's minimum excludes it
    top = ranked[0]
    assert top.score == pytest.approx(1.0 + 0.2 + 0.2)  # kind + amount in range + 2 of 3 keywords
    assert any("关键词命中" in r and "研发" in r and "流动资金" in r for r in top.reasons)
    assert any("金额 300.00 万元" in r for r in top.reasons)
    fund = ranked[1]
    assert any("同一产业链节点" in r for r in fund.reasons)
    land = links.submit_demand(people.wang, uscc=OTHER, kind="用地", title="需要厂房", park_id="wutong")
    assert links.suggest(people.wang, land.id) == []  # the only building serves 石佛
    land2 = links.submit_demand(people.wang, uscc=OTHER, kind="land", title="需要厂房", park_id="shifo")
    assert [s.resource.id for s in links.suggest(people.wang, land2.id)] == [ids["land"]]


def test_the_flow_from_demand_to_rating(store: AppStore, links: Linking, people: People) -> None:
    ids = _catalogue(links, people)
    d = links.submit_demand(people.firm, uscc=OWN, kind="technology", title="新材料检测", at=D(2026, 3, 2, 9))
    assert (d.status, d.due_at, d.kind) == ("open", D(2026, 3, 7, 9), DemandKind.TECHNOLOGY)
    m = links.propose(people.wang, d.id, ids["lab"], expected_version=d.version)
    assert m.status == "proposed" and any("材料" in r for r in m.reasons)
    d = links.get_demand(people.firm, d.id)
    assert d.status == "responded" and d.first_response_at is not None and d.version == 2
    with pytest.raises(ConcurrentUpdate):
        links.resolve(people.wang, d.id, resolution="x", expected_version=1)
    with pytest.raises(InputError, match="办结后"):
        links.rate(people.firm, d.id, 5, expected_version=d.version)
    d = links.resolve(people.wang, d.id, resolution="实验室承接检测", expected_version=d.version)
    with pytest.raises(InputError, match="1 到 5"):
        links.rate(people.firm, d.id, 6, expected_version=d.version)
    with pytest.raises(NotAllowed):
        links.rate(people.wang, d.id, 5, expected_version=d.version)
    d = links.rate(people.firm, d.id, 4, comment="响应及时", expected_version=d.version)
    assert (d.status, d.rating, d.rating_comment) == ("resolved", 4, "响应及时")
    [m2] = links.matches(people.firm, d.id)
    assert m2.resource_id == ids["lab"]
    actions = [e.action for e in store.audit.entries()]
    assert {"demand.submit", "demand.propose", "demand.resolve", "demand.rate", "resource.add"} <= set(
        actions
    )
    [resolve] = store.audit.entries(action="demand.resolve")
    assert (
        resolve.detail["before"]["status"] == "responded" and resolve.detail["after"]["status"] == "resolved"
    )


def test_scoping_of_demands(links: Linking, people: People) -> None:
    mine = links.submit_demand(people.firm, uscc=OWN, kind="人才", title="招聘算法工程师", park_id="wutong")
    theirs = links.submit_demand(people.sun, uscc=OTHER, kind="market", title="开拓海外市场", park_id="shifo")
    with pytest.raises(NotAllowed, match=r"^企业用户无权为其他企业提交需求"):
        links.submit_demand(people.firm, uscc=OTHER, kind="人才", title="x")
    with pytest.raises(NotAllowed, match=r"^园区专员无权登记园区 shifo 以外企业的需求"):
        links.submit_demand(people.sun, uscc=OTHER, kind="人才", title="x", park_id="wutong")
    with pytest.raises(NotAllowed):
        links.submit_demand(people.leader, uscc=OTHER, kind="人才", title="x")
    assert [d.id for d in links.demands(people.firm)] == [mine.id]
    assert [d.id for d in links.demands(people.li)] == [mine.id]
    assert [d.id for d in links.demands(people.sun)] == [theirs.id]
    assert [d.id for d in links.demands(people.leader)] == [mine.id, theirs.id]
    with pytest.raises(NotAllowed):
        links.get_demand(people.firm, theirs.id)
    with pytest.raises(NotAllowed):
        links.suggest(people.firm, mine.id)
    with pytest.raises(NotAllowed):
        links.add_resource(people.li, kind="fund", name="x")


def test_invalid_input_says_the_fix(links: Linking, people: People) -> None:
    with pytest.raises(InputError, match="未知资源类型"):
        links.add_resource(people.wang, kind="casino", name="x")
    with pytest.raises(InputError, match="下限大于上限"):
        links.add_resource(people.wang, kind="fund", name="x", min_amount_fen=2, max_amount_fen=1)
    with pytest.raises(InputError, match="未知需求类型"):
        links.submit_demand(people.wang, uscc=OWN, kind="luck", title="x")
    with pytest.raises(InputError, match="校验"):
        links.submit_demand(people.wang, uscc="91110000600037341X", kind="融资", title="x")
    r = links.add_resource(people.wang, kind="fund", name="基金")
    r2 = links.update_resource(people.wang, r.id, expected_version=r.version, active=False)
    assert r2.version == 2 and links.resources() == []
    with pytest.raises(ConcurrentUpdate):
        links.update_resource(people.wang, r.id, expected_version=1, name="y")


def test_response_stats(links: Linking, people: People) -> None:
    _catalogue(links, people)
    a = links.submit_demand(people.wang, uscc=OWN, kind="融资", title="贷款", at=D(2026, 1, 1))
    b = links.submit_demand(people.wang, uscc=OTHER, kind="融资", title="贷款", at=D(2026, 1, 1))
    links.submit_demand(people.wang, uscc=OTHER, kind="国际", title="出海", at=D(2026, 1, 1))
    links.resolve(people.wang, a.id, resolution="已放款", expected_version=a.version, at=D(2026, 1, 3))
    links.resolve(people.wang, b.id, resolution="已放款", expected_version=b.version, at=D(2026, 1, 11))
    stats = response_stats(links.demands(people.leader), as_of=D(2026, 2, 1)).set_index("kind")
    fin = stats.loc["financing"]
    assert (fin["demands"], fin["responded"], fin["on_time"], fin["resolved"]) == (2, 2, 1, 2)
    assert fin["median_resolve_days"] == 6 and math.isnan(fin["mean_rating"])
    assert stats.loc["international", "overdue_open"] == 1
    assert stats.loc["all", "demands"] == 3


# ---- the catalogue's checks, proposals a suggestion would allow, reasons naming the park ---------


@pytest.fixture
def zoned(store: AppStore) -> Linking:
    from zonebrain.linking import park_aliases
    from zonebrain.registry import load_zone

    return Linking(store, parks=park_aliases(load_zone()))


def test_a_resource_serves_known_parks_only_stored_by_id(zoned: Linking, people: People) -> None:
    with pytest.raises(InputError, match="mars"):
        zoned.add_resource(people.wang, kind="bank_loan", name="火星贷", parks=["mars"])
    r = zoned.add_resource(people.wang, kind="bank_loan", name="园区贷", parks=["梧桐", "石佛镇"])
    assert r.parks == ("wutong", "shifo")
    with pytest.raises(InputError, match="mars"):
        zoned.update_resource(people.wang, r.id, expected_version=r.version, parks="枫杨,mars")
    r2 = zoned.update_resource(people.wang, r.id, expected_version=r.version, parks="枫杨")
    assert r2.parks == ("fengyang",)
    assert [x.id for x in zoned.resources()] == [r.id]


def test_name_and_provider_are_the_catalogues_key(zoned: Linking, people: People) -> None:
    first = zoned.add_resource(people.wang, kind="bank_loan", name="科技贷", provider="郑州银行高新支行")
    with pytest.raises(InputError, match=f"#{first.id}"):
        zoned.add_resource(people.admin, kind="fund", name=" 科技贷 ", provider="郑州银行高新支行 ")
    other = zoned.add_resource(people.wang, kind="bank_loan", name="科技贷", provider="中原银行")
    with pytest.raises(InputError, match=f"#{first.id}"):  # renaming onto the key of another
        zoned.update_resource(
            people.wang, other.id, expected_version=other.version, provider="郑州银行高新支行"
        )
    assert len(zoned.resources()) == 2
    same = zoned.update_resource(people.wang, first.id, expected_version=first.version, name="科技贷")
    assert same.version == first.version  # its own key is no conflict


def test_propose_only_what_may_serve_the_demand_and_only_once(zoned: Linking, people: People) -> None:
    shifo_only = zoned.add_resource(people.wang, kind="bank_loan", name="石佛专享贷", parks=["shifo"])
    anywhere = zoned.add_resource(people.wang, kind="bank_loan", name="科技贷")
    d = zoned.submit_demand(people.wang, uscc=OTHER, kind="融资", title="贷款", park_id="梧桐")
    with pytest.raises(InputError, match="石佛") as refused:
        zoned.propose(people.li, d.id, shifo_only.id, expected_version=d.version)
    assert "梧桐" in str(refused.value)
    assert zoned.matches(people.admin, d.id) == [] and zoned.get_demand(people.admin, d.id).status == "open"
    m = zoned.propose(people.li, d.id, anywhere.id, expected_version=d.version)
    d2 = zoned.get_demand(people.admin, d.id)
    with pytest.raises(InputError, match=f"#{m.id}"):
        zoned.propose(people.wang, d.id, anywhere.id, expected_version=d2.version)
    assert len(zoned.matches(people.admin, d.id)) == 1


def test_the_reason_names_the_park(zoned: Linking, people: People) -> None:
    zoned.add_resource(people.wang, kind="bank_loan", name="梧桐贷", parks=["wutong"])
    d = zoned.submit_demand(people.wang, uscc=OTHER, kind="融资", title="贷款", park_id="wutong")
    [s] = zoned.suggest(people.wang, d.id)
    [park] = [r for r in s.reasons if "服务本园区" in r]
    assert "梧桐" in park and "wutong" not in park
