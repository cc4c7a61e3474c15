"""Notes about a request the county holds — a worker's follow-up outcome, the resident's answer and
rating, her comment written too late for the reopened request — go up with the next sync, exactly
once, where the county can take them (core/county_notes.py, sync/notes.py, county/api.py): as updates
(FixMyStreet's extension, the reference county by default), as requests of the county's note service
(strict ``no_update_extension``), or onto the workers' list (``no_update_extension,no_notes_service``);
against the reference county as a real process, with unclear sends, a worker killed before its POST,
a county that cannot say and one that refuses a note. And a close that keeps ``updated_datetime``
still comes back, timed when the kiosk saw it."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from core import audit, catalogue, county_notes, feedback, follow_ups, outbox, outcomes, submissions
from core.db import write_transaction
from kiosk.db import get_db
from sync.notes import NOTE_SERVICE
from sync.open311 import HttpTransport, Reply

from .conftest import ROOT, LiveCounty
from .sync_helpers import FakeClock, engine_for, save_requests
from .worker_helpers import add_accounts, log_in

# Tests with a county run on both of its databases; the kiosk-only ones once.
pytestmark = pytest.mark.county_backends

# The three counties a note meets (county/strict.py): how each takes notes.
UPDATES, NOTE_REQUESTS, WORKERS = "", "no_update_extension", "no_update_extension,no_notes_service"
SENDING = [pytest.param(UPDATES, id="updates"), pytest.param(NOTE_REQUESTS, id="kiosk_note")]
ALL_COUNTIES = [*SENDING, pytest.param(WORKERS, id="workers")]


def notes_at_county(county: LiveCounty) -> list[dict]:
    """Every note the county holds, as an update or a note request: {about, uuid, description, as}."""
    updates = [{"about": r[0], "uuid": r[1], "description": r[2], "as": "update", "id": r[1], "name": r[3]}
               for r in county.query("SELECT service_request_id, update_id, description, last_name FROM request_updates ORDER BY id")]
    requested = [{"about": n["attributes"].get("note_of"), "uuid": n["attributes"].get("kiosk_uuid"), "description": n["description"],
                  "as": "note_request", "id": n["id"], "name": n["name"]} for n in county_notes_held(county)]
    return updates + requested


def update_duplicates(county: LiveCounty) -> int:
    return sum(r[0] for r in county.query("SELECT duplicate_posts FROM request_updates"))


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


def test_a_comment_note_holds_her_words_sealed_and_forgets_them_with_the_request(app):
    from datetime import datetime, timedelta, timezone

    from core.actions import system

    save_requests(app, 1)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            outbox.record(db, 1, outbox.ACCEPTED, service_request_id="C000001")
            outbox.record(db, 1, outbox.CLOSED, service_request_id="C000001", status="closed")
            note_id = county_notes.add(db, 1, county_notes.COMMENT, {"answered_at": "2026-12-01T08:00:00+00:00"},
                                       text="  灯还是不亮，王师傅没来  ")
        for kind, text in ((county_notes.COMMENT, ""), (county_notes.FOLLOW_UP, "王芳说灯修好了")):
            with pytest.raises(ValueError), write_transaction(db):
                county_notes.add(db, 1, kind, {"outcome": "told"}, text=text)  # words only in a comment, and always there
        assert county_notes.text(db, note_id) == "灯还是不亮，王师傅没来"
        assert "王师傅" not in db.execute("SELECT text FROM county_notes WHERE id = ?", [note_id]).fetchone()[0]
        system.purge(db, datetime.now(timezone.utc) + timedelta(days=400))
        note = county_notes.get(db, note_id)
        assert county_notes.text(db, note_id) == "" and not note.has_text and note.state == county_notes.REFUSED


def test_the_kept_profile_says_how_the_county_takes_notes(app):
    from sync import profile
    from sync.process import make_engine

    with app.app_context():
        assert make_engine(app.config, get_db(), app.instance_path).settings.notes_via == ""  # no profile: ask each run
        for updates, note_service, via in ((profile.YES, False, "update"), (profile.NO, True, "note_request"),
                                           (profile.NO, False, "none"), (profile.UNKNOWN, True, "")):
            profile.save(app.instance_path, profile.Profile(app.config["COUNTY_URL"], app.config["JURISDICTION_ID"], "now",
                                                            reachable=True, updates=updates, note_service=note_service))
            assert make_engine(app.config, get_db(), app.instance_path).settings.notes_via == via


def test_the_unsent_notes_are_found_through_their_index(app):
    with app.app_context():
        db = get_db()
        plan = " ".join(r[3] for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM county_notes WHERE state IN ('queued', 'in_flight', 'retry_wait')"
            " AND (state != 'retry_wait' OR next_attempt_at <= '2026') ORDER BY id LIMIT 50"))
    assert plan == "SCAN county_notes USING INDEX county_notes_unsent"  # the partial index holds only unsent notes


# --- at the county ---------------------------------------------------------------------------------

@pytest.mark.parametrize("county_strict", SENDING, indirect=True)
def test_a_note_reaches_the_county_once_where_it_can_take_it(app, county, county_strict):
    clock = FakeClock()
    request_id, county_id = closed_and_told(app, county, clock)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        report = engine.run()
        assert report.notes_sent == 1 and report.notes_kept == 0 and not report.errors, report.errors
        (note,) = county_notes.for_request(get_db(), request_id)
        assert engine.run().notes_sent == 0
    (held,) = notes_at_county(county)
    expected = "update" if county_strict == UPDATES else "note_request"
    assert note.state == county_notes.SENT and note.sent_as == held["as"] == expected and note.county_id == held["id"]
    assert held["about"] == county_id and held["uuid"] == note.uuid and "告诉居民" in held["description"]
    assert "alice" not in held["name"] and county.duplicate_posts() == 0 and update_duplicates(county) == 0
    if county_strict == NOTE_REQUESTS:
        (filed,) = county_notes_held(county)
        attributes = filed["attributes"]
        assert filed["status"] == "closed" and filed["name"] == "" and filed["phone"] == ""
        assert (attributes["note_of"], attributes["kind"], attributes["outcome"], attributes["status"]) == \
            (county_id, "follow_up", "told", "closed")
    else:
        assert county_notes_held(county) == []  # no made-up request where the county takes updates
    # the clerk reads it under the request; the public lists do not show it as a request of its own
    password = county.add_clerk()
    page = county.clerk_session("clerk-1", password).get(county.url + "/clerk", timeout=5).text
    row = page.split(f"<td>{county_id}</td>")[1].split("</tr>")[0]
    assert ("更新 updates" if county_strict == UPDATES else "中心的后续记录") in row and "告诉居民" in row
    listed = requests.get(county.url + "/requests.json", params={"api_key": "demo-kiosk-key"}, timeout=5).json()
    assert [r["service_request_id"] for r in listed] == [county_id]


@pytest.mark.parametrize("county_strict", [pytest.param(WORKERS, id="workers")], indirect=True)
def test_a_county_that_takes_no_notes_gets_none_and_the_workers_tell_it(app, county):
    clock = FakeClock()
    request_id, county_id = closed_and_told(app, county, clock)
    with app.app_context():
        report = engine_for(app, county.url, clock=clock).run()
        (note,) = county_notes.for_request(get_db(), request_id)
    assert report.notes_kept == 1 and report.notes_sent == 0 and not report.errors, report.errors
    assert note.state == county_notes.KEPT
    assert notes_at_county(county) == [] and len(county.requests()) == 1  # nothing made up at the county
    worker = app.test_client()
    log_in(worker, "alice")
    page = worker.get("/worker/worklist", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Notes to tell the county yourself" in worker.get("/worker/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    item = page.split(f'id="to-tell-{note.id}"')[1].split("</li>")[0]
    assert "Notes the county cannot take: tell the county yourself" in page
    assert county_id in item and "A worker told the resident the county&#39;s news." in item
    en = {"Accept-Language": "en"}
    assert worker.post(f"/worker/worklist/note-told/{note.id}", headers=en).status_code == 302
    assert "Recorded: you told the county." in worker.get("/worker/worklist", headers=en).get_data(as_text=True)
    assert worker.post(f"/worker/worklist/note-told/{note.id}", headers=en).status_code == 302  # a second tap: nothing more
    page = worker.get("/worker/worklist", headers=en).get_data(as_text=True)
    assert f'id="to-tell-{note.id}"' not in page and "Someone has already recorded this" in page
    with app.app_context():
        db = get_db()
        told = county_notes.get(db, note.id)
        assert (told.state, told.told_by) == (county_notes.TOLD, "alice")
        entries = [e for e in audit.every(db) if e.action == "note.told_county"]
        assert len(entries) == 1 and entries[0].actor == "worker:alice" and entries[0].request_id == request_id
        assert engine_for(app, county.url, clock=clock).run().notes_kept == 0
    assert notes_at_county(county) == []


@pytest.mark.parametrize("strict", SENDING)
def test_an_unclear_send_is_asked_about_and_never_sent_twice(app, tmp_path, county_database_url, strict):
    county = LiveCounty(tmp_path / "county", database_url=county_database_url, strict=strict).start()
    clock = FakeClock()
    try:
        request_id, _ = closed_and_told(app, county, clock, outcome="not_reached")
        county.stop()
        county.start({"drop_rate": 1.0, "seed": 1})  # stores the note, then drops the connection
        with app.app_context():
            report = engine_for(app, county.url, clock=clock).run()
            (note,) = county_notes.for_request(get_db(), request_id)
        assert report.notes_sent == 0 and note.state == county_notes.RETRY_WAIT and note.ambiguous
        assert len(notes_at_county(county)) == 1  # it did arrive
        county.stop()
        county.start({})
        clock.advance(hours=2)
        with app.app_context():
            assert engine_for(app, county.url, clock=clock).run().notes_sent == 1  # found by its UUID
            (note,) = county_notes.for_request(get_db(), request_id)
        (held,) = notes_at_county(county)
        assert note.state == county_notes.SENT and note.county_id == held["id"] and "未能联系上居民" in held["description"]
        assert county.duplicate_posts() == 0 and update_duplicates(county) == 0
    finally:
        county.stop()


class NoUpdateList(HttpTransport):
    """A county whose list of updates cannot be read (it takes updates, but cannot say which it holds)."""

    def request(self, method, url, *, params=None, data=None):
        if method == "GET" and url.endswith("/servicerequestupdates.json"):
            return Reply(404, b'[{"code": 404, "description": "not found"}]')
        return super().request(method, url, params=params, data=data)


def test_an_update_the_county_cannot_say_it_holds_is_sent_again(app, tmp_path, county_database_url):
    county = LiveCounty(tmp_path / "county", database_url=county_database_url, strict=UPDATES).start()
    clock = FakeClock()
    try:
        request_id, _ = closed_and_told(app, county, clock)
        county.stop()
        county.start({"drop_rate": 1.0, "seed": 1})
        with app.app_context():
            engine_for(app, county.url, clock=clock).run()
        county.stop()
        county.start({})
        clock.advance(hours=2)
        with app.app_context():
            engine = engine_for(app, county.url, clock=clock, notes_via="update")
            engine.client.transport = NoUpdateList(timeout=1.0, connect_timeout=1.0)
            assert engine.run().notes_sent == 1
            (note,) = county_notes.for_request(get_db(), request_id)
        assert note.state == county_notes.SENT
        assert update_duplicates(county) == 1  # sent again (the reference county knew its update_id: held once)
    finally:
        county.stop()


class BadMoment(HttpTransport):
    """A county having a bad moment: 503 to every read of its updates and its note service."""

    def request(self, method, url, *, params=None, data=None):
        if method == "GET" and url.endswith(("/servicerequestupdates.json", "/services/kiosk_note.json")):
            return Reply(503, b"Service Unavailable")
        return super().request(method, url, params=params, data=data)


@pytest.mark.parametrize("county_strict", [pytest.param(WORKERS, id="workers")], indirect=True)
def test_a_county_having_a_bad_moment_does_not_send_the_notes_to_the_workers(app, county):
    clock = FakeClock()
    request_id, _ = closed_and_told(app, county, clock)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        engine.client.transport = BadMoment(timeout=1.0, connect_timeout=1.0)
        report = engine.run()
        assert (report.notes_waiting, report.notes_kept) == (1, 0)
        assert county_notes.for_request(get_db(), request_id)[0].state == county_notes.QUEUED
        assert engine_for(app, county.url, clock=clock).run().notes_kept == 1  # it answers again: no way to take notes


@pytest.mark.parametrize("county_strict", SENDING, indirect=True)
def test_a_worker_killed_before_its_post_sends_the_note_once(app, county):
    clock = FakeClock()
    request_id, _ = closed_and_told(app, county, clock)
    with app.app_context():
        db = get_db()
        (note,) = county_notes.for_request(db, request_id)
        with write_transaction(db, durable=True):
            county_notes.mark_in_flight(db, note, "2026-12-01T00:00:00+00:00")  # ... and the worker died here
        assert engine_for(app, county.url, clock=clock).run().notes_sent == 1  # asked first: not there, so sent
    assert len(notes_at_county(county)) == 1 and county.duplicate_posts() == 0 and update_duplicates(county) == 0


def test_the_county_refuses_an_update_it_cannot_file(app, county):
    clock = FakeClock()
    _, county_id = closed_and_told(app, county, clock)
    form = {"api_key": "demo-kiosk-key", "service_request_id": county_id, "update_id": "u-1",
            "updated_datetime": "2026-12-01T08:00:00Z", "status": "open", "description": "居民补充：灯还是不亮"}
    post = lambda **changed: requests.post(county.url + "/servicerequestupdates.json", data={**form, **changed}, timeout=5)
    assert post(service_request_id="C999999").status_code == 400
    assert post(description="").status_code == 400 and post(status="maybe").status_code == 400
    assert post(updated_datetime="yesterday").status_code == 400 and post(api_key="wrong").status_code == 403
    assert post().json() == [{"update_id": "u-1"}] and post().json() == [{"update_id": "u-1"}]  # the same again: held once
    assert post(description="别的话").status_code == 409
    assert [(n["about"], n["uuid"]) for n in notes_at_county(county)] == [(county_id, "u-1")] and update_duplicates(county) == 1
    listed = requests.get(county.url + "/servicerequestupdates.json", timeout=5, params={
        "api_key": "demo-kiosk-key", "start_date": "2026-12-01T07:00:00Z", "end_date": "2026-12-01T09:00:00Z"}).json()
    assert [(u["update_id"], u["service_request_id"], u["description"]) for u in listed] == [("u-1", county_id, "居民补充：灯还是不亮")]
    assert requests.get(county.url + "/servicerequestupdates.json", timeout=5).status_code == 403


@pytest.mark.parametrize("county_strict", [pytest.param(NOTE_REQUESTS, id="kiosk_note")], indirect=True)
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


@pytest.mark.parametrize("county_strict", SENDING, indirect=True)
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
        assert any("refused a" in e and "C999999" in e for e in report.errors)
        assert engine_for(app, county.url, clock=clock).run().notes_sent == 0
    assert notes_at_county(county) == []


def test_the_note_service_is_never_offered_to_residents(app, client, county):
    with app.app_context():
        report = engine_for(app, county.url).run("nightly")
        assert not [e for e in report.errors if e.startswith("catalogue")], report.errors
        assert catalogue.get_service(get_db(), NOTE_SERVICE, "zh_Hans_CN", include_hidden=True) is None
    assert NOTE_SERVICE not in client.get("/").get_data(as_text=True)


# --- the resident's late comment -------------------------------------------------------------------

@pytest.mark.parametrize("county_strict", ALL_COUNTIES, indirect=True)
def test_a_comment_written_after_the_reopened_request_went_follows_it_as_an_update(app, client, county, county_strict):
    """She says "not solved"; the reopened request waits 15 minutes for her comment, then goes; she writes
    it later: it follows as an update where the county has the extension, else waits on the workers' list."""
    zh = {"Accept-Language": "zh-CN"}
    clock = FakeClock()
    save_requests(app, 1)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        engine.run()
        close_at_county(county, outbox.county_id(get_db(), 1))
        engine.run()
        saved, event = submissions.get(get_db(), 1), outbox.current_event(get_db(), 1)["event_id"]
    answer = client.post(f"/status/{saved.ticket}/solved?c={saved.check_code}", data={"event": event, "solved": "no"}, headers=zh)
    assert answer.status_code == 302
    clock.advance(minutes=feedback.COMMENT_WAIT_MINUTES + 1)
    with app.app_context():
        engine.run()  # the wait is over: the reopened request goes without her comment
        db = get_db()
        given = feedback.latest(db, 1)
        reopened_at_county = outbox.county_id(db, given.reopened_as)
    assert reopened_at_county
    assert client.post(f"/status/{saved.ticket}/rating?c={saved.check_code}", data={"rating": "2"}, headers=zh).status_code == 302
    comment = client.post(f"/status/{saved.ticket}/comment?c={saved.check_code}", data={"comment": "灯还是不亮，王师傅没来"}, headers=zh)
    assert comment.status_code == 302
    with app.app_context():
        db = get_db()
        (note,) = [n for n in county_notes.for_request(db, given.reopened_as) if n.kind == county_notes.COMMENT]
        raw = db.execute("SELECT text, fields FROM county_notes WHERE id = ?", [note.id]).fetchone()
        assert "王师傅" not in raw[0] and "王师傅" not in raw[1]  # sealed at rest; never among the codes
        report = engine.run()
        note = county_notes.get(db, note.id)
    words = [n for n in notes_at_county(county) if "王师傅" in n["description"]]
    if county_strict == UPDATES:
        assert note.state == county_notes.SENT and note.sent_as == "update"
        assert [(n["about"], n["description"]) for n in words] == [(reopened_at_county, "居民的补充说明：灯还是不亮，王师傅没来")]
    else:  # never in a made-up request: the workers tell the county
        assert note.state == county_notes.KEPT and words == [] and report.notes_kept >= 1
        add_accounts(app)
        worker = app.test_client()
        log_in(worker, "alice")
        page = worker.get("/worker/worklist", headers={"Accept-Language": "en"}).get_data(as_text=True)
        item = page.split(f'id="to-tell-{note.id}"')[1].split("</li>")[0]
        assert "The resident wrote: 灯还是不亮，王师傅没来" in item and reopened_at_county in item


