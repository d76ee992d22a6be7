"""registry/: getting a zone's enterprise data in without losing or corrupting any of it.

Read .xlsx/.csv (UTF-8, UTF-8 with BOM, GBK, GB18030) with the Chinese headers officials
use, validate every cell, reject bad rows into an Excel report, and merge into the
warehouse atomically and idempotently, with provenance and a list of source conflicts.
"""

from zonebrain.registry._import import DEFAULT_SOURCES, ImportReport, ensure_ready, import_file
from zonebrain.registry._read import detect_encoding, read_table_file
from zonebrain.registry._sheet import match_headers, parse_datetime
from zonebrain.registry._zone import Park, Zone, load_zone
from zonebrain.registry.formats import FORMATS, Column, FileFormat

__all__ = [
    "DEFAULT_SOURCES",
    "FORMATS",
    "Column",
    "FileFormat",
    "ImportReport",
    "Park",
    "Zone",
    "detect_encoding",
    "ensure_ready",
    "import_file",
    "load_zone",
    "match_headers",
    "parse_datetime",
    "read_table_file",
]
