"""appstore/: the transactional store — users and roles, login sessions, the audit log (a hash
chain: :func:`verify_chain`).

SQLAlchemy 2 with Alembic migrations; a SQLite file in the data directory by default,
PostgreSQL in deployment. Later jobs (pipeline projects, demands, approvals, the payment
ledger) add their tables here as new migrations. Domain packages never import it.

>>> store = open_app_store(":memory:", password_cost="low")
>>> store.users.add("admin", "correct-horse-battery", Role.ADMIN).role
<Role.ADMIN: 'admin'>
>>> store.users.authenticate("admin", "wrong-password-123") is None
True
"""

# registers the pipeline, linking and 兑现 tables on the shared metadata (migrations and their model check see them)
from zonebrain.appstore import disbursement_models as _disbursement_models  # noqa: F401
from zonebrain.appstore import linking_models as _linking_models  # noqa: F401
from zonebrain.appstore import pipeline_models as _pipeline_models  # noqa: F401
from zonebrain.appstore._audit import AuditEntry, AuditLog
from zonebrain.appstore._audit_stream import ChainedEntry, chain_head, iter_audit
from zonebrain.appstore._chain import AuditChainError, ChainHead
from zonebrain.appstore._chain_verify import ChainBreak, ChainReport, verify_chain
from zonebrain.appstore._models import AccountGrantRow, AuditRow, UserRow
from zonebrain.appstore._roles import ROLES, Role
from zonebrain.appstore._sessions import LoginSession, Sessions
from zonebrain.appstore._store import (
    AppStore,
    ConcurrentUpdate,
    default_app_db_url,
    open_app_store,
    open_existing_app_store,
)
from zonebrain.appstore._users import MIN_PASSWORD, Grant, User, Users
from zonebrain.core.clock import utcnow

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "AccountGrantRow",
    "AppStore",
    "AuditChainError",
    "AuditEntry",
    "AuditLog",
    "AuditRow",
    "ChainBreak",
    "ChainHead",
    "ChainReport",
    "ChainedEntry",
    "ConcurrentUpdate",
    "Grant",
    "LoginSession",
    "Role",
    "Sessions",
    "User",
    "UserRow",
    "Users",
    "chain_head",
    "default_app_db_url",
    "iter_audit",
    "open_app_store",
    "open_existing_app_store",
    "utcnow",
    "verify_chain",
]
