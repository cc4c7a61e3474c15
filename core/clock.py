"""Timestamps as the database stores them: UTC, ISO 8601, to the second."""
from __future__ import annotations

from datetime import datetime, timezone


def iso(moment: datetime) -> str:
    """``moment`` in UTC as ISO 8601 text, to the second (what every ``at`` column holds)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def utc_now() -> str:
    """Now, as :func:`iso` writes it."""
    return iso(datetime.now(timezone.utc))
