"""The long-running sync worker: when to run the engine, and never two at once.

It runs the engine (a) nightly at a set local time, (b) as soon as the county's own address answers
again after it did not (a short-timeout probe of the county, not "is there internet": a county on
the local network counts), (c) whenever requests are waiting and the county answers, and (d) every
so often while requests are open at the county, to bring their status back. Time comes from an
injectable clock so the nightly trigger can be tested without waiting for night.
"""
from __future__ import annotations

import fcntl
import os
import time as _time
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from core import outbox

from .engine import RunReport, SyncEngine
from .open311 import OK


class AlreadyRunning(RuntimeError):
    """Another sync worker holds the lock."""


class SingleInstance:
    """An exclusive ``flock`` on a file in the instance folder, released when the process ends."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __enter__(self) -> "SingleInstance":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise AlreadyRunning(f"another sync worker holds {self.path}") from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


class Scheduler:
    def __init__(self, engine: SyncEngine, nightly_at: time, timezone_name: str = "Asia/Shanghai",
                 probe_seconds: float = 30.0, status_seconds: float = 300.0,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 sleep: Callable[[float], None] = _time.sleep, log: Callable[[str], None] = print,
                 after_nightly: Callable[[], str] | None = None):
        self.engine, self.nightly_at, self.tz = engine, nightly_at, ZoneInfo(timezone_name)
        self.probe_seconds, self.status_seconds = probe_seconds, status_seconds
        self.now, self.sleep, self.log = now, sleep, log
        self.after_nightly = after_nightly  # e.g. purging what has been kept long enough
        self.county_was_up: bool | None = None
        self.last_nightly: datetime | None = None
        self.last_run: datetime | None = None

    def _nightly_due(self) -> bool:
        local = self.now().astimezone(self.tz)
        today_at = local.replace(hour=self.nightly_at.hour, minute=self.nightly_at.minute, second=0, microsecond=0)
        if local < today_at:
            return False
        return self.last_nightly is None or self.last_nightly.astimezone(self.tz) < today_at

    def _open_at_county(self) -> bool:
        return bool(outbox.open_at_county(self.engine.db, limit=1))

    def trigger(self) -> str | None:
        """Why the engine should run now, or None. Probes the county once."""
        if self._nightly_due():
            return "nightly"
        up = self.engine.client.probe().kind == OK
        came_back = up and self.county_was_up is False
        self.county_was_up = up
        if not up:
            return None
        if came_back:
            return "reconnect"
        if self.engine.due(1):
            return "queue"
        stale = self.last_run is None or self.now() - self.last_run >= timedelta(seconds=self.status_seconds)
        if stale and self._open_at_county():
            return "status"
        return None

    def step(self) -> RunReport | None:
        """Decide once, and run the engine if there is a reason to."""
        why = self.trigger()
        if why is None:
            return None
        report = self.engine.run(why)
        self.last_run = self.now()
        if why == "nightly":
            self.last_nightly = self.now()
            if self.after_nightly is not None:
                try:
                    self.log(self.after_nightly())
                except Exception as exc:  # never let housekeeping take the worker down; say what happened
                    self.log(f"after the nightly run: {type(exc).__name__}: {exc}")
        self.log(f"sync ({why}): sent {report.sent}, accepted {report.accepted}, quarantined {report.quarantined}, "
                 f"retrying {report.retrying}, status updates {report.status_updates}"
                 + (f"; problems: {'; '.join(report.errors)}" if report.errors else ""))
        return report

    def loop(self, max_steps: int | None = None) -> None:
        """Run until stopped (or for ``max_steps`` decisions, for tests)."""
        steps = 0
        while max_steps is None or steps < max_steps:
            self.step()
            steps += 1
            if max_steps is None or steps < max_steps:
                self.sleep(self.probe_seconds)
