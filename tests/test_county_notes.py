"""Notes about a request the county holds — a worker's follow-up outcome — go up with the next sync,
exactly once, as requests of the county's note service filed under the request they are about
(core/county_notes.py, sync/notes.py, county/api.py): against the reference county as a real process,
with unclear sends, a worker killed before its POST, a county that takes no notes and one that
refuses a note."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from core import catalogue, county_notes, follow_ups, outbox
from core.db import write_transaction
from kiosk.db import get_db
from sync.notes import NOTE_SERVICE

from .conftest import ROOT, LiveCounty
from .sync_helpers import FakeClock, engine_for, save_requests
from .worker_helpers import add_accounts, log_in

# Tests with a county run on both of its databases; the kiosk-only ones once.
pytestmark = pytest.mark.county_backends


def county_notes_held(county: LiveCounty) -> list[dict]:
    """Every note the county holds: its id, status, attributes, description and what a clerk sees as the name."""
    rows = county.query("SELECT service_request_id, status, attributes, description, last_name, phone FROM requests"
                        " WHERE service_code = ? ORDER BY id", [NOTE_SERVICE])
    return [{"id": r[0], "status": r[1], "attributes": json.loads(r[2]), "description": r[3], "name": r[4], "phone": r[5]}
            for r in rows]


def close_at_county(county: LiveCounty, service_request_id: str, notes: str = "已修好") -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "county", "clerk", "set", service_request_id, "--status", "closed",
                    "--notes", notes], env=county.env, cwd=ROOT, check=True, capture_output=True)


def closed_and_told(app, county: LiveCounty, clock: FakeClock, outcome: str = "told") -> tuple[int, str]:
    """A repair saved, sent, closed by the county, pulled back, and a worker's outcome tapped on the
    worklist (the real route); returns (request id, the county's id)."""
    save_requests(app, 1)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        assert engine.run().accepted == 1
        county_id = outbox.county_id(get_db(), 1)
        close_at_county(county, county_id)
        assert engine.run().status_updates == 1
        event = outbox.current_event(get_db(), 1)
    add_accounts(app)
    worker = app.test_client()
    log_in(worker, "alice")
    assert worker.post(f"/worker/worklist/follow-up/1/{event['event_id']}", data={"outcome": outcome}).status_code == 302
    return 1, county_id


# --- on the kiosk ----------------------------------------------------------------------------------

def test_an_outcome_queues_one_note_with_the_fact_and_nothing_personal(app):
    (ticket,) = save_requests(app, 1)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            outbox.record(db, 1, outbox.ACCEPTED, service_request_id="C000001")
            event = outbox.record(db, 1, outbox.CLOSED, service_request_id="C000001", status="closed")
        with write_transaction(db):
            assert follow_ups.record(db, 1, event, follow_ups.TOLD, by="alice")
        with write_transaction(db):
            assert not follow_ups.record(db, 1, event, follow_ups.TOLD, by="bob")  # a colleague's second tap: nothing
        (note,) = county_notes.for_request(db, 1)
        assert note.state == county_notes.QUEUED and note.kind == county_notes.FOLLOW_UP
        assert note.fields["outcome"] == "told" and note.fields["status"] == "closed"
        assert note.fields["noted_at"] == follow_ups.history(db, 1)[0]["at"]
        assert "alice" not in json.dumps(note.fields) and ticket not in json.dumps(note.fields)
        # a note never carries what a person wrote
        for fields in ({"comment": "王芳说灯修好了"}, {"outcome": "told\nphone 13800138000"}, {"outcome": ""}):
            with pytest.raises(ValueError), write_transaction(db):
                county_notes.add(db, 1, county_notes.FOLLOW_UP, fields)
        with pytest.raises(ValueError), write_transaction(db):
            county_notes.add(db, 1, "gossip", {"outcome": "told"})
        assert len(county_notes.for_request(db, 1)) == 1


def test_the_unsent_notes_are_found_through_their_index(app):
    with app.app_context():
        db = get_db()
        plan = " ".join(r[3] for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM county_notes WHERE state IN ('queued', 'in_flight', 'retry_wait')"
            " AND (state != 'retry_wait' OR next_attempt_at <= '2026') ORDER BY id LIMIT 50"))
    assert plan == "SCAN county_notes USING INDEX county_notes_unsent"  # the partial index holds only unsent notes


# --- at the county ---------------------------------------------------------------------------------

def test_a_note_reaches_the_county_once_filed_under_its_request(app, county):
    clock = FakeClock()
    request_id, county_id = closed_and_told(app, county, clock)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        report = engine.run()
        assert report.notes_sent == 1 and not report.errors, report.errors
        (note,) = county_notes.for_request(get_db(), request_id)
        assert engine.run().notes_sent == 0
    (held,) = county_notes_held(county)
    assert note.state == county_notes.SENT and note.county_id == held["id"]
    assert held["status"] == "closed" and held["name"] == "" and held["phone"] == ""
    attributes = held["attributes"]
    assert (attributes["note_of"], attributes["kind"], attributes["outcome"], attributes["status"]) == \
        (county_id, "follow_up", "told", "closed")
    assert attributes["kiosk_uuid"] == note.uuid and "告诉居民" in held["description"]
    assert county.duplicate_posts() == 0
    # the clerk reads it under the request; the public lists do not show it as a request of its own
    password = county.add_clerk()
    page = county.clerk_session("clerk-1", password).get(county.url + "/clerk", timeout=5).text
    row = page.split(f"<td>{county_id}</td>")[1].split("</tr>")[0]
    assert "中心的后续记录" in row and "告诉居民" in row
    assert f"<td>{held['id']}</td>" not in page
    listed = requests.get(county.url + "/requests.json", params={"api_key": "demo-kiosk-key"}, timeout=5).json()
    assert [r["service_request_id"] for r in listed] == [county_id]


