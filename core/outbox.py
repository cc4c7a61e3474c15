"""The outbox: each saved request's append-only history, and its current state.

Each row of ``request_events`` is one fact (``queued``, ``in_flight``, ``accepted``, a county status
update…). Nothing is overwritten; a request's current state is its latest event (the view
``current_events``, read through ``request_latest``, the latest event id, state and time of each request,
which a trigger keeps with every event: migration m016). Questions about the requests in a state
seek them in ``request_latest``'s state index, so they cost what is in that state now, never the
kiosk's whole history (tests/test_query_plans.py holds them to it at 100,000 requests). Saving a request writes its ``queued`` event in the same transaction as the
request itself, so a request can never be saved without being queued for the county.

This module is the one home of the state names and of the questions asked about them — what is
due for sending, what is open at the county, how many are in each state — for the sync engine, the
sync service, the CLI and the web pages alike. It owns ``request_events`` and ``current_events``.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from sqlite_utils import Database

from .clock import utc_now
from .db import require_transaction

QUEUED = "queued"            # saved on this kiosk, waiting for the county
IN_FLIGHT = "in_flight"      # committed just before a send; the outcome may be unknown
ACCEPTED = "accepted"        # the county holds it (service_request_id or token)
IN_PROGRESS = "in_progress"  # the county reports work on it
CLOSED = "closed"            # the county reports it done
RETRY_WAIT = "retry_wait"    # a send failed in a way worth retrying later
QUARANTINED = "quarantined"  # the county refused it; a worker must look at it

STATES = (QUEUED, IN_FLIGHT, ACCEPTED, IN_PROGRESS, CLOSED, RETRY_WAIT, QUARANTINED)
UNSENT = (QUEUED, IN_FLIGHT, RETRY_WAIT)     # not yet held by the county
#: ``hold_until`` of a request that waits for a person, not for the county or the network (a spoken
#: answer a worker has yet to write down: :data:`core.submissions.UNTIL_WRITTEN_DOWN`). Such a request
#: is counted apart (:func:`tally`'s ``held`` entry) and is never "late": nothing the sync can do sends it.
HELD_FOR_A_PERSON = "9999-12-31T23:59:59Z"
# Current events that are not such a request (``c`` is ``current_events``).
_NOT_HELD = f"NOT (c.state = '{QUEUED}' AND COALESCE(json_extract(c.data, '$.hold_until'), '') = '{HELD_FOR_A_PERSON}')"
AT_COUNTY = (ACCEPTED, IN_PROGRESS)          # held by the county and not closed: status can change
RETRYABLE = (QUARANTINED, RETRY_WAIT)        # an operator may queue these again


class NotRetryable(ValueError):
    """The request is in a state from which it cannot be queued again."""


def record(db: Database, request_id: int, state: str, at: str | None = None, **data) -> int:
    """Append one event; return its id. The caller owns the transaction."""
    require_transaction(db)
    if state not in STATES:
        raise ValueError(f"unknown outbox state {state!r}")
    cursor = db.execute(
        "INSERT INTO request_events (request_id, state, at, data) VALUES (?, ?, ?, ?)",
        [request_id, state, at or utc_now(), json.dumps(data, ensure_ascii=False)],
    )
    return cursor.lastrowid


def enqueue(db: Database, request_id: int, at: str | None = None, hold_until: str | None = None) -> int:
    """Queue a just-saved request for the county (inside the transaction that saves it).

    :param hold_until: not to be sent before then (ISO time, as :func:`core.clock.iso` writes it)
      unless :func:`release` lets it go sooner: a reopened request waits for the resident's comment.
    """
    return record(db, request_id, QUEUED, at, **({"hold_until": hold_until} if hold_until else {}))


def release(db: Database, request_id: int, at: str | None = None, why: str = "") -> bool:
    """Let a held request (:func:`enqueue` with ``hold_until``) go with the next sync; False when it
    was not held (sent already, or never held). The caller owns the transaction."""
    require_transaction(db)
    current = current_event(db, request_id)
    if current is None or current["state"] != QUEUED or not current["data"].get("hold_until"):
        return False
    record(db, request_id, QUEUED, at, released=why or "released")
    return True


def requeue(db: Database, request_id: int, by: str) -> str:
    """Queue a quarantined or waiting request again (a worker fixed it); return the state it was in.

    The caller owns the transaction. Raises :class:`NotRetryable` for any other state, so a request
    the county holds is never sent twice.
    """
    require_transaction(db)
    state = current_state(db, request_id)
    if state not in RETRYABLE:
        raise NotRetryable(state)
    # A request whose last send may have reached the county (a timeout, a 5xx) is looked up before it is
    # sent again, however it was queued again.
    maybe_sent = {"ambiguous": True} if current_event(db, request_id)["data"].get("ambiguous") else {}
    record(db, request_id, QUEUED, retried_by=by, previous_state=state, **maybe_sent)
    return state


def events(db: Database, request_id: int) -> list[dict]:
    """The request's history, oldest first, with ``data`` decoded."""
    return [
        {**row, "data": json.loads(row["data"])}
        for row in db.query("SELECT id, state, at, data FROM request_events WHERE request_id = ? ORDER BY id", [request_id])
    ]


