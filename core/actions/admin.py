"""What an administrator does at the box (``flask workers …``, ``flask sync retry``, ``flask data …``,
``flask catalogue load``, ``flask addresses load``); see :mod:`core.actions` for the rule."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from .. import addresses, audit, catalogue, outbox, sealing, workers
from ..db import write_transaction
from . import system


def add_worker(db: Database, login: str, password: str, role: str = "worker", display_name: str = "",
               reset: bool = False, actor: str = "cli", at: datetime | None = None) -> tuple[workers.Worker, str]:
    """Add a worker's account (``worker.added``); with ``reset``, an account of that name is given the
    password and enabled instead (``worker.password_reset``, ``worker.enabled``). Returns the account
    and ``"added"`` or ``"reset"``. Raises :class:`core.workers.WorkerError`."""
    with write_transaction(db):
        existing = workers.by_login(db, login)
        if existing and reset:
            worker = workers.set_password(db, login, password, at=at)
            audit.record(db, actor, "worker.password_reset", detail={"worker": worker.login}, at=at)
            if existing.disabled:
                worker = workers.set_disabled(db, login, False, at=at)
                audit.record(db, actor, "worker.enabled", detail={"worker": worker.login}, at=at)
            return worker, "reset"
        worker = workers.add(db, login, password, role=role, display_name=display_name, at=at)
        audit.record(db, actor, "worker.added", detail={"worker": worker.login, "role": role}, at=at)
        return worker, "added"


def reset_password(db: Database, login: str, password: str, actor: str = "cli",
                   at: datetime | None = None) -> workers.Worker:
    """Give a worker a new password (their open sessions end at their next page)."""
    with write_transaction(db):
        worker = workers.set_password(db, login, password, at=at)
        audit.record(db, actor, "worker.password_reset", detail={"worker": worker.login}, at=at)
    return worker


def disable_worker(db: Database, login: str, actor: str = "cli", at: datetime | None = None) -> workers.Worker:
    """Stop a worker from logging in; their open sessions end at their next page."""
    return _set_disabled(db, login, True, actor, at)


def enable_worker(db: Database, login: str, actor: str = "cli", at: datetime | None = None) -> workers.Worker:
    """Let a disabled worker log in again."""
    return _set_disabled(db, login, False, actor, at)


def _set_disabled(db: Database, login: str, disabled: bool, actor: str, at: datetime | None) -> workers.Worker:
    with write_transaction(db):
        worker = workers.set_disabled(db, login, disabled, at=at)
        audit.record(db, actor, "worker.disabled" if disabled else "worker.enabled", detail={"worker": worker.login}, at=at)
    return worker


def retry(db: Database, request_id: int, by: str = "operator", actor: str = "cli") -> str:
    """Queue a quarantined or waiting request again (``flask sync retry``), with its audit entry
    ``request.requeued``; returns the state it was in. Raises :class:`core.outbox.NotRetryable`."""
    with write_transaction(db):
        current = outbox.current_event(db, request_id)
        state = outbox.requeue(db, request_id, by=by)
        audit.record(db, actor, "request.requeued", request_id, {"event": current["event_id"], "was": state})
    return state


def purge(db: Database, now: datetime, draft_hours: float = 24, closed_days: float = 30,
          dry_run: bool = False) -> dict[str, int]:
    """``flask data purge``: what the sync service does every night (:func:`core.actions.system.purge`)."""
    return system.purge(db, now, draft_hours, closed_days, dry_run=dry_run)


def rotate_data_key(db: Database, folder: str | Path) -> int:
    """Make a new data key and seal everything with it; return how many rows were sealed again.

    Crash-safe: the new key is kept pending (:func:`core.sealing.begin_rotation`) until everything is
    sealed with it and committed, then it replaces the old (:func:`core.sealing.finish_rotation`).
    Raises FileNotFoundError when the key does not come from the instance folder.
    """
    sealing.begin_rotation(db, folder)
    count = system.seal_with_current_key(db)
    sealing.finish_rotation(folder)
    return count


def load_catalogue(db: Database, data: dict) -> dict[str, int]:
    """Replace the service catalogue (``flask catalogue load``). Raises :class:`core.catalogue.CatalogueError`."""
    with write_transaction(db):
        return catalogue.load_catalogue(db, data)


def load_address_book(db: Database, data: bytes) -> dict[str, int]:
    """Replace the address book with a CSV file's (``flask addresses load``); nothing changes when the
    file is refused (:class:`core.addresses.AddressBookError`)."""
    rows = addresses.read_csv(data)
    with write_transaction(db):
        return addresses.load(db, rows)