def test_a_comment_before_the_reopened_request_went_goes_in_it_and_in_no_note(app, client, county):
    zh = {"Accept-Language": "zh-CN"}
    clock = FakeClock()
    save_requests(app, 1)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        engine.run()
        close_at_county(county, outbox.county_id(get_db(), 1))
        engine.run()
        saved, event = submissions.get(get_db(), 1), outbox.current_event(get_db(), 1)["event_id"]
    client.post(f"/status/{saved.ticket}/solved?c={saved.check_code}", data={"event": event, "solved": "no"}, headers=zh)
    client.post(f"/status/{saved.ticket}/rating?c={saved.check_code}", data={"rating": "2"}, headers=zh)
    client.post(f"/status/{saved.ticket}/comment?c={saved.check_code}", data={"comment": "灯还是不亮"}, headers=zh)
    with app.app_context():
        engine.run()
        db = get_db()
        assert not [n for n in county_notes.for_request(db, feedback.latest(db, 1).reopened_as) if n.kind == county_notes.COMMENT]


# --- status back from a county that keeps updated_datetime on close -----------------------------------

@pytest.mark.parametrize("county_strict", [pytest.param("close_keeps_updated_datetime", id="close_keeps_updated_datetime")],
                         indirect=True)
def test_a_close_that_keeps_updated_datetime_comes_back_timed_when_the_kiosk_saw_it(app, county):
    from datetime import datetime, timezone
    import time

    save_requests(app, 1)  # saved on the kiosk's real clock, which the engine keeps too
    with app.app_context():
        engine = engine_for(app, county.url, clock=lambda: datetime.now(timezone.utc))
        assert engine.run().accepted == 1
        county_id = outbox.county_id(get_db(), 1)
        stale = county.query("SELECT updated_datetime FROM requests WHERE service_request_id = ?", [county_id])[0][0]
        time.sleep(3.5)  # the county (and the kiosk's events) keep seconds
        close_at_county(county, county_id, notes="已修好")
        assert tuple(county.query("SELECT status, updated_datetime FROM requests WHERE service_request_id = ?",
                                  [county_id])[0]) == ("closed", stale)  # closed, its updated_datetime unmoved
        report = engine.run()
        db = get_db()
        closed = outbox.current_event(db, 1)
        saved_at = datetime.fromisoformat(submissions.get(db, 1).requested_at)
    assert report.status_updates == 1 and closed["state"] == outbox.CLOSED and closed["data"]["updated_datetime"] == stale
    heard = datetime.fromisoformat(closed["at"])
    solved_at = outcomes.close_time(closed, saved_at)
    assert abs((solved_at - heard).total_seconds()) < 1.5  # when the kiosk saw it, not the stale time
    assert (solved_at - saved_at).total_seconds() > 2.5  # the stale time made it about 0