def current_state(db: Database, request_id: int) -> str | None:
    """The request's state now (its latest event), or None for an unknown request."""
    row = db.execute("SELECT state FROM current_events WHERE request_id = ?", [request_id]).fetchone()
    return row[0] if row else None


def current_in(db: Database, states: tuple[str, ...], limit: int | None = None) -> list[dict]:
    """Requests whose current state is one of ``states``, by id: ``{request_id, state, at, data}``.

    ``data`` stays JSON text: callers that need it decode it.
    """
    placeholders = ",".join("?" * len(states))
    sql = f"SELECT request_id, state, at, data FROM current_events WHERE state IN ({placeholders}) ORDER BY request_id"
    return list(db.query(sql + (" LIMIT ?" if limit else ""), [*states, *([limit] if limit else [])]))


def each_in(db: Database, states: tuple[str, ...], page: int = 100) -> Iterator[dict]:
    """Requests whose current state is one of ``states``, ``{request_id, state, at, data}``: state after
    state in the order given, by id within each, read ``page`` rows at a time.

    Memory stays one page whatever the count (10,000 requests at the county after a long outage), and
    the caller may write between rows: each page is a fresh query after the last id seen, so a
    request that moves to another state meanwhile is not seen twice when the states are given in the
    order requests move backwards through them (e.g. ``(IN_PROGRESS, ACCEPTED)``).
    """
    for state in states:
        after = 0
        while True:
            rows = list(db.query("SELECT request_id, state, at, data FROM current_events"
                                 " WHERE state = ? AND request_id > ? ORDER BY request_id LIMIT ?", [state, after, page]))
            yield from rows
            if len(rows) < page:
                break
            after = rows[-1]["request_id"]


def current_event(db: Database, request_id: int) -> dict | None:
    """The request's latest event: ``{event_id, state, at, data}`` (``data`` decoded), or None."""
    rows = list(db.query("SELECT event_id, state, at, data FROM current_events WHERE request_id = ?", [request_id]))
    return {**rows[0], "data": json.loads(rows[0]["data"])} if rows else None


def changed_since(db: Database, states: tuple[str, ...], since: str) -> list[dict]:
    """Requests now in one of ``states`` whose current event was recorded at or after ``since``
    (``""``: whenever), oldest event first: ``{request_id, event_id, state, at}``. Found through
    ``request_latest``'s state index: requests in other states are never visited."""
    placeholders = ",".join("?" * len(states))
    return list(db.query(
        f"""SELECT request_id, event_id, state, at FROM current_events
            WHERE state IN ({placeholders}) AND at >= ? ORDER BY event_id""", [*states, since]))


def open_at_county(db: Database, limit: int | None = None) -> list[dict]:
    """Requests the county holds and has not closed: whose status is worth asking for."""
    return current_in(db, AT_COUNTY, limit)


