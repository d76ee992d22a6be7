"""The one exception tree of ZoneBrain.

::

    ZoneBrainError                      every error ZoneBrain raises on purpose
    ├── InputError (ValueError)         the user's data or arguments are wrong; the message says the fix
    │   ├── USCCError                   a 统一社会信用代码 breaks a GB 32100-2015 rule
    │   ├── MoneyError                  an amount cannot be read exactly as fen
    │   ├── CodeError                   an unknown GB/T 4754 or division code
    │   ├── ZoneFileError               the zone YAML is invalid
    │   └── ImportRejected              a batch had bad rows and was not imported
    ├── ConfigError                     a setting or data directory is unusable
    └── StorageError                    an engine failed; names engine, table and statement

Messages say what happened, where (file, row, column, value) and what to do next.
"""

from __future__ import annotations

from pathlib import Path


class ZoneBrainError(Exception):
    """Base of every error ZoneBrain raises on purpose."""


class InputError(ZoneBrainError, ValueError):
    """The input (a value, a file, an argument) is wrong; the message says how to fix it."""


class USCCError(InputError):
    """A 统一社会信用代码 breaks one of the GB 32100-2015 rules.

    ``rule`` names the rule that failed: ``length``, ``alphabet``, ``authority``,
    ``org_check`` (the GB 11714 organisation-code check digit at position 17) or
    ``check`` (the final check character at position 18).
    """

    def __init__(self, message: str, *, rule: str, value: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.value = value


class MoneyError(InputError):
    """An amount cannot be converted to integer fen exactly."""


class CodeError(InputError):
    """A classification or division code is not in the standard."""


class ZoneFileError(InputError):
    """A zone definition file is invalid."""


class ImportRejected(InputError):
    """A batch contained bad rows; nothing was written (unless partial import was asked for)."""

    def __init__(self, message: str, *, rejected: int, report_path: str | None) -> None:
        super().__init__(message)
        self.rejected = rejected
        self.report_path = report_path


class ConfigError(ZoneBrainError):
    """A setting, data directory or warehouse URL is unusable."""


class StorageError(ZoneBrainError):
    """An engine error, re-raised with the engine, the table and the statement that failed.

    The original exception is attached as ``__cause__`` and as ``original``.
    """

    def __init__(
        self,
        message: str,
        *,
        engine: str,
        table: str | None = None,
        statement: str | None = None,
        original: BaseException | None = None,
    ) -> None:
        detail = f"[{engine}] {message}"
        if table:
            detail += f"\n  table: {table}"
        if statement:
            short = statement if len(statement) < 600 else statement[:600] + " …"
            detail += f"\n  statement: {short}"
        if original is not None:
            detail += f"\n  engine said: {type(original).__name__}: {original}"
        super().__init__(detail)
        self.engine = engine
        self.table = table
        self.statement = statement
        self.original = original


def out_suffix(path: Path, *allowed: str) -> str:
    """*path*'s suffix (lower case) when it is one of *allowed*, else the :class:`InputError` every
    writer of a file gives for another type (checked before anything is opened or computed)."""
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise InputError(
            f"不支持的文件类型 '{path.name}' (unsupported file type); 可用 / use: {', '.join(allowed)}"
        )
    return suffix
