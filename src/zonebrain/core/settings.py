"""Every setting, declared once: name, default, environment variable, help.

The CLI's global options, validation and the settings reference page all read this table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help_zh: str
    help_en: str


SETTINGS: Final = (
    Setting(
        "data_dir",
        "ZONEBRAIN_DATA_DIR",
        "data",
        "数据目录: 嵌入式仓库与应用库所在文件夹",
        "data directory holding the embedded warehouse and app store",
    ),
    Setting(
        "warehouse",
        "ZONEBRAIN_WAREHOUSE",
        "",
        "仓库地址; 为空则用 数据目录/warehouse.duckdb",
        "warehouse URL; empty means DATA_DIR/warehouse.duckdb",
    ),
    Setting(
        "app_db",
        "ZONEBRAIN_APP_DB",
        "",
        "应用库地址 (用户、会话、审计日志…); 为空则用 数据目录/app.sqlite",
        "app store URL (users, sessions, audit log, …); empty means DATA_DIR/app.sqlite",
    ),
    Setting(
        "zone_file",
        "ZONEBRAIN_ZONE_FILE",
        "",
        "园区定义文件 (YAML); 为空则用内置的郑州高新区",
        "zone file (YAML); empty means the built-in Zhengzhou High-tech Zone",
    ),
    Setting(
        "publicity_contact",
        "ZONEBRAIN_PUBLICITY_CONTACT",
        "",
        "公示名单中写明的异议受理单位 (可含电话、地址); 为空则为园区定义文件中园区全称加 '管理委员会政策兑现工作专班'",
        "where the 公示 (publicity) lists tell people to raise an objection (office, phone, address); "
        "empty means the zone file's full zone name + 管理委员会政策兑现工作专班",
    ),
    Setting(
        "publicity_min_days",
        "ZONEBRAIN_PUBLICITY_MIN_DAYS",
        "5",
        "兑现名单最短公示天数 (自然日, 含首尾两天); 园区可按本地规定调整, 通常为 5–7 个工作日",
        "the shortest 公示 (public notice) of a payout list, in calendar days, both ends included; "
        "a zone sets its own rule (usually 5–7 working days)",
    ),
    Setting(
        "new_account_hold_hours",
        "ZONEBRAIN_NEW_ACCOUNT_HOLD_HOURS",
        "24",
        "冷静期 (小时): 网页上新建、变更角色或重新启用的账号在此期间不能办理兑现步骤 (登记异议除外); "
        "运维在服务器上用命令行建立的账号不受此限; 0 为不设冷静期 (仅限试用)",
        "cooling-off in hours: an account created, given a new role or activated again by a user of "
        "the app takes no payout step until then (recording an objection excepted); accounts the "
        "operator makes on the server with the command line are exempt; 0 turns it off (trials only)",
    ),
    Setting("host", "ZONEBRAIN_HOST", "127.0.0.1", "网页服务监听地址", "address the web app listens on"),
    Setting("port", "ZONEBRAIN_PORT", "8765", "网页服务端口", "port the web app listens on"),
)
BY_NAME: Final = {s.name: s for s in SETTINGS}


def get(name: str, override: str | None = None) -> str:
    """The value of a setting: an explicit override, else its environment variable, else its default."""
    if override not in (None, ""):
        return str(override)
    s = BY_NAME[name]
    return os.environ.get(s.env) or s.default


def warehouse_url(data_dir: str | None = None, warehouse: str | None = None) -> str:
    url = get("warehouse", warehouse)
    if url:
        return url
    return str(Path(get("data_dir", data_dir)) / "warehouse.duckdb")