def due_for_sending(db: Database, now: str, limit: int, ignore_backoff: bool = False) -> list[dict]:
    """Requests to send now, oldest first: queued (and not held, :func:`enqueue`), in flight (outcome
    unknown), or done waiting. A hold is kept even by a manual "sync now": it is short, and what it
    waits for (the resident's comment) is what the county should read.

    :param now: the current time as :func:`core.clock.iso` writes it; ``retry_wait`` events carry
      their ``next_attempt_at`` in the same form, so the two compare as text.
    :param ignore_backoff: also those still waiting out a backoff (a manual "sync now").
    """
    # One state at a time, each read in id order from request_latest_by_state and cut at the limit,
    # then merged: a drain of 10,000 queued requests asks this 200 times, and one query over the
    # three states sorted every due request each time (15 ms at 10,000; this reads 3 x limit rows).
    return list(db.query(
        """
        SELECT * FROM (SELECT request_id, state, at, data FROM current_events WHERE state = :queued
                       AND COALESCE(json_extract(data, '$.hold_until'), '') <= :now
                       ORDER BY request_id LIMIT :limit)
        UNION ALL
        SELECT * FROM (SELECT request_id, state, at, data FROM current_events WHERE state = :in_flight
                       ORDER BY request_id LIMIT :limit)
        UNION ALL
        SELECT * FROM (SELECT request_id, state, at, data FROM current_events WHERE state = :retry_wait
                       AND (:ignore_backoff OR json_extract(data, '$.next_attempt_at') <= :now)
                       ORDER BY request_id LIMIT :limit)
        ORDER BY request_id LIMIT :limit""",
        {"queued": QUEUED, "in_flight": IN_FLIGHT, "retry_wait": RETRY_WAIT, "ignore_backoff": int(ignore_backoff),
         "now": now, "limit": limit},
    ))


def county_id(db: Database, request_id: int) -> str:
    """The county's ``service_request_id`` for a request, from its latest event that carries one."""
    row = db.execute(
        "SELECT json_extract(data, '$.service_request_id') FROM request_events WHERE request_id = ?"
        " AND json_extract(data, '$.service_request_id') IS NOT NULL ORDER BY id DESC LIMIT 1", [request_id]).fetchone()
    return row[0] if row else ""


def first_attempt_at(db: Database, request_id: int) -> str | None:
    """When the request was first put in flight (ISO, the kiosk's clock), or None if never."""
    row = db.execute("SELECT MIN(at) FROM request_events WHERE request_id = ? AND state = ?", [request_id, IN_FLIGHT]).fetchone()
    return row[0] if row else None


def held_by_another(db: Database, county_id: str, request_id: int) -> bool:
    """Whether another of this kiosk's requests holds the county's id ``county_id`` (a look-up result
    that is someone else's is never this request). Reads the events (only asked after a lost reply)."""
    return db.execute("SELECT 1 FROM request_events WHERE request_id != ? AND json_extract(data, '$.service_request_id') = ?"
                      " LIMIT 1", [request_id, county_id]).fetchone() is not None


def counts_by_state(db: Database) -> dict[str, int]:
    """How many requests are in each current state (states with none are left out).

    This counts every request (one pass over ``request_latest``'s state index, covering: about 10 ms
    at 100,000 requests): fine for an operator's command, too dear for a page asked every few
    seconds (the health figures use :func:`tally`).
    """
    return {row["state"]: row["n"] for row in db.query("SELECT state, COUNT(*) AS n FROM request_latest GROUP BY state")}


# When a request was first queued (that is, saved): one seek of the state index per request asked about.
_FIRST_QUEUED = "(SELECT MIN(q.at) FROM request_events q WHERE q.state = ? AND q.request_id = c.request_id)"


