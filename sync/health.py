"""The kiosk's health at a glance: the figures a worker reads on ``/worker/health``, a monitor reads
at ``/health.json`` and ``/metrics``, and ``flask sync status`` prints.

Each figure is a value with a unit and a verdict — green (nothing to do), amber (someone should look
today), red (act now) — judged against :data:`THRESHOLDS`, the one place those numbers live. The
overall verdict is the worst of them. This module returns codes and numbers only: the plain words
that say them belong to the web layer (``kiosk/health_views.py``), where they are translated.

Every figure comes from the module that owns it: requests by state from :mod:`core.outbox` (through
its state index, never a pass over every request), the runs from :mod:`sync.runs`, the sync service's lock
and its "run now" request from :mod:`sync.schedule`, the last catalogue refresh from :mod:`sync.catalogue`; the disk and the database file from the file
system. The speech process lives in the web process, so the web layer reports it (:class:`VoiceReport`).
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from core import outbox
from core.backup import backups as found_backups
from core.clock import iso

from . import runs
from .catalogue import last_refresh
from .schedule import LOCK_FILE, lock_holder, run_now_asked_at

VERSION = 1  # of the JSON shape (:meth:`Health.as_dict`); a change that breaks a reader raises it
GREEN, AMBER, RED = "green", "amber", "red"
VERDICTS = (GREEN, AMBER, RED)  # in order of gravity
MB = 1_000_000
HOUR, DAY = 3600.0, 86400.0


@dataclass(frozen=True)
class Thresholds:
    """Where each figure turns amber or red (a value beyond the limit, not at it). Documented in
    docs/design.md ("The kiosk's heartbeat"); change them here only."""

    oldest_unsent_amber: float = HOUR      # s a saved request has waited for the county
    oldest_unsent_red: float = DAY
    quarantined_amber: int = 0             # requests the county refused: any one needs a worker
    in_flight_amber: float = 15 * 60       # s a send's outcome has been unknown (a run was cut short)
    no_success: float = DAY                # s since the last successful sync: red while requests
                                           # wait, amber when none do (the nightly run should succeed)
    run_unfinished_amber: float = 15 * 60  # s a run has been going without finishing
    clock_amber: float = 30.0              # s between the county's clock and ours
    clock_red: float = runs.CLOCK_SKEW_LIMIT  # (120 s) beyond this, times on requests are wrong
    free_disk_amber: int = 200 * MB        # bytes free on the database's file system, below which …
    free_disk_red: int = 50 * MB
    database_amber: float = 0.80           # share of the database's cap (KIOSK_DB_MAX_PAGES) in use
    database_red: float = 0.95
    backup_amber: float = 2 * DAY          # s since the newest backup (one is made every night)
    backup_red: float = 8 * DAY


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class VoiceReport:
    """What the web process knows of its speech process (``engines/speech/synthesiser.py``), as plain data."""

    available: bool                  # espeak-ng is installed: read aloud can work at all
    running: bool                    # its process is alive now (it starts on first use)
    pid: int | None = None
    last_heard: float | None = None  # Unix time of the last audio it made
    last_failure: float | None = None  # Unix time of the last job that failed
    failure: str = ""                # what that failure said


@dataclass(frozen=True)
class Figure:
    """One figure: ``value`` in ``unit``; ``code`` says which case it is (the web layer words it)."""

    name: str
    value: int | float | str | None
    unit: str  # requests | seconds | bytes | state
    verdict: str
    code: str
    extra: dict = field(default_factory=dict)  # when, what it said: shown beside the value


@dataclass(frozen=True)
class Health:
    at: str
    figures: tuple[Figure, ...]

    @property
    def overall(self) -> str:
        """The worst verdict of all the figures."""
        return worst(f.verdict for f in self.figures)

    def __getitem__(self, name: str) -> Figure:
        for figure in self.figures:
            if figure.name == name:
                return figure
        raise KeyError(name)

    def as_dict(self) -> dict:
        """The JSON shape (``VERSION``): ``{version, at, overall, figures: {name: {value, unit, verdict,
        code, …extra}}}``; figures keep their order."""
        return {"version": VERSION, "at": self.at, "overall": self.overall,
                "figures": {f.name: {"value": f.value, "unit": f.unit, "verdict": f.verdict, "code": f.code, **f.extra}
                            for f in self.figures}}


def worst(verdicts) -> str:
    return max(verdicts, key=VERDICTS.index, default=GREEN)


# --- judging: pure functions of a value and the thresholds, each limit tested on both sides -----------


def judge_oldest_unsent(age: float | None, t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    if age is None:
        return GREEN, "none"
    if age > t.oldest_unsent_red:
        return RED, "very_late"
    return (AMBER, "late") if age > t.oldest_unsent_amber else (GREEN, "waiting")


def judge_in_flight(count: int, age: float | None, t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    if not count:
        return GREEN, "none"
    return (AMBER, "outcome_unknown") if age is not None and age > t.in_flight_amber else (GREEN, "sending")


def judge_quarantined(count: int, t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    return (AMBER, "refused") if count > t.quarantined_amber else (GREEN, "none")


def judge_last_success(age: float | None, waiting: bool, oldest_unsent: float | None,
                       t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    """``age``: seconds since the last successful sync (None: never); ``waiting``: requests unsent."""
    if age is None:  # a new box: judged by how long its first request has waited for one
        if not waiting:
            return GREEN, "never"
        return (RED, "never") if oldest_unsent is not None and oldest_unsent > t.no_success else (AMBER, "never")
    if age > t.no_success:
        return (RED, "old") if waiting else (AMBER, "old")
    return GREEN, "recent"


def judge_last_attempt(attempt: dict | None, age: float | None, t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    """``attempt``: :func:`sync.runs.last_attempt`; ``age``: seconds since it started."""
    if attempt is None:
        return GREEN, "none"
    if attempt["finished_at"] is None:
        return (AMBER, "cut_short") if age is not None and age > t.run_unfinished_amber else (GREEN, "running")
    if attempt["key_refused"]:
        return RED, "key_refused"
    return (AMBER, "failed") if attempt["error"] else (GREEN, "ok")


def judge_clock(offset: float | None, t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    if offset is None:
        return GREEN, "unknown"
    if abs(offset) > t.clock_red:
        return RED, "skewed"
    return (AMBER, "off") if abs(offset) > t.clock_amber else (GREEN, "ok")


def judge_catalogue(report: dict | None) -> tuple[str, str]:
    """``report``: :func:`sync.catalogue.last_refresh`. Amber when a worker should know: the last refresh
    failed, the county's catalogue would have removed questions (refused), or it does not list a
    service the kiosk offers (requests for it will be refused by the county)."""
    if report is None:
        return GREEN, "not_refreshed"
    if report.get("error"):
        return AMBER, "failed"
    if report.get("refused"):
        return AMBER, "refused"
    return (AMBER, "unlisted") if report.get("unlisted") else (GREEN, "ok")


def judge_sync_service(pid: int | None, known: bool, waiting: bool) -> tuple[str, str]:
    if not known:
        return AMBER, "unknown"
    if pid is not None:
        return GREEN, "running"
    return (RED, "not_running") if waiting else (AMBER, "not_running")


def judge_voice(voice: VoiceReport) -> tuple[str, str]:
    if not voice.available:
        return RED, "unavailable"
    if voice.last_failure is not None and (voice.last_heard is None or voice.last_failure > voice.last_heard):
        return AMBER, "failing"
    return (GREEN, "running") if voice.running else (GREEN, "idle")


def judge_free_disk(free: int, t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    if free < t.free_disk_red:
        return RED, "very_low"
    return (AMBER, "low") if free < t.free_disk_amber else (GREEN, "ok")


def judge_database(size: int, cap: int | None, t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    if not cap:
        return GREEN, "no_cap"
    if size > t.database_red * cap:
        return RED, "at_cap"
    return (AMBER, "near_cap") if size > t.database_amber * cap else (GREEN, "ok")


# --- gathering ----------------------------------------------------------------------------------------


def _age(now: datetime, at: str | None) -> float | None:
    return None if at is None else round((now - datetime.fromisoformat(at)).total_seconds(), 1)


def _when(moment: float | None) -> str | None:
    return None if moment is None else iso(datetime.fromtimestamp(moment, timezone.utc))


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def judge_integrity(problems: list[str]) -> tuple[str, str]:
    return (RED, "damaged") if problems else (GREEN, "ok")


def judge_backup(age: float | None, t: Thresholds = THRESHOLDS) -> tuple[str, str]:
    if age is None:
        return AMBER, "never"
    if age > t.backup_red:
        return RED, "very_old"
    return (AMBER, "old") if age > t.backup_amber else (GREEN, "ok")


def check(db: Database, instance: str | Path, database: str | Path, *, now: datetime | None = None,
          max_pages: int = 0, voice: VoiceReport | None = None, thresholds: Thresholds = THRESHOLDS,
          integrity: list[str] | None = None, backups: str | Path | None = None) -> Health:
    """Every figure, judged.

    :param instance: the instance folder (the sync service's lock and its "run now" request live there).
    :param database: the SQLite file: its size (with its WAL) and the free space on its file system.
    :param max_pages: the database's cap in pages (``KIOSK_DB_MAX_PAGES``; 0: none).
    :param voice: the speech process's report; None leaves the figure out (a process that has none).
    :param integrity: what ``PRAGMA quick_check`` found at start-up ([] when sound; :func:`core.backup.check`);
        None leaves the figure out.
    :param backups: the folder of nightly backups (:mod:`core.backup`); None leaves the figure out.
    """
    now = now or datetime.now(timezone.utc)
    t = thresholds
    figures = []

    def add(name, value, unit, judged, **extra):
        figures.append(Figure(name, value, unit, judged[0], judged[1], extra))

    unsent = 0
    try:  # a damaged file (a power cut tore it) cannot answer: the figures that need it are left out
        found = outbox.tally(db, (*outbox.UNSENT, outbox.QUARANTINED))
        count = {state: found.get(state, {}).get("count", 0) for state in (*outbox.UNSENT, outbox.QUARANTINED)}
        unsent = sum(count[state] for state in outbox.UNSENT)
        saved = [found[state]["saved"] for state in outbox.UNSENT if state in found]
        oldest_at = min(saved) if saved else None
        oldest = _age(now, oldest_at)
        # held for a person (a spoken answer to write down): not the sync's to send, never late; Today's list shows them
        held = found.get("held", {}).get("count", 0)
        add("unsent", unsent, "requests", (GREEN, "waiting" if unsent else "none"),
            by_state={state: count[state] for state in outbox.UNSENT}, held=held)
        add("oldest_unsent", oldest, "seconds", judge_oldest_unsent(oldest, t), since=oldest_at)
        flying_since = found.get(outbox.IN_FLIGHT, {}).get("since")
        add("in_flight", count[outbox.IN_FLIGHT], "requests",
            judge_in_flight(count[outbox.IN_FLIGHT], _age(now, flying_since), t), since=flying_since)
        add("quarantined", count[outbox.QUARANTINED], "requests", judge_quarantined(count[outbox.QUARANTINED], t),
            since=found.get(outbox.QUARANTINED, {}).get("since"))

        success_at = runs.last_success(db)
        success = _age(now, success_at)
        add("last_success", success, "seconds", judge_last_success(success, unsent > 0, oldest, t), at=success_at)
        attempt = runs.last_attempt(db)
        started = _age(now, attempt["started_at"]) if attempt else None
        add("last_attempt", started, "seconds", judge_last_attempt(attempt, started, t),
            **({k: attempt[k] for k in ("trigger", "started_at", "finished_at", "error")} if attempt else
               {"trigger": None, "started_at": None, "finished_at": None, "error": None}))
        offset = runs.clock_offset(db)
        add("clock_offset", None if offset is None else round(offset, 1), "seconds", judge_clock(offset, t))
        refresh = last_refresh(db)
        judged = judge_catalogue(refresh)
        add("catalogue", judged[1], "state", judged, **{k: (refresh or {}).get(k, default) for k, default in (
            ("at", None), ("refreshed_at", None), ("error", None), ("refused", {}), ("unlisted", []))})

    except sqlite3.DatabaseError as exc:
        integrity = [*(integrity or []), f"reading the database: {exc}"]

    try:
        holder, known = lock_holder(Path(instance) / LOCK_FILE), True
    except OSError:
        holder, known = None, False
    add("sync_service", "unknown" if not known else "running" if holder else "not_running", "state",
        judge_sync_service(holder, known, unsent > 0), pid=holder, run_now_asked_at=run_now_asked_at(instance))
    if voice is not None:
        judged = judge_voice(voice)
        add("speech_service", judged[1], "state", judged, pid=voice.pid, last_heard=_when(voice.last_heard),
            last_failure=_when(voice.last_failure), failure=voice.failure or None)

    database = Path(database)
    disk = os.statvfs(database.parent)
    free = disk.f_bavail * disk.f_frsize  # what this (unprivileged) process may still write
    add("free_disk", free, "bytes", judge_free_disk(free, t))
    file_bytes, wal_bytes = _file_size(database), _file_size(database.with_name(database.name + "-wal"))
    try:
        cap = max_pages * db.execute("PRAGMA page_size").fetchone()[0] if max_pages else None
    except sqlite3.DatabaseError:
        cap = None
    add("database_size", file_bytes + wal_bytes, "bytes", judge_database(file_bytes + wal_bytes, cap, t),
        file_bytes=file_bytes, wal_bytes=wal_bytes, cap_bytes=cap)
    if integrity is not None:
        add("integrity", "damaged" if integrity else "ok", "state", judge_integrity(integrity), problems=integrity[:3])
    if backups is not None:
        newest = found_backups(backups)[-1:]
        at = datetime.fromtimestamp(newest[0].stat().st_mtime, timezone.utc) if newest else None
        add("last_backup", None if at is None else round((now - at).total_seconds()), "seconds", judge_backup(
            None if at is None else (now - at).total_seconds(), t), at=iso(at) if at else None,
            file=newest[0].name if newest else None)
    return Health(iso(now), tuple(figures))


def summary(db: Database, now: datetime | None = None) -> dict:
    """Counts by current state, oldest unsent request's age, last success, last error, key, clock offset
    (what ``flask sync status`` has always printed; it reads every request's state, see
    :func:`core.outbox.counts_by_state`)."""
    now = now or datetime.now(timezone.utc)
    oldest = outbox.oldest_unsent_since(db)
    offset = runs.clock_offset(db)
    return {
        "counts": outbox.counts_by_state(db),
        "oldest_unsent_seconds": (now - datetime.fromisoformat(oldest)).total_seconds() if oldest else None,
        "last_success": runs.last_success(db),
        "last_error": runs.last_error(db),
        "key_refused": runs.key_refused(db),
        "clock_offset_seconds": offset,
        "clock_skewed": offset is not None and abs(offset) > runs.CLOCK_SKEW_LIMIT,
    }
