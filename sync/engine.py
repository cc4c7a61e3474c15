"""Sending saved requests to the county exactly once, and bringing their status back.

Each step is small and named, and each writes what it learned as outbox events in its own short
transaction:

1. :meth:`SyncEngine.push` — for each due request, oldest first: if an earlier send may have reached
   the county (it was in flight, or the answer was ambiguous), *ask first* (by the kiosk UUID); else
   commit ``in_flight`` durably, POST, and record what the answer means: ``accepted``,
   ``quarantined`` (the county refused it, its reason read by :mod:`sync.refusals`; the rest of the queue moves on), or ``retry_wait`` with
   exponential backoff and jitter. A 5xx that keeps coming for the same request, ``server_error_tries``
   answers in a row, is quarantined as a refusal (still ``ambiguous``: looked up before it goes again). A refused api key or an unreachable county stops the run with
   everything still queued.
2. :meth:`SyncEngine.resolve_tokens` — requests accepted with a token get their id.
3. :func:`sync.notes.push_notes` — the centre's notes about requests the county holds (a worker told
   the resident…), each exactly once, where the county lists a note service.
4. :meth:`SyncEngine.pull_status` — batch status of open requests, recorded only when it changed, with the
   county's clock offset of this run (so a close's own time, ``updated_datetime``, can be read on the kiosk's clock).
5. On nightly, manual and reconnect runs, the catalogue is refreshed (:mod:`sync.catalogue`).

Clock: every county answer's ``Date`` header gives the offset between the two clocks, kept per run
(:mod:`sync.runs`). The state names and the questions "what is due", "what is open at the county"
belong to :mod:`core.outbox`; the one mapping from an Open311 status to a state is
:func:`state_for_county_status`.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from sqlite_utils import Database

from core import outbox, submissions
from core.actions import system
from core.clock import iso
from core.db import write_transaction
from core.wording import Centre, Place, Wording

from . import runs
from .run import RunReport, Settings
from .catalogue import refresh_catalogue
from . import notes, open311, refusals
from .open311 import Open311Client, Outcome
from .payload import open311_fields, withheld

CATALOGUE_TRIGGERS = ("nightly", "manual", "reconnect")  # runs that also refresh the catalogue
#: How much earlier than this request's first send (on the county's clock) a look-up result may say it
#: was made and still be this request: the county's clock is read to the second, once a run.
LOOKUP_TOLERANCE_SECONDS = 300


def state_for_county_status(item: dict) -> str | None:
    """The outbox state an Open311 status report means, or None when it says nothing new.

    Open311 has two statuses. Closed is done; open with notes or an agency means someone is working
    on it; open with neither is what "accepted" already says.
    """
    status = str(item.get("status") or "").lower()
    if status == "closed":
        return outbox.CLOSED
    if status == "open" and (item.get("status_notes") or item.get("agency_responsible")):
        return outbox.IN_PROGRESS
    return None


class SyncEngine:
    def __init__(self, db: Database, client: Open311Client, settings: Settings | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc), rng: random.Random | None = None):
        self.db, self.client, self.settings, self.now = db, client, settings or Settings(), now
        self.rng = rng or random.Random()

    # --- what is due ------------------------------------------------------------------------

    def due(self, limit: int, ignore_backoff: bool = False) -> list[dict]:
        """Requests to send now, oldest first, with their latest event (see :func:`core.outbox.due_for_sending`)."""
        return outbox.due_for_sending(self.db, iso(self.now()), limit, ignore_backoff)

    def _record(self, request_id: int, state: str, durable: bool = False, **data) -> None:
        with write_transaction(self.db, durable=durable):
            outbox.record(self.db, request_id, state, iso(self.now()), **data)

    def _note_clock(self, report: RunReport, outcome: Outcome) -> None:
        if outcome.date and not report.county_date:
            try:
                county = parsedate_to_datetime(outcome.date)
            except (TypeError, ValueError):
                return
            report.county_date = outcome.date
            report.clock_offset_seconds = (county - self.now()).total_seconds()

    def backoff(self, attempt: int) -> datetime:
        ceiling = min(self.settings.max_delay, self.settings.base_delay * 2 ** max(attempt - 1, 0))
        return self.now() + timedelta(seconds=self.rng.uniform(ceiling / 2, ceiling))

    # --- 1. push ------------------------------------------------------------------------------

    def push(self, report: RunReport, ignore_backoff: bool = False) -> None:
        """Send every due request, batch after batch, until none is due or the county stops us."""
        tried: set[int] = set()  # within one run, each request gets one attempt
        while True:
            batch = [r for r in self.due(self.settings.batch_size + len(tried), ignore_backoff) if r["request_id"] not in tried]
            if not batch:
                return
            for due in batch[:self.settings.batch_size]:
                tried.add(due["request_id"])
                if not self._push_one(due, report):
                    return

    def _push_one(self, due: dict, report: RunReport) -> bool:
        """Send one request; False when the run must stop (county unreachable or key refused).

        What is sent is the request's frozen wording (:mod:`core.wording`); a request saved before
        wordings were kept is worded once, now, before its first send. After an unclear send the county is
        asked first (where it has the look-up and the kiosk_uuid goes as an attribute); a result counts
        as found only when it is this request (:meth:`_is_this`). Where the county cannot say, the
        request is sent again and its acceptance records ``possible_duplicate`` with the county ids of
        any look-alikes seen, for a worker to check (a possible duplicate is better than a lost request).
        """
        request = submissions.get(self.db, due["request_id"])
        wording = submissions.wording_of(self.db, request.id)
        if wording is None:  # saved before wordings were kept: worded once, from the catalogue as it is
            place = self.settings.location if isinstance(self.settings.location, Place) else Place(str(self.settings.location))
            wording = system.freeze_wording(self.db, request.id, Centre(place, self.settings.centre_locale,
                                                                          media=bool(self.settings.media_base)))
        last = json.loads(due["data"])
        attempt = int(last.get("attempt", 0))
        maybe_sent = due["state"] == outbox.IN_FLIGHT or last.get("ambiguous")
        unclear: dict = {}
        if maybe_sent:
            unclear = {"possible_duplicate": True}  # unless the county says it holds it, or says it does not
            if not (self.settings.uuid_lookup and self.settings.attributes == "all"):
                # The county cannot be asked for it: its list (standard filters only) names the look-alikes
                # for the worker to check; none is taken as this request.
                found = self._look_up(request, wording, report, by_uuid=False)
                if found.kind == open311.NOT_FOUND and isinstance(found.data, dict):
                    unclear = {"possible_duplicate": True, "candidates": found.data.get("candidates", [])}
            else:
                found = self._look_up(request, wording, report)
                if found.kind in (open311.UNREACHABLE, open311.AMBIGUOUS, open311.KEY_REFUSED):
                    return self._stop(due, attempt, found, report, ambiguous=True)
                if found.kind == open311.FOUND:
                    more = found.data.get("also") if isinstance(found.data, dict) else None
                    self._record(request.id, outbox.ACCEPTED, service_request_id=found.service_request_id,
                                 found_by="uuid lookup after an unclear send",
                                 **({"possible_duplicate": True, "candidates": more} if more else {}))
                    report.accepted += 1
                    return True
                if found.kind == open311.NOT_FOUND:
                    unclear = found.data if isinstance(found.data, dict) else unclear
        fields = open311_fields(self.db, request, wording, self.settings.attributes, self.settings.media_base)
        attempt += 1
        self._record(request.id, outbox.IN_FLIGHT, durable=True, attempt=attempt, withheld=withheld(self.db, request, fields))
        outcome = self.client.send_service_request(fields)
        report.sent += 1
        self._note_clock(report, outcome)
        if outcome.kind == open311.ACCEPTED:
            data = {"service_request_id": outcome.service_request_id} if outcome.service_request_id else {"token": outcome.token}
            self._record(request.id, outbox.ACCEPTED, attempt=attempt, **data, **unclear)
            report.accepted += 1
            return True
        if outcome.kind == open311.REFUSED:
            refusal = refusals.read(outcome.http_status, outcome.data)  # the reason code, field and words
            self._record(request.id, outbox.QUARANTINED, attempt=attempt, **refusals.for_the_outbox(refusal))
            report.quarantined += 1
            return True
        if outcome.kind == open311.AMBIGUOUS:
            counted = self._server_errors(last, outcome)
            if counted.get("server_errors", 0) >= self.settings.server_error_tries:
                return self._quarantine_server_errors(request.id, attempt, outcome, counted, report)
            self._record(request.id, outbox.RETRY_WAIT, attempt=attempt, ambiguous=True, reason=outcome.reason,
                         next_attempt_at=iso(self.backoff(attempt)), **counted)
            report.retrying += 1
            return True
        return self._stop(due, attempt, outcome, report, ambiguous=False)

    def _server_errors(self, last: dict, outcome: Outcome) -> dict:
        """The count of 5xx answers in a row for this request, with this one, and when the first came
        (kept in its ``retry_wait`` events); {} for any other unclear answer (a timeout, a dropped
        connection, a garbled 2xx: not a 5xx, retried for as long as it takes)."""
        if not 500 <= outcome.http_status < 600:
            return {}
        return {"server_errors": int(last.get("server_errors", 0)) + 1,
                "first_server_error_at": last.get("first_server_error_at") or iso(self.now())}

    def _quarantine_server_errors(self, request_id: int, attempt: int, outcome: Outcome, counted: dict,
                                  report: RunReport) -> bool:
        """A 5xx that kept coming is a refusal dressed as a fault (issue 21: a county answered 500 to every
        request without coordinates): quarantined with the county's words, for a worker. It may have
        been stored, so it stays ``ambiguous``: sent again, it is looked up first."""
        first = datetime.fromisoformat(counted["first_server_error_at"])
        minutes = (self.now() - first).total_seconds() / 60
        refusal = refusals.server_errors(outcome.http_status, outcome.data, counted["server_errors"], minutes)
        self._record(request_id, outbox.QUARANTINED, attempt=attempt, ambiguous=True, **counted,
                     **refusals.for_the_outbox(refusal))
        report.quarantined += 1
        return True

    def _look_up(self, request: submissions.SavedRequest, wording: Wording, report: RunReport, by_uuid: bool = True) -> Outcome:
        """Ask the county whether it holds ``request`` (after an unclear send).

        ``FOUND`` with the county's id when an item of its list is this request (``data["also"]``: more
        items that are, copies made before); ``NOT_FOUND`` with ``data``: ``{}`` when the county
        said so (an empty answer, and this request is not among its recent ones by the standard filters), else ``{"possible_duplicate": True,
        "candidates": [...]}`` — it listed other requests (it ignores the filter), so it cannot say, and
        look-alikes it listed (same service and text, but not provably this request) are named. Without
        ``by_uuid`` (the county has no look-up, or the kiosk_uuid is not sent) the list is asked with the
        standard filters only, and nothing in it is taken as this request: all look-alikes are candidates."""
        first = outbox.first_attempt_at(self.db, request.id)
        offset = report.clock_offset_seconds or 0.0
        since = datetime.fromisoformat(first) + timedelta(seconds=offset - LOOKUP_TOLERANCE_SECONDS) if first else None
        listed_since = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if since else None
        listed = self.client.list_for_client_uuid(request.uuid if by_uuid else None, request.service_code, listed_since)
        self._note_clock(report, listed)
        if listed.kind != open311.OK:
            return listed
        if report.clock_offset_seconds is not None and first:  # read now if this was the run's first answer
            since = datetime.fromisoformat(first) + timedelta(seconds=report.clock_offset_seconds - LOOKUP_TOLERANCE_SECONDS)
        items = [i for i in listed.data if isinstance(i, dict) and str(i.get("service_request_id") or "")]
        withheld_ok = by_uuid and self.settings.lookup_honoured  # its list is this request's alone
        this = [str(i["service_request_id"]) for i in items if by_uuid and self._is_this(request, wording, since, i, withheld_ok)]
        if this:
            return Outcome(open311.FOUND, service_request_id=this[0], date=listed.date, data={"also": this[1:]})
        alike = [str(i["service_request_id"]) for i in items
                 if i.get("service_code") == request.service_code and i.get("description") == wording.description]
        if not items and by_uuid:
            # An empty answer is "not held" only if the filter works: a county may keep no kiosk_uuid to
            # filter on. Its list by the standard filters, where this request would be among the recent
            # ones of its service, settles it (by its text and time, as above).
            again = self.client.list_for_client_uuid(None, request.service_code, listed_since)
            self._note_clock(report, again)
            if again.kind != open311.OK:
                return again
            also = [str(i["service_request_id"]) for i in again.data if isinstance(i, dict) and i.get("service_request_id")
                    and self._is_this(request, wording, since, i)]
            if also:
                return Outcome(open311.FOUND, service_request_id=also[0], date=again.date, data={"also": also[1:]})
            return Outcome(open311.NOT_FOUND, date=listed.date, data={})
        if not items:
            return Outcome(open311.NOT_FOUND, date=listed.date, data={"possible_duplicate": True, "candidates": []})
        return Outcome(open311.NOT_FOUND, date=listed.date, data={"possible_duplicate": True, "candidates": alike[:10]})

    def _is_this(self, request: submissions.SavedRequest, wording: Wording, since: datetime | None, item: dict,
                 withheld_ok: bool = False) -> bool:
        """Whether a look-up's item is this request: the same service, the frozen description byte for
        byte (it ends with the centre's ticket), made by the county no earlier than this request's first
        send (on the county's clock, less a tolerance), and no other request of this kiosk holds its id.

        A county publishes no description for a service about a person (the reference county's
        ``private``): then, and only where the county's profile says its kiosk_uuid filter is honoured
        (``withheld_ok``), an item with the description withheld may be this request."""
        listed = item.get("description")
        if item.get("service_code") != request.service_code or not (
                listed == wording.description or (withheld_ok and listed == "")):
            return False
        try:
            made = datetime.fromisoformat(str(item.get("requested_datetime") or "").replace("Z", "+00:00"))
        except ValueError:
            return False
        if made.tzinfo is None or since is None or made < since:
            return False
        return not outbox.held_by_another(self.db, str(item["service_request_id"]), request.id)

    def _stop(self, due: dict, attempt: int, outcome: Outcome, report: RunReport, ambiguous: bool) -> bool:
        """County unreachable or key refused: keep the request queued and end the run."""
        if outcome.kind == open311.KEY_REFUSED:
            report.key_refused = True
            report.errors.append(f"the county refused this kiosk's key: {outcome.reason}")
            next_at = self.now()  # no backoff: it goes as soon as the key is fixed
        else:
            report.unreachable = True
            report.errors.append(outcome.reason or "the county could not be reached")
            next_at = self.backoff(max(attempt, 1))
        carried = {k: v for k, v in json.loads(due["data"]).items() if k in ("server_errors", "first_server_error_at")}
        self._record(due["request_id"], outbox.RETRY_WAIT, attempt=attempt, ambiguous=bool(ambiguous or due["state"] == outbox.IN_FLIGHT),
                     reason=outcome.reason, next_attempt_at=iso(next_at), **carried)  # an unreachable county is no answer
        report.retrying += 1
        return False

    # --- 2. tokens and 3. status --------------------------------------------------------------

    def resolve_tokens(self, report: RunReport) -> None:
        """Ask for the id of each request the county took with a token (a page of requests at a time)."""
        for row in outbox.each_in(self.db, (outbox.ACCEPTED,), self.settings.batch_size):
            data = json.loads(row["data"])
            if data.get("service_request_id") or not data.get("token") or outbox.county_id(self.db, row["request_id"]):
                continue
            outcome = self.client.get_request_id_from_token(data["token"])
            self._note_clock(report, outcome)
            if outcome.kind == open311.OK and outcome.service_request_id:
                self._record(row["request_id"], outbox.ACCEPTED, token=data["token"], service_request_id=outcome.service_request_id)
            elif outcome.kind in (open311.UNREACHABLE, open311.KEY_REFUSED):
                return

    def pull_status(self, report: RunReport) -> None:
        """Ask the county for the status of every request it holds open, ``batch_size`` ids a question.

        Streamed: the open requests are read a page at a time (:func:`core.outbox.each_in`) and each
        batch is asked about and recorded before the next is read, so memory stays one batch however
        many requests are open. In progress first, then accepted: a request the county moves from
        accepted to in progress during the pull is not asked about twice.
        """
        batch: dict[str, tuple[int, str, dict]] = {}
        for row in outbox.each_in(self.db, (outbox.IN_PROGRESS, outbox.ACCEPTED), self.settings.batch_size):
            county_id = outbox.county_id(self.db, row["request_id"])
            if county_id:
                batch[county_id] = (row["request_id"], row["state"], json.loads(row["data"]))
            if len(batch) >= self.settings.batch_size:
                if not self._pull_batch(batch, report):
                    return
                batch = {}
        if batch:
            self._pull_batch(batch, report)

    @staticmethod
    def _moved_past(updated: str, *known) -> bool:
        """Whether the county's ``updated_datetime`` is later than every time known of the request before
        (its last reported ``updated_datetime``, its ``requested_datetime``); False when it cannot be read."""
        try:
            moment = datetime.fromisoformat(str(updated).replace("Z", "+00:00"))
            earlier = [datetime.fromisoformat(str(k).replace("Z", "+00:00")) for k in known if k]
            return all(moment > e for e in earlier)
        except (TypeError, ValueError):
            return False

    def _pull_batch(self, open_requests: dict[str, tuple[int, str, dict]], report: RunReport) -> bool:
        """Ask about one batch (county id -> (request id, state, its latest event's data)) and record what
        changed; False when the pull must stop (the county unreachable, the key refused, a garbled answer).

        Its status counts as a change too: a county may close a request without moving its
        ``updated_datetime``. Such a close (``updated_datetime`` not past what was known of the request)
        also keeps ``close_seen_datetime``: when the kiosk saw it, on the county's clock (the run's
        offset), which :mod:`core.outcomes` takes as the close's time instead of the stale one."""
        outcome = self.client.get_service_requests(list(open_requests))
        self._note_clock(report, outcome)
        if outcome.kind != open311.OK or not isinstance(outcome.data, list):
            if outcome.kind != open311.REFUSED:
                report.key_refused = report.key_refused or outcome.kind == open311.KEY_REFUSED  # reads are keyed too
                report.errors.append(f"status pull: {outcome.reason or outcome.kind}")
                return False
            return True
        for item in outcome.data:
            if not isinstance(item, dict) or str(item.get("service_request_id")) not in open_requests:
                continue
            request_id, state, last = open_requests[str(item["service_request_id"])]
            new_state = state_for_county_status(item)
            facts = {k: str(item.get(k) or "")[:1000] for k in ("status", "status_notes", "agency_responsible", "updated_datetime")}
            if new_state is None or (new_state == state and all(last.get(k) == v for k, v in facts.items())):
                continue
            offset = {} if report.clock_offset_seconds is None else {"county_clock_offset": report.clock_offset_seconds}
            if new_state == outbox.CLOSED and not self._moved_past(facts["updated_datetime"], last.get("updated_datetime"),
                                                              item.get("requested_datetime")):
                # A county that closes without moving updated_datetime: the close's time is when the kiosk
                # saw it, on the county's clock (core/outcomes.py reads it back on the kiosk's).
                seen = self.now() + timedelta(seconds=report.clock_offset_seconds or 0)
                offset["close_seen_datetime"] = iso(seen)
            self._record(request_id, new_state, service_request_id=str(item["service_request_id"]), **facts, **offset)
            report.status_updates += 1
        return True

    # --- a whole run --------------------------------------------------------------------------

    def run(self, trigger: str = "manual", ignore_backoff: bool = False) -> RunReport:
        """Push, resolve tokens, pull status; record the run.

        :param ignore_backoff: try waiting requests now too (an operator's manual sync).
        """
        report = RunReport(trigger)
        run_id = runs.start(self.db, trigger, iso(self.now()))
        try:
            self.push(report, ignore_backoff)
            if not (report.key_refused or report.unreachable):
                self.resolve_tokens(report)
                notes.push_notes(self, report, ignore_backoff)
                self.pull_status(report)
                if trigger in CATALOGUE_TRIGGERS:
                    refreshed = refresh_catalogue(self.db, self.client, self.settings.county_locale, iso(self.now()))
                    if "error" in refreshed:
                        report.errors.append(f"catalogue: {refreshed['error']}")
        except Exception as exc:  # never let one run take the sync service down; say what happened
            report.errors.append(f"{type(exc).__name__}: {exc}")
        runs.finish(self.db, run_id, iso(self.now()), sent=report.sent, accepted=report.accepted,
                    quarantined=report.quarantined, retrying=report.retrying, status_updates=report.status_updates,
                    county_date=report.county_date or None, clock_offset_seconds=report.clock_offset_seconds,
                    key_refused=report.key_refused, error="; ".join(report.errors) or None)
        return report