def tally(db: Database, states: tuple[str, ...]) -> dict[str, dict]:
    """How many requests are now in each of ``states``, and since when: ``{state: {"count": n,
    "since": the oldest current event's time, "saved": when the longest-waiting of them was first
    queued}}`` (states with no request left out). Queued requests held for a person
    (:data:`HELD_FOR_A_PERSON`) are not in ``queued`` but in their own entry, ``held``.

    Found through ``request_latest``'s state index: the cost follows the requests in ``states`` now,
    not the history (before m016 it visited every event ever recorded in them).
    """
    placeholders = ",".join("?" * len(states))
    rows = db.execute(
        f"""SELECT CASE WHEN {_NOT_HELD} THEN c.state ELSE 'held' END AS kind, COUNT(*), MIN(c.at), MIN({_FIRST_QUEUED})
            FROM current_events c WHERE c.state IN ({placeholders}) GROUP BY kind""",
        [QUEUED, *states]).fetchall()
    return {state: {"count": count, "since": since, "saved": saved} for state, count, since, saved in rows}


def closed_before(db: Database, cutoff: str, among: list[int] | None = None) -> list[int]:
    """Requests the county closed before ``cutoff`` (ISO time), and that are closed still.

    :param among: only these requests (the nightly purge asks about those whose answers are still
      kept, :func:`core.submissions.kept`, so it never lists the years of requests purged already).
    """
    sql = "SELECT request_id FROM current_events WHERE state = ? AND at < ?"
    if among is None:
        return [row[0] for row in db.execute(sql + " ORDER BY request_id", [CLOSED, cutoff])]
    found: list[int] = []
    for start in range(0, len(among), 500):  # bounded statements, whatever the list
        chunk = among[start:start + 500]
        # Each asked for by its id (the unary + keeps SQLite off the state index, where "closed before"
        # is every request of the kiosk's history).
        found += [row[0] for row in db.execute(
            f"SELECT request_id FROM current_events WHERE request_id IN ({','.join('?' * len(chunk))})"
            " AND +state = ? AND +at < ? ORDER BY request_id", [*chunk, CLOSED, cutoff])]
    return sorted(found)


def oldest_unsent_since(db: Database) -> str | None:
    """When the oldest request the county does not hold yet was first queued (that is, saved); requests
    held for a person (:data:`HELD_FOR_A_PERSON`) are not counted.

    Through ``request_latest``'s state index, like :func:`tally`: only requests unsent now are looked at.
    """
    placeholders = ",".join("?" * len(UNSENT))
    return db.execute(
        f"SELECT MIN({_FIRST_QUEUED}) FROM current_events c WHERE c.state IN ({placeholders}) AND {_NOT_HELD}",
        [QUEUED, *UNSENT]).fetchone()[0]


def histories(db: Database, request_ids: list[int]) -> dict[int, list[dict]]:
    """:func:`events` for many requests at once (a few queries, not one per request): id → history."""
    found: dict[int, list[dict]] = {i: [] for i in request_ids}
    for chunk in _chunks(request_ids):
        for row in db.query(f"SELECT request_id, id, state, at, data FROM request_events WHERE request_id IN"
                            f" ({','.join('?' * len(chunk))}) ORDER BY request_id, id", chunk):
            request_id = row.pop("request_id")
            found[request_id].append({**row, "data": json.loads(row["data"])})
    return found


def county_ids(histories_: dict[int, list[dict]]) -> dict[int, str]:
    """:func:`county_id` read from histories already loaded (:func:`histories`): its latest event that carries one."""
    return {i: next((e["data"]["service_request_id"] for e in reversed(events)
                     if isinstance(e["data"], dict) and e["data"].get("service_request_id") is not None), "")
            for i, events in histories_.items()}


