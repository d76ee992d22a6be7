"""Values Excel rewrote behind the user's back: numbers in scientific notation, dates as serials.

Neither is converted. Scientific notation is how Excel shows (and exports to CSV) a number too
long or too small for its column, often rounded to a few digits, so the text need not be the
value the user typed; a date serial is a date cell whose format was lost. Both are refused
with a message that says what the cell is, what it stands for when that can be known, and how
to export it properly.

>>> scientific("9.14101726990786E+17")
Decimal('9.14101726990786E+17')
>>> scientific("914101726990786") is None
True
>>> serial_date(45383)
datetime.date(2024, 4, 1)
>>> serial_date(60) is None
True
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[Ee][+-]?\d+$")
"""A number in scientific notation: 9.14101726990786E+17 (Excel), 1e-05 (a number cell read back)."""

EXCEL_DIGITS = 15
"""Excel keeps 15 significant digits; a number written with that many may have lost later ones."""

_LARGEST_SHOWN = 30
"""Beyond 10^30 (or below 10^-30) a value is not written out in full: no figure is that size."""

SERIALS = range(1, 80_001)
"""Serials taken for a date: 1900-01-01 to 2119-01-11 in the 1900 date system."""
_SERIAL = re.compile(r"^(?P<day>\d{1,5})(?P<time>\.\d+)?$")


def scientific(text: str) -> Decimal | None:
    """The exact value *text* writes in scientific notation; None when it is not written so."""
    t = unicodedata.normalize("NFKC", text).strip()
    # Decimal reads the notation exactly (no float between): '1.2E+07' is 12000000, '1e-05' 0.00001
    return Decimal(t) if _SCIENTIFIC.match(t) else None


def _plain(number: Decimal) -> str:
    """*number* written out without an exponent or trailing zeros after the point."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def scientific_problem(value: str, unit: str | None = None) -> str | None:
    """Why a number written in scientific notation is refused, or None when *value* is not one.

    A money column takes no value in this notation, not even an exact whole one (1.2E+07 元):
    Excel writes it so when the column is too narrow, rounding to what fits, so the text is not
    proof of the amount, and nothing is silently converted. The message gives the value the text
    stands for and says how to export the column so that the number arrives as typed.
    """
    number = scientific(value)
    if number is None:
        return None
    in_unit = f" {unit}" if unit else ""
    head = f"'{value}' 是科学计数法 (scientific notation)"
    fix_zh = "请在 Excel 中把该列设为'数值'(不用科学计数)或'文本'格式，核对后重新导出"
    fix_en = (
        "format the column as Number (not Scientific) or as Text in Excel, check the value and export again"
    )
    if abs(number.adjusted()) > _LARGEST_SHOWN:
        size = number.adjusted()
        return f"{head}, 数量级为 10^{size}，不是合理的数值 (of the order of 10^{size}: not a plausible figure); {fix_zh} / {fix_en}"
    plain = _plain(number)
    if len(number.as_tuple().digits) >= EXCEL_DIGITS:
        return (
            f"{head}, 表示 {plain}{in_unit}，但 Excel 只保留 15 位有效数字，原值的末几位可能已丢失 "
            f"(it stands for {plain}{in_unit}, but Excel keeps 15 significant digits: the last digits "
            f"of the original may be lost); {fix_zh}，或按原始数据重新填写 / {fix_en}, or type it again "
            "from the source"
        )
    return (
        f"{head}, 表示 {plain}{in_unit} (it stands for {plain}{in_unit}); 科学计数法的数不自动换算，"
        "Excel 这样显示或导出时常已四舍五入 (it is not converted: Excel often rounds a number it shows so); "
        f"{fix_zh}，或直接填写 {plain} / {fix_en}, or type {plain}"
    )


def serial_date(serial: int) -> dt.date | None:
    """The day an Excel serial stands for in the 1900 date system; None for serial 60.

    Excel counts 1900-01-01 as day 1 and, following Lotus 1-2-3, takes 1900 for a leap year:
    serial 60 is 1900-02-29, a day that never was, so from 61 (1900-03-01) on each serial is one
    day more than the days since 1899-12-31.
    """
    if serial == 60:
        return None
    return dt.date(1899, 12, 31 if serial < 60 else 30) + dt.timedelta(days=serial)


def serial_problem(value: str, day: bool) -> str | None:
    """Why a date (*day*) or month cell holding an Excel date serial is refused; None when it holds none.

    A serial is not converted: a date column holding a bare number is as likely to hold a year,
    a count or a typing slip as a date cell that lost its format.
    """
    m = _SERIAL.match(unicodedata.normalize("NFKC", value).strip())
    if m is None or int(m["day"]) not in SERIALS:
        return None
    serial = int(m["day"])
    head = f"'{value}' 像是 Excel 日期序列号 (an Excel date serial)"
    date = serial_date(serial)
    if date is None:
        return (
            f"{head}: 序列号 60 是 Excel 虚构的 1900-02-29，这一天并不存在 (serial 60 is 1900-02-29, "
            "a day that never was: Excel's 1900 leap-year bug); 请填写实际日期 / type the real date"
        )
    typed = date.isoformat() if day else date.isoformat()[:7]
    timed = bool(m["time"]) and float(m["time"]) > 0  # 45383.5: noon of that day
    when_zh = date.isoformat() + ("的某一时刻" if timed else "")
    when_en = ("a time of day on " if timed else "") + date.isoformat()
    month = "" if day else f", 即月份 {typed} (month {typed})"
    text = (
        f"{head}: 按 1900 日期系统表示 {when_zh} (in the 1900 date system it stands for {when_en}){month}; "
        "序列号不自动换算 (a serial is not converted); 请把该单元格设为'日期'格式后重新导出，"
        f"或直接填写 {typed} / format the cell as a date and export again, or type {typed}"
    )
    if 1900 <= serial <= 2100 and not m["time"]:
        whole = f"{serial}-01-01" if day else f"{serial}-01"
        text += (
            f"; 若这是年份，请写完整日期，如 {whole} / if it is a year, write a whole date such as {whole}"
        )
    return text