# --- on a worker's phone, in real Chromium -------------------------------------------------------------

@pytest.mark.browser
def test_a_worker_reads_a_note_to_tell_the_county_and_marks_it_told_on_a_phone(browser, tmp_path):
    """The workers' list section on a phone (375×667): readable (axe, the kiosk's size and target checks),
    what the note says, the county's number, and one tap on *Told the county*."""
    from core.db import connect

    from .browser import Resident
    from .conftest import PHONE_SIZE, LiveKiosk
    from .test_accessibility import Auditor
    from .test_durability import post
    from .test_worker_browser import PASSWORDS, log_in as log_in_on_screen

    kiosk = LiveKiosk(tmp_path / "kiosk", KIOSK_WORKER_LOGIN_LIMIT="1000 per hour")
    subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "workers", "add", "demo-worker", "--password-stdin"],
                   input=PASSWORDS["demo-worker"] + "\n", env=kiosk.env, cwd=ROOT, check=True, capture_output=True, text=True)
    kiosk.start()
    context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", has_touch=True, is_mobile=True, bypass_csp=True)
    try:
        resident = requests.Session()
        for path, data in (("/services/repairs", {}), ("/request/questions/what", {"answer": "light"}),
                           ("/request/questions/where", {"answer": "3号楼"}), ("/request/questions/danger", {"answer": "no"}),
                           ("/request/contact", {"contact": "centre"}), ("/request/check", {})):
            post(resident, kiosk.url, path, **data)
        db = connect(kiosk.database)
        with write_transaction(db):  # the county closed it, a worker told the resident; this county takes no notes
            outbox.record(db, 1, outbox.ACCEPTED, service_request_id="C000042")
            outbox.record(db, 1, outbox.CLOSED, service_request_id="C000042", status="closed")
            note_id = county_notes.add(db, 1, county_notes.ANSWER, {"solved": "yes", "via": "phone"})
            county_notes.keep_for_workers(db, note_id, "2026-12-01T08:00:00+00:00")
        db.close()
        worker = Resident(context.new_page(), kiosk.url, js=True)
        audit = Auditor(worker, 24)
        worker.open("/worker/worklist")
        log_in_on_screen(worker, "demo-worker")
        worker.open("/worker/worklist")
        item = worker.page.locator(f"#to-tell-{note_id}")
        assert "县平台收不到的记录：请您亲自告诉县平台" in worker.page.locator("#wl-to-tell").inner_text()
        assert "C000042" in item.inner_text() and "居民确认问题已经解决。" in item.inner_text()
        audit("notes to tell the county")
        worker.tap(item.get_by_role("button", name="已告诉县平台"), expect_new_page=False)  # back to the same list
        worker.page.wait_for_selector(".notice")
        assert worker.page.locator(".notice").inner_text() == "已记录：您已告诉县平台。"
        assert worker.page.locator(f"#to-tell-{note_id}").count() == 0
        audit("told")
    finally:
        context.close()
        kiosk.stop()
    assert not audit.problems, "\n".join(audit.problems)
    db = connect(kiosk.database)
    assert db.execute("SELECT state, told_by FROM county_notes WHERE id = ?", [note_id]).fetchone() == ("told", "demo-worker")
    db.close()
