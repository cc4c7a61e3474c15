"""The long-running sync service: when to run the engine, and never two at once.

It runs the engine (a) nightly at a set local time, (b) as soon as the county's own address answers
again after it did not (a short-timeout probe of the county, not "is there internet": a county on
the local network counts), (c) whenever requests are waiting and the county answers, (d) every
so often while requests are open at the county, to bring their status back, and (e) at once when a
worker asks ("Sync now" on the health page leaves a file, :func:`ask_to_run_now`, that the sync service
looks for every second while it waits). Time comes from an injectable clock so the nightly trigger can
be tested without waiting for night.
"""
from __future__ import annotations

import fcntl
import os
import time as _time
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from typing import TYPE_CHECKING

from core import outbox

from .open311 import OK

if TYPE_CHECKING:  # the engine (and the catalogue, notes and payload modules) only for the scheduler's types:
    from .engine import RunReport, SyncEngine  # sync.health reads this module's lock file names in the web app

LOCK_FILE = "sync.lock"    # in the instance folder: held by the running sync service (SingleInstance), with its pid
RUN_NOW_FILE = "sync-now"  # in the instance folder: a request to run at once, with the time it was asked

class AlreadyRunning(RuntimeError):
    """Another sync service holds the lock."""


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
            raise AlreadyRunning(f"another sync service holds {self.path}") from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def lock_holder(path: str | Path) -> int | None:
    """The pid of the process holding the sync service's lock at ``path`` now, or None when none holds it.

    Read from the kernel's table of locks (``/proc/locks``), so asking never takes the lock itself: a
    sync service starting at that very moment is never refused. Raises OSError where there is no such table.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    with open("/proc/locks", encoding="ascii", errors="replace") as table:
        for line in table:  # "7: FLOCK  ADVISORY  WRITE 1234 fe:00:2146697 0 EOF"; waiters have "->"
            fields = line.split()
            if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
                return int(fields[4])
    return None


def ask_to_run_now(folder: str | Path, at: str) -> Path:
    """Leave a request for the sync service to run at once, ignoring backoff (a worker's "Sync now").

    The file stays until the sync service takes it, so a request made while none runs is honoured when
    one starts; asking twice before then is one request. Returns the file's path.
    """
    path = Path(folder) / RUN_NOW_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, at.encode())
    finally:
        os.close(fd)
    return path


def run_now_asked_at(folder: str | Path) -> str | None:
    """When a "run now" still waiting for the sync service was asked (None when none waits)."""
    try:
        return (Path(folder) / RUN_NOW_FILE).read_text(encoding="ascii").strip() or "?"
    except (FileNotFoundError, UnicodeDecodeError):
        return None


class Scheduler:
    def __init__(self, engine: SyncEngine, nightly_at: time, timezone_name: str = "Asia/Shanghai",
                 probe_seconds: float = 30.0, status_seconds: float = 300.0,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 sleep: Callable[[float], None] = _time.sleep, log: Callable[[str], None] = print,
                 after_nightly: Callable[[], str] | None = None, run_now: str | Path | None = None):
        self.engine, self.nightly_at, self.tz = engine, nightly_at, ZoneInfo(timezone_name)
        self.probe_seconds, self.status_seconds = probe_seconds, status_seconds
        self.now, self.sleep, self.log = now, sleep, log
        self.after_nightly = after_nightly  # e.g. purging what has been kept long enough
        self.run_now = Path(run_now) if run_now else None  # the file ask_to_run_now leaves
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

    def _take_run_now(self) -> bool:
        """Whether a worker asked to run now; the request is used up (removed) in asking."""
        if self.run_now is None:
            return False
        try:
            self.run_now.unlink()
        except FileNotFoundError:
            return False
        return True

    def trigger(self) -> str | None:
        """Why the engine should run now, or None. Probes the county once (not when asked to run now:
        then the run itself finds out, and records what it met)."""
        if self._take_run_now():
            return "manual"
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
        report = self.engine.run(why, ignore_backoff=why == "manual")
        self.last_run = self.now()
        if why == "nightly":
            self.last_nightly = self.now()
            if self.after_nightly is not None:
                try:
                    self.log(self.after_nightly())
                except Exception as exc:  # never let housekeeping take the sync service down; say what happened
                    self.log(f"after the nightly run: {type(exc).__name__}: {exc}")
        self.log(f"sync ({why}): sent {report.sent}, accepted {report.accepted}, quarantined {report.quarantined}, "
                 f"retrying {report.retrying}, status updates {report.status_updates}, notes sent {report.notes_sent}, notes kept for the workers {report.notes_kept}"
                 + (f"; problems: {'; '.join(report.errors)}" if report.errors else ""))
        return report

    def loop(self, max_steps: int | None = None) -> None:
        """Run until stopped (or for ``max_steps`` decisions, for tests)."""
        steps = 0
        while max_steps is None or steps < max_steps:
            self.step()
            steps += 1
            if max_steps is None or steps < max_steps:
                self.wait(self.probe_seconds)

    def wait(self, seconds: float) -> None:
        """Sleep until the next decision, a second at a time, waking early when asked to run now."""
        left = seconds
        while left > 0 and not (self.run_now is not None and self.run_now.exists()):
            self.sleep(min(1.0, left))
            left -= 1.0
