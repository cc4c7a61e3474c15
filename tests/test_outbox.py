"""core.outbox: the one home of a request's state, on a real SQLite file (no Flask, no county)."""
from __future__ import annotations

import json

import pytest

from core import drafts, outbox, submissions
from core.actions import resident
from core.catalogue import DEMO_FILE
from core.actions.admin import load_catalogue
from core.crypto import Keyring, new_key
from core.db import connect, migrate, write_transaction
from core.migrations import m021_request_media, migrations


@pytest.fixture
def db(tmp_path):
    db = connect(tmp_path / "k.sqlite3", keyring=Keyring([new_key()]))
    migrate(db)
    load_catalogue(db, json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    yield db
    db.close()


def save(db, n: int) -> list[int]:
    ids = []
    for i in range(n):
        _, draft = resident.start_draft(db, "repairs", "en")
        draft.answers, draft.personal = {"what": "light", "where": f"#{i}", "danger": "no"}, {"contact": "centre"}
        ids.append(resident.save_request(db, draft, "kiosk-test").id)
    return ids


def move(db, request_id: int, state: str, **data) -> None:
    with write_transaction(db):
        outbox.record(db, request_id, state, **data)


def test_a_saved_request_is_queued_and_due(db):
    [first, second] = save(db, 2)
    assert outbox.current_state(db, first) == outbox.QUEUED
    due = outbox.due_for_sending(db, "2026-01-01T00:00:00+00:00", limit=10)
    assert [row["request_id"] for row in due] == [first, second] and {row["state"] for row in due} == {"queued"}
    assert [row["request_id"] for row in outbox.due_for_sending(db, "2026-01-01T00:00:00+00:00", limit=1)] == [first]


def test_a_backoff_keeps_a_request_back_until_its_time_or_a_manual_sync(db):
    [waiting] = save(db, 1)
    move(db, waiting, outbox.RETRY_WAIT, next_attempt_at="2026-11-25T10:00:00+00:00")
    assert outbox.due_for_sending(db, "2026-11-25T09:59:59+00:00", 10) == []
    assert len(outbox.due_for_sending(db, "2026-11-25T09:59:59+00:00", 10, ignore_backoff=True)) == 1
    assert len(outbox.due_for_sending(db, "2026-11-25T10:00:00+00:00", 10)) == 1


def test_states_answer_each_question_once(db):
    queued, flying, held, handled, closed, refused = save(db, 6)
    move(db, flying, outbox.IN_FLIGHT, attempt=1)
    for request_id in (held, handled, closed):
        move(db, request_id, outbox.ACCEPTED, service_request_id=f"C{request_id}")
    move(db, handled, outbox.IN_PROGRESS, service_request_id=f"C{handled}", status_notes="on its way")
    move(db, closed, outbox.CLOSED, service_request_id=f"C{closed}")
    move(db, refused, outbox.QUARANTINED, reason="unknown service")
    assert [row["request_id"] for row in outbox.open_at_county(db)] == [held, handled]
    assert outbox.counts_by_state(db) == {"queued": 1, "in_flight": 1, "accepted": 1, "in_progress": 1, "closed": 1,
                                          "quarantined": 1}
    assert outbox.county_id(db, handled) == f"C{handled}" and outbox.county_id(db, queued) == ""
    assert [e["state"] for e in outbox.events(db, handled)] == ["queued", "accepted", "in_progress"]


def test_only_a_quarantined_or_waiting_request_can_be_queued_again(db):
    refused, held = save(db, 2)
    move(db, refused, outbox.QUARANTINED, reason="unknown service")
    move(db, held, outbox.ACCEPTED, service_request_id="C1")
    with write_transaction(db):
        assert outbox.requeue(db, refused, by="operator") == outbox.QUARANTINED
    assert outbox.current_state(db, refused) == outbox.QUEUED
    assert outbox.events(db, refused)[-1]["data"] == {"retried_by": "operator", "previous_state": "quarantined"}
    with pytest.raises(outbox.NotRetryable), write_transaction(db):
        outbox.requeue(db, held, by="operator")
    assert outbox.current_state(db, held) == outbox.ACCEPTED  # the county holds it: never sent twice


def test_unknown_states_are_refused_and_history_is_append_only(db):
    [request_id] = save(db, 1)
    with pytest.raises(ValueError), write_transaction(db):
        outbox.record(db, request_id, "done")
    with pytest.raises(Exception, match="append-only"), write_transaction(db):
        db.execute("UPDATE request_events SET state = 'closed'")
    assert outbox.current_state(db, request_id) == outbox.QUEUED


def test_the_oldest_unsent_request_is_the_first_saved_of_those_the_county_lacks(db, monkeypatch):
    times = iter(["2026-11-20T08:00:00+00:00", "2026-11-21T08:00:00+00:00", "2026-11-22T08:00:00+00:00"])
    monkeypatch.setattr(submissions, "utc_now", lambda: next(times))
    sent, waiting, queued = save(db, 3)
    move(db, sent, outbox.ACCEPTED, service_request_id="C1")
    move(db, waiting, outbox.RETRY_WAIT, next_attempt_at="2026-11-23T08:00:00+00:00")
    assert outbox.oldest_unsent_since(db) == "2026-11-21T08:00:00+00:00"
    with write_transaction(db):
        outbox.requeue(db, waiting, by="operator")  # queued again later: still waiting since it was saved
    assert outbox.oldest_unsent_since(db) == "2026-11-21T08:00:00+00:00"
    move(db, waiting, outbox.ACCEPTED, service_request_id="C2")
    assert outbox.oldest_unsent_since(db) == "2026-11-22T08:00:00+00:00"
    move(db, queued, outbox.ACCEPTED, service_request_id="C3")
    assert outbox.oldest_unsent_since(db) is None


def test_tally_counts_the_current_states_asked_for_through_the_index(db, monkeypatch):
    times = iter(f"2026-11-2{day}T08:00:00+00:00" for day in range(1, 6))
    monkeypatch.setattr(submissions, "utc_now", lambda: next(times))
    first, second, third, fourth, fifth = save(db, 5)  # saved on the 21st, 22nd, … 25th
    move(db, first, outbox.IN_FLIGHT, at="2026-11-25T09:00:00+00:00")
    move(db, first, outbox.RETRY_WAIT, at="2026-11-25T09:01:00+00:00")
    move(db, second, outbox.IN_FLIGHT, at="2026-11-25T09:02:00+00:00")
    move(db, third, outbox.QUARANTINED, at="2026-11-25T09:03:00+00:00")
    move(db, fourth, outbox.ACCEPTED, at="2026-11-25T09:04:00+00:00")
    asked = (*outbox.UNSENT, outbox.QUARANTINED)
    assert outbox.tally(db, asked) == {
        "queued": {"count": 1, "since": "2026-11-25T08:00:00+00:00", "saved": "2026-11-25T08:00:00+00:00"},
        "in_flight": {"count": 1, "since": "2026-11-25T09:02:00+00:00", "saved": "2026-11-22T08:00:00+00:00"},
        "retry_wait": {"count": 1, "since": "2026-11-25T09:01:00+00:00", "saved": "2026-11-21T08:00:00+00:00"},
        "quarantined": {"count": 1, "since": "2026-11-25T09:03:00+00:00", "saved": "2026-11-23T08:00:00+00:00"},
    }
    everything = outbox.counts_by_state(db)
    assert {state: found["count"] for state, found in outbox.tally(db, outbox.STATES).items()} == everything
    statements = []
    db.conn.set_trace_callback(statements.append)
    outbox.tally(db, asked)
    db.conn.set_trace_callback(None)
    plans = [row[3] for sql in statements for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
    assert any("request_latest_by_state" in p for p in plans) and not [p for p in plans if p.startswith("SCAN")], plans


def test_the_latest_event_index_follows_every_event_and_an_upgrade(db, tmp_path):
    """request_latest (m016) is kept by the database: it agrees with the history after every event,
    and a file whose history was written before m016 gets it filled in by the migration."""
    ids = save(db, 3)
    move(db, ids[0], outbox.IN_FLIGHT, at="2026-11-25T09:00:00+00:00")
    move(db, ids[0], outbox.ACCEPTED, at="2026-11-25T09:01:00+00:00", service_request_id="C1")
    move(db, ids[1], outbox.QUARANTINED, at="2026-11-25T09:02:00+00:00")
    truth = ("SELECT e.request_id, e.id, e.state, e.at FROM request_events e"
             " WHERE e.id = (SELECT MAX(id) FROM request_events WHERE request_id = e.request_id) ORDER BY 1")
    kept = "SELECT request_id, event_id, state, at FROM request_latest ORDER BY 1"
    assert db.execute(kept).fetchall() == db.execute(truth).fetchall()
    assert [r[2] for r in db.execute(kept).fetchall()] == ["accepted", "quarantined", "queued"]
    # A file as it was before m016, with a history; the migration fills the table in from it.
    old = connect(tmp_path / "old.sqlite3", keyring=db.keyring)
    old.execute("PRAGMA journal_mode=WAL")
    migrations.apply(old, stop_before="m016_outbox_at_scale")
    load_catalogue(old, json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    old.execute("ALTER TABLE requests ADD COLUMN wording TEXT")  # today's save keeps its wording (m019)
    m021_request_media(old)  # and moves a draft's recordings and photos (m021)
    first, second = save(old, 2)
    move(old, first, outbox.IN_FLIGHT, at="2026-11-25T09:00:00+00:00")
    move(old, second, outbox.IN_FLIGHT, at="2026-11-25T09:01:00+00:00")
    move(old, second, outbox.RETRY_WAIT, at="2026-11-25T09:02:00+00:00", next_attempt_at="2026-11-25T09:30:00+00:00")
    assert migrate(old)[0] == "m016_outbox_at_scale"  # then any later ones
    assert old.execute(kept).fetchall() == old.execute(truth).fetchall()
    assert outbox.current_state(old, first) == outbox.IN_FLIGHT and outbox.current_state(old, second) == outbox.RETRY_WAIT
    assert [r["request_id"] for r in outbox.due_for_sending(old, "2026-11-25T09:30:00+00:00", 10)] == [first, second]
    old.close()