def possible_duplicates(histories_: dict[int, list[dict]]) -> dict[int, list[str]]:
    """The requests that may have reached the county more than once (accepted after a lost reply where the
    county could not say whether it held it: ``possible_duplicate``), each with the county numbers to check:
    the one it was accepted as, then any look-alikes the county listed (:mod:`sync.engine`). A request a
    worker has settled since (:func:`settle`) is not among them."""
    found = {}
    for request_id, events in histories_.items():
        for event in events:
            data = event["data"] if isinstance(event["data"], dict) else {}
            if data.get("settled_by"):
                found.pop(request_id, None)
            elif event["state"] == ACCEPTED and data.get("possible_duplicate"):
                numbers = [str(data.get("service_request_id") or data.get("token") or "")] + [str(c) for c in data.get("candidates") or ()]
                found[request_id] = list(dict.fromkeys(n for n in numbers if n))
    return found


class NotShown(ValueError):
    """The county number chosen is not one of those the worker was shown for this request."""


def settle(db: Database, request_id: int, chosen: str, by: str) -> dict | None:
    """A worker checked with the county which of a possible duplicate's numbers it keeps for this request
    (``chosen``, one of :func:`possible_duplicates`' numbers): record it, so that :func:`county_id` is that
    number from now on (status pulls, notes, the resident's page follow it) and the request is no longer
    a possible duplicate. The event's data: ``service_request_id`` (the chosen number), ``settled_by``,
    ``possible_duplicate`` False, ``shown`` (the numbers there were) and, where the kiosk followed another
    number until now, ``followed_before``: then the event is ``accepted`` (the chosen number's status is
    asked at the next sync; what the other copy said no longer counts). Where the number stays, the
    event keeps the current state and its facts, with ``same_news_as`` the event whose news it repeats
    (a status change passed on already is not passed on again, :mod:`core.follow_ups`).

    Returns the event's data, or None (nothing recorded) when the request is not a possible duplicate
    (settled already: a second tap, a colleague's, a replayed form). Raises :class:`NotShown`. The
    caller owns the transaction."""
    require_transaction(db)
    numbers = possible_duplicates(histories(db, [request_id])).get(request_id)
    if not numbers:
        return None
    if chosen not in numbers:
        raise NotShown(chosen)
    current = current_event(db, request_id)
    if current is None or current["state"] not in (ACCEPTED, IN_PROGRESS, CLOSED):
        return None
    following = county_id(db, request_id)
    token = current["data"].get("token") if not following else None
    settled = {"settled_by": by, "possible_duplicate": False, "shown": numbers}
    if chosen == token:  # accepted with a token not resolved yet: the token stays, its id comes later
        data = {**current["data"], "token": token, **settled}
        data.pop("candidates", None)
        record(db, request_id, current["state"], **data)
        return data
    if chosen == following:
        data = {k: v for k, v in current["data"].items() if k not in ("candidates", "same_news_as")}
        data = {**data, "service_request_id": chosen, **settled,
                "same_news_as": current["data"].get("same_news_as") or current["event_id"]}
        record(db, request_id, current["state"], **data)
        return data
    data = {"service_request_id": chosen, **settled, **({"followed_before": following} if following else {})}
    record(db, request_id, ACCEPTED, **data)
    return data


def same_news(db: Database, request_id: int, event_id: int) -> list[int]:
    """The status events whose news ``event_id`` is: itself, and the event it repeats where a worker's
    settling (:func:`settle`) recorded the state again without a new status from the county."""
    row = db.execute("SELECT json_extract(data, '$.same_news_as') FROM request_events WHERE id = ? AND request_id = ?",
                     [event_id, request_id]).fetchone()
    return [event_id, int(row[0])] if row and row[0] else [event_id]


def kept_on_kiosk(events: list[dict]) -> list[str]:
    """The resident's details (``name``, ``phone``, ``address``) that no send of this request carried to the
    county (its ``in_flight`` events' ``withheld``, :mod:`sync.engine`): kept on this kiosk only. Empty
    for a request never sent, or sent before the kiosk kept that fact."""
    sends = [e["data"] for e in events if e["state"] == IN_FLIGHT and isinstance(e["data"], dict)]
    if not sends or any("withheld" not in d for d in sends):
        return []
    kept = set(sends[0]["withheld"])
    for d in sends[1:]:
        kept &= set(d["withheld"])
    return [f for f in ("name", "phone", "address") if f in kept]


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
