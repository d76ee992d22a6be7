"""Everything one running app holds: configuration, the app store, the warehouse pool, caches."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from zonebrain.appstore import AppStore
from zonebrain.core.errors import StorageError
from zonebrain.web._auth import SessionCache
from zonebrain.web._cache import DataCache
from zonebrain.web._config import WebConfig
from zonebrain.web._warehouse import WarehousePool

if TYPE_CHECKING:
    from zonebrain.chains import ChainSet, Classifier
    from zonebrain.registry import Zone

log = logging.getLogger("zonebrain.web")


@dataclass
class WebContext:
    config: WebConfig
    store: AppStore
    pool: WarehousePool
    cache: DataCache = field(init=False)
    sessions: SessionCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = DataCache(self.pool, ttl=self.config.data_version_ttl)
        self.sessions = SessionCache()

    @cached_property
    def zone(self) -> Zone:
        from zonebrain.registry import load_zone

        return load_zone(Path(self.config.zone_file) if self.config.zone_file else None)

    @cached_property
    def chains(self) -> ChainSet:
        from zonebrain.chains import load_chains

        return load_chains()

    @cached_property
    def classifier(self) -> Classifier:
        from zonebrain.chains import Classifier

        return Classifier(self.chains)

    def prepare_warehouse(self) -> None:
        """Create and migrate an empty embedded warehouse, so a fresh install shows empty pages."""
        from zonebrain.registry import ensure_ready

        try:
            if self.pool.exists():
                with self.pool.reader() as wh:
                    if wh.schema_version() > 0:
                        return
            with self.pool.writer() as wh:
                ensure_ready(wh, self.zone)
        except StorageError as exc:  # e.g. another process holds the file: pages say so per request
            log.warning("warehouse not prepared: %s", exc)

    def close(self) -> None:
        self.pool.close()
        self.store.close()
