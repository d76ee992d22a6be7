"""What one running web app is configured with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WebConfig:
    warehouse_url: str
    app_db_url: str
    data_dir: Path
    zone_file: str | None = None
    cookie_secure: bool | None = None
    """True/False forces the Secure cookie flag; None sets it when the request came over HTTPS."""
    pool_size: int = 4
    """Read-only warehouse connections kept open (one per concurrent warehouse read)."""
    password_cost: str = "standard"
    login_max_failures: int = 5
    """Failed logins for one username within :attr:`login_window` before it is locked for a while."""
    ip_max_failures: int = 30
    """Failed logins from one address within :attr:`login_window` before it is locked."""
    login_window: dt.timedelta = dt.timedelta(minutes=15)
    upload_max_bytes: int = 200 * 1024 * 1024
    data_version_ttl: float = 5.0
    """Seconds a check of the warehouse's data version is trusted before asking again."""

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"
