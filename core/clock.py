"""Timestamps as the database stores them: UTC, ISO 8601, to the second; and the clock as a seam.

Code that decides by time (backoff, the nightly run, a worker's session expiring) takes a
:data:`Clock` — a function returning an aware ``datetime`` — so tests move time instead of waiting.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

#: A clock: returns now as an aware datetime. :func:`now` is the real one.
Clock = Callable[[], datetime]


def now() -> datetime:
    """The real clock: now, in UTC."""
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """``moment`` in UTC as ISO 8601 text, to the second (what every ``at`` column holds)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def utc_now() -> str:
    """Now, as :func:`iso` writes it."""
    return iso(now())
