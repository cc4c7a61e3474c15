"""Sending saved requests to the county exactly once, and bringing their status back.

Each step is small and named, and each writes what it learned as outbox events in its own short
transaction:

1. :meth:`SyncEngine.push` — for each due request, oldest first: if an earlier send may have reached
   the county (it was in flight, or the answer was ambiguous), *ask first* (by the kiosk UUID); else
   commit ``in_flight`` durably, POST, and record what the answer means: ``accepted``,
   ``quarantined`` (the county refused it; the rest of the queue moves on), or ``retry_wait`` with
   exponential backoff and jitter. A refused api key or an unreachable county stops the run with
   everything still queued.
2. :meth:`SyncEngine.resolve_tokens` — requests accepted with a token get their id.
3. :meth:`SyncEngine.pull_status` — batch status of open requests, recorded only when it changed.
4. On nightly, manual and reconnect runs, the catalogue is refreshed (:mod:`sync.catalogue`).

Clock: every county answer's ``Date`` header gives the offset between the two clocks, kept per run.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from sqlite_utils import Database

from . import outbox
from .catalogue import refresh_catalogue
from .open311 import ACCEPTED, AMBIGUOUS, KEY_REFUSED, REFUSED, UNREACHABLE, Open311Client, Outcome
from .payload import open311_fields
from .store import write_transaction

CLOCK_SKEW_LIMIT = 120.0  # seconds; beyond this the run is flagged
CATALOGUE_TRIGGERS = ("nightly", "manual", "reconnect")  # runs that also refresh the catalogue


@dataclass
class Settings:
    location: str = "社区服务中心"       # address_string for requests with no address of their own
    batch_size: int = 50
    base_delay: float = 30.0            # first retry after 15–30 s ...
    max_delay: float = 3600.0           # ... doubling up to an hour
    uuid_lookup: bool = True            # the county answers GET /requests.json?kiosk_uuid=…
    county_locale: str = "zh_Hans_CN"   # the language of the county's catalogue texts


@dataclass
class RunReport:
    trigger: str
    sent: int = 0
    accepted: int = 0
    quarantined: int = 0
    retrying: int = 0
    status_updates: int = 0
    key_refused: bool = False
    unreachable: bool = False
    county_date: str = ""
    clock_offset_seconds: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def clock_skewed(self) -> bool:
        return self.clock_offset_seconds is not None and abs(self.clock_offset_seconds) > CLOCK_SKEW_LIMIT


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


class SyncEngine:
    def __init__(self, db: Database, client: Open311Client, settings: Settings | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc), rng: random.Random | None = None):
        self.db, self.client, self.settings, self.now = db, client, settings or Settings(), now
        self.rng = rng or random.Random()

    # --- what is due ------------------------------------------------------------------------

    def due(self, limit: int, ignore_backoff: bool = False) -> list[dict]:
        """Requests to send now, oldest first, with their latest event.

        :param ignore_backoff: also those still waiting out a backoff (a manual "sync now").
        """
        return list(self.db.query(
            """
            SELECT r.*, c.state AS last_state, c.data AS last_data FROM requests r
            JOIN current_events c ON c.request_id = r.id
            WHERE c.state IN ('queued', 'in_flight')
               OR (c.state = 'retry_wait' AND (? OR json_extract(c.data, '$.next_attempt_at') <= ?))
            ORDER BY r.id LIMIT ?""",
            [int(ignore_backoff), _iso(self.now()), limit],
        ))

    def _record(self, request_id: int, state: str, durable: bool = False, **data) -> None:
        with write_transaction(self.db, durable=durable):
            outbox.record(self.db, request_id, state, _iso(self.now()), **data)

    def _note_clock(self, report: RunReport, outcome: Outcome) -> None:
        if outcome.date and not report.county_date:
            try:
                county = parsedate_to_datetime(outcome.date)
            except (TypeError, ValueError):
                return
            report.county_date = outcome.date
            report.clock_offset_seconds = (county - self.now()).total_seconds()

    def _backoff(self, attempt: int) -> datetime:
        ceiling = min(self.settings.max_delay, self.settings.base_delay * 2 ** max(attempt - 1, 0))
        return self.now() + timedelta(seconds=self.rng.uniform(ceiling / 2, ceiling))

    # --- 1. push ------------------------------------------------------------------------------

    def push(self, report: RunReport, ignore_backoff: bool = False) -> None:
        """Send every due request, batch after batch, until none is due or the county stops us."""
        tried: set[int] = set()  # within one run, each request gets one attempt
        while True:
            batch = [r for r in self.due(self.settings.batch_size + len(tried), ignore_backoff) if r["id"] not in tried]
            if not batch:
                return
            for request in batch[:self.settings.batch_size]:
                tried.add(request["id"])
                if not self._push_one(request, report):
                    return

    def _push_one(self, request: dict, report: RunReport) -> bool:
        """Send one request; False when the run must stop (county unreachable or key refused)."""
        last = json.loads(request["last_data"])
        attempt = int(last.get("attempt", 0))
        maybe_sent = request["last_state"] == outbox.IN_FLIGHT or last.get("ambiguous")
        if maybe_sent and self.settings.uuid_lookup:
            found = self.client.find_by_client_uuid(request["uuid"])
            self._note_clock(report, found)
            if found.kind == ACCEPTED:
                self._record(request["id"], outbox.ACCEPTED, service_request_id=found.service_request_id,
                             found_by="uuid lookup after an unclear send")
                report.accepted += 1
                return True
            if found.kind in (UNREACHABLE, AMBIGUOUS, KEY_REFUSED):
                return self._stop(request, attempt, found, report, ambiguous=True)
        fields = open311_fields(self.db, request, self.settings.location)
        attempt += 1
        self._record(request["id"], outbox.IN_FLIGHT, durable=True, attempt=attempt)
        outcome = self.client.send_service_request(fields)
        report.sent += 1
        self._note_clock(report, outcome)
        if outcome.kind == ACCEPTED:
            data = {"service_request_id": outcome.service_request_id} if outcome.service_request_id else {"token": outcome.token}
            self._record(request["id"], outbox.ACCEPTED, attempt=attempt, **data)
            report.accepted += 1
            return True
        if outcome.kind == REFUSED:
            self._record(request["id"], outbox.QUARANTINED, attempt=attempt, reason=outcome.reason,
                         http_status=outcome.http_status)
            report.quarantined += 1
            return True
        if outcome.kind == AMBIGUOUS:
            self._record(request["id"], outbox.RETRY_WAIT, attempt=attempt, ambiguous=True, reason=outcome.reason,
                         next_attempt_at=_iso(self._backoff(attempt)))
            report.retrying += 1
            return True
        return self._stop(request, attempt, outcome, report, ambiguous=False)

    def _stop(self, request: dict, attempt: int, outcome: Outcome, report: RunReport, ambiguous: bool) -> bool:
        """County unreachable or key refused: keep the request queued and end the run."""
        if outcome.kind == KEY_REFUSED:
            report.key_refused = True
            report.errors.append(f"the county refused this kiosk's key: {outcome.reason}")
            next_at = self.now()  # no backoff: it goes as soon as the key is fixed
        else:
            report.unreachable = True
            report.errors.append(outcome.reason or "the county could not be reached")
            next_at = self._backoff(max(attempt, 1))
        self._record(request["id"], outbox.RETRY_WAIT, attempt=attempt, ambiguous=bool(ambiguous or request["last_state"] == outbox.IN_FLIGHT),
                     reason=outcome.reason, next_attempt_at=_iso(next_at))
        report.retrying += 1
        return False

    # --- 2. tokens and 3. status --------------------------------------------------------------

    def _latest(self, states: tuple[str, ...]) -> list[dict]:
        placeholders = ",".join("?" * len(states))
        return list(self.db.query(
            f"SELECT request_id AS id, state, data FROM current_events WHERE state IN ({placeholders}) ORDER BY request_id",
            list(states)))

    def _county_id(self, request_id: int) -> str:
        rows = list(self.db.query(
            "SELECT json_extract(data, '$.service_request_id') AS sid FROM request_events WHERE request_id = ?"
            " AND json_extract(data, '$.service_request_id') IS NOT NULL ORDER BY id DESC LIMIT 1", [request_id]))
        return rows[0]["sid"] if rows else ""

    def resolve_tokens(self, report: RunReport) -> None:
        for row in self._latest((outbox.ACCEPTED,)):
            data = json.loads(row["data"])
            if data.get("service_request_id") or not data.get("token") or self._county_id(row["id"]):
                continue
            outcome = self.client.get_request_id_from_token(data["token"])
            self._note_clock(report, outcome)
            if outcome.kind == ACCEPTED and outcome.service_request_id:
                self._record(row["id"], outbox.ACCEPTED, token=data["token"], service_request_id=outcome.service_request_id)
            elif outcome.kind in (UNREACHABLE, KEY_REFUSED):
                return

    def pull_status(self, report: RunReport) -> None:
        open_requests = {}
        for row in self._latest((outbox.ACCEPTED, outbox.IN_PROGRESS)):
            county_id = self._county_id(row["id"])
            if county_id:
                open_requests[county_id] = (row["id"], row["state"], json.loads(row["data"]))
        ids = list(open_requests)
        for start in range(0, len(ids), self.settings.batch_size):
            outcome = self.client.get_service_requests(ids[start:start + self.settings.batch_size])
            self._note_clock(report, outcome)
            if outcome.kind != ACCEPTED or not isinstance(outcome.data, list):
                if outcome.kind != REFUSED:
                    report.errors.append(f"status pull: {outcome.reason or outcome.kind}")
                    return
                continue
            for item in outcome.data:
                if not isinstance(item, dict) or str(item.get("service_request_id")) not in open_requests:
                    continue
                request_id, state, last = open_requests[str(item["service_request_id"])]
                new_state = self._state_of(item)
                facts = {k: str(item.get(k) or "")[:1000] for k in ("status", "status_notes", "agency_responsible", "updated_datetime")}
                if new_state is None or (new_state == state and all(last.get(k) == v for k, v in facts.items())):
                    continue
                self._record(request_id, new_state, service_request_id=str(item["service_request_id"]), **facts)
                report.status_updates += 1

    @staticmethod
    def _state_of(item: dict) -> str | None:
        """Open311 has two statuses. Closed is done; open with notes means someone is working on it."""
        status = str(item.get("status") or "").lower()
        if status == "closed":
            return outbox.CLOSED
        if status == "open" and (item.get("status_notes") or item.get("agency_responsible")):
            return outbox.IN_PROGRESS
        return None

    # --- a whole run --------------------------------------------------------------------------

    def run(self, trigger: str = "manual", ignore_backoff: bool = False) -> RunReport:
        """Push, resolve tokens, pull status; record the run.

        :param ignore_backoff: try waiting requests now too (an operator's manual sync).
        """
        report = RunReport(trigger)
        started = _iso(self.now())
        with write_transaction(self.db):
            run_id = self.db.execute("INSERT INTO sync_runs (trigger, started_at) VALUES (?, ?)", [trigger, started]).lastrowid
        try:
            self.push(report, ignore_backoff)
            if not (report.key_refused or report.unreachable):
                self.resolve_tokens(report)
                self.pull_status(report)
                if trigger in CATALOGUE_TRIGGERS:
                    refreshed = refresh_catalogue(self.db, self.client, self.settings.county_locale)
                    if "error" in refreshed:
                        report.errors.append(f"catalogue: {refreshed['error']}")
        except Exception as exc:  # never let one run take the worker down; say what happened
            report.errors.append(f"{type(exc).__name__}: {exc}")
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE sync_runs SET finished_at = ?, sent = ?, accepted = ?, quarantined = ?, retrying = ?,"
                " status_updates = ?, county_date = ?, clock_offset_seconds = ?, key_refused = ?, error = ? WHERE id = ?",
                [_iso(self.now()), report.sent, report.accepted, report.quarantined, report.retrying, report.status_updates,
                 report.county_date or None, report.clock_offset_seconds, int(report.key_refused),
                 "; ".join(report.errors) or None, run_id],
            )
        return report
