"""linking/: resource linking (资源对接) — a catalogue of resources, enterprise demands, a matcher
that ranks resources for each demand with its reasons, and tracking to resolution with a
response-time target and the enterprise's rating.

Resources: banks and loan products, venture and guidance funds, talent programmes, universities
and labs, public technology platforms, overseas innovation centres, land and buildings. Demands:
融资, 人才, 技术, 政策, 市场, 国际, 用地/载体. Enterprise users submit and see their own demands only.

>>> from zonebrain.appstore import Role, open_app_store
>>> store = open_app_store(":memory:", password_cost="low")
>>> wang = store.users.add("wang", "a-long-password", Role.INVESTMENT_OFFICER)
>>> links = Linking(store)
>>> bank = links.add_resource(wang, kind="bank_loan", name="科技贷", keywords=["研发", "流动资金"])
>>> d = links.submit_demand(wang, uscc="91110000600037341L", kind="融资", title="研发流动资金贷款")
>>> [s.resource.name for s in links.suggest(wang, d.id)]
['科技贷']
"""

from zonebrain.linking._excel import (
    DEMAND_COLUMNS,
    KINDS,
    RESOURCE_COLUMNS,
    LinkImport,
    Problem,
    import_file,
    write_report,
    write_template,
)
from zonebrain.linking._firms import (
    Firm,
    FirmDirectory,
    ParkAliases,
    RegistryFirms,
    demand_park,
    park_aliases,
    park_label,
    resolve_parks,
)
from zonebrain.linking._kinds import (
    DEMAND_ZH,
    FIT,
    RESOURCE_ZH,
    DemandKind,
    ResourceKind,
    parse_demand_kind,
    parse_resource_kind,
)
from zonebrain.linking._matcher import rank, score
from zonebrain.linking._model import (
    AlreadyThere,
    Demand,
    DemandNotFound,
    Match,
    NotAllowed,
    Resource,
    Suggestion,
)
from zonebrain.linking._service import Linking
from zonebrain.linking._stats import response_stats

__all__ = [
    "DEMAND_COLUMNS",
    "DEMAND_ZH",
    "FIT",
    "KINDS",
    "RESOURCE_COLUMNS",
    "RESOURCE_ZH",
    "AlreadyThere",
    "Demand",
    "DemandKind",
    "DemandNotFound",
    "Firm",
    "FirmDirectory",
    "LinkImport",
    "Linking",
    "Match",
    "NotAllowed",
    "ParkAliases",
    "Problem",
    "RegistryFirms",
    "Resource",
    "ResourceKind",
    "Suggestion",
    "demand_park",
    "import_file",
    "park_aliases",
    "park_label",
    "parse_demand_kind",
    "parse_resource_kind",
    "rank",
    "resolve_parks",
    "response_stats",
    "score",
    "write_report",
    "write_template",
]
