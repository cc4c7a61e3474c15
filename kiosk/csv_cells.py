"""CSV exports a worker opens in a spreadsheet (the audit log, the outcomes): cells that never run as formulas."""
from __future__ import annotations


def cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