def test_an_unclear_send_is_asked_about_and_never_sent_twice(app, tmp_path, county_database_url):
    county = LiveCounty(tmp_path / "county", database_url=county_database_url).start()
    clock = FakeClock()
    try:
        request_id, _ = closed_and_told(app, county, clock, outcome="not_reached")
        county.stop()
        county.start({"drop_rate": 1.0, "seed": 1})  # stores the note, then drops the connection
        with app.app_context():
            report = engine_for(app, county.url, clock=clock).run()
            (note,) = county_notes.for_request(get_db(), request_id)
        assert report.notes_sent == 0 and note.state == county_notes.RETRY_WAIT and note.ambiguous
        assert len(county_notes_held(county)) == 1  # it did arrive
        county.stop()
        county.start({})
        clock.advance(hours=2)
        with app.app_context():
            assert engine_for(app, county.url, clock=clock).run().notes_sent == 1  # found by its UUID
            (note,) = county_notes.for_request(get_db(), request_id)
        (held,) = county_notes_held(county)
        assert note.state == county_notes.SENT and note.county_id == held["id"] and held["attributes"]["outcome"] == "not_reached"
        assert county.duplicate_posts() == 0
    finally:
        county.stop()


def test_a_worker_killed_before_its_post_sends_the_note_once(app, county):
    clock = FakeClock()
    request_id, _ = closed_and_told(app, county, clock)
    with app.app_context():
        db = get_db()
        (note,) = county_notes.for_request(db, request_id)
        with write_transaction(db, durable=True):
            county_notes.mark_in_flight(db, note, "2026-12-01T00:00:00+00:00")  # ... and the worker died here
        assert engine_for(app, county.url, clock=clock).run().notes_sent == 1  # asked first: not there, so sent
    assert len(county_notes_held(county)) == 1 and county.duplicate_posts() == 0


def test_a_county_without_a_note_service_keeps_the_notes(app, tmp_path, county_database_url):
    services = json.loads((ROOT / "county/catalogue.json").read_text(encoding="utf-8"))["services"]
    path = tmp_path / "no-notes.json"
    path.write_text(json.dumps({"services": [s for s in services if s["service_code"] != NOTE_SERVICE]}, ensure_ascii=False),
                    encoding="utf-8")
    county = LiveCounty(tmp_path / "county", database_url=county_database_url)
    county.env["COUNTY_CATALOGUE"] = str(path)
    county.start()
    clock = FakeClock()
    try:
        request_id, _ = closed_and_told(app, county, clock)
        with app.app_context():
            report = engine_for(app, county.url, clock=clock).run()
            (note,) = county_notes.for_request(get_db(), request_id)
        assert report.notes_waiting == 1 and report.notes_sent == 0 and not report.errors
        assert note.state == county_notes.QUEUED and county_notes_held(county) == []
    finally:
        county.stop()


def test_the_county_refuses_a_note_about_a_request_it_does_not_hold(app, county):
    form = {"api_key": "demo-kiosk-key", "service_code": NOTE_SERVICE, "address_string": "社区服务中心",
            "attribute[note_of]": "C999999", "attribute[kind]": "follow_up", "attribute[outcome]": "told"}
    answer = requests.post(county.url + "/requests.json", data=form, timeout=5)
    assert answer.status_code == 400 and "C999999" in answer.json()[0]["description"]
    # a note about a note is refused too
    clock = FakeClock()
    closed_and_told(app, county, clock)
    with app.app_context():
        engine_for(app, county.url, clock=clock).run()
    (held,) = county_notes_held(county)
    answer = requests.post(county.url + "/requests.json", data={**form, "attribute[note_of]": held["id"]}, timeout=5)
    assert answer.status_code == 400
    assert len(county_notes_held(county)) == 1


def test_a_note_the_county_refuses_is_kept_with_its_words_and_not_tried_again(app, county):
    clock = FakeClock()
    request_id, _ = closed_and_told(app, county, clock)
    with app.app_context():
        db = get_db()
        with write_transaction(db):  # the county's id of the request, as the kiosk last heard it, is wrong
            outbox.record(db, request_id, outbox.CLOSED, service_request_id="C999999", status="closed")
        report = engine_for(app, county.url, clock=clock).run()
        (note,) = county_notes.for_request(db, request_id)
        assert note.state == county_notes.REFUSED and "C999999" in note.reason
        assert any("refused a note" in e for e in report.errors)
        assert engine_for(app, county.url, clock=clock).run().notes_sent == 0
    assert county_notes_held(county) == []


def test_the_note_service_is_never_offered_to_residents(app, client, county):
    with app.app_context():
        report = engine_for(app, county.url).run("nightly")
        assert not [e for e in report.errors if e.startswith("catalogue")], report.errors
        assert catalogue.get_service(get_db(), NOTE_SERVICE, "zh_Hans_CN", include_hidden=True) is None
    assert NOTE_SERVICE not in client.get("/").get_data(as_text=True)
