"""Help calls in the database: one call per kiosk while it waits, answered once, nothing about the resident."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core import help_calls
from core.actions import resident
from core.db import write_transaction
from core.crypto import Keyring, new_key
from core.db import connect, migrate

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(tmp_path):
    db = connect(tmp_path / "k.sqlite3", keyring=Keyring([new_key()]))
    migrate(db)
    return db


def test_a_second_tap_while_waiting_is_the_same_call_and_says_where_now(db):
    first = resident.call_for_help(db, "kiosk-1", "resident.question:where", "repairs", now=T0)
    again = resident.call_for_help(db, "kiosk-1", "resident.contact", "repairs", now=T0 + timedelta(minutes=3), ours=first.id)
    assert again.id == first.id and again.place == "resident.contact" and again.called_at == first.called_at
    assert (again.rings, again.token) == (0, first.token)  # the same resident's second tap: no new chime
    other_kiosk = resident.call_for_help(db, "kiosk-2", "resident.start", now=T0)
    assert other_kiosk.id != first.id
    assert [c.id for c in help_calls.waiting(db)] == [first.id, other_kiosk.id]


def test_a_call_nobody_answers_is_rung_again_every_three_minutes_the_same_call(db):
    first = resident.call_for_help(db, "kiosk-1", "resident.contact", "repairs", now=T0)
    other = resident.call_for_help(db, "kiosk-2", "resident.start", now=T0 + timedelta(minutes=1))
    early = T0 + help_calls.RING_AGAIN_AFTER - timedelta(seconds=1)
    assert not help_calls.due_again(first, early) and resident.ring_again(db, first.id, early) == first
    due = T0 + help_calls.RING_AGAIN_AFTER
    assert help_calls.due_again(first, due)
    again = resident.ring_again(db, first.id, due)
    assert resident.ring_again(db, first.id, due) == again  # two asking at once: rung once
    assert (again.id, again.called_at, again.rings, again.rung_at) == (first.id, first.called_at, 1, "2026-11-25T09:03:00+00:00")
    assert (first.token, again.token) == ("1", "1.1")  # a new token on the workers' lists: a chime
    assert [c.id for c in help_calls.waiting(db)] == [first.id, other.id]  # still the longest waiting first
    assert not help_calls.due_again(again, due + timedelta(minutes=2))  # three minutes from the last ring
    assert resident.ring_again(db, first.id, due + help_calls.RING_AGAIN_AFTER).rings == 2
    assert resident.call_for_help(db, "kiosk-1", "resident.start", now=T0 + timedelta(minutes=12), ours=first.id).id == first.id  # rung lately: the same call
    with write_transaction(db):
        help_calls.answer(db, first.id, "wang", now=T0 + timedelta(minutes=13))
    answered = help_calls.get(db, first.id)
    assert resident.ring_again(db, first.id, T0 + timedelta(hours=1)) == answered and not help_calls.due_again(answered, T0 + timedelta(hours=1))
    assert resident.ring_again(db, 999, due) is None


def test_another_residents_tap_at_the_kiosk_rings_the_waiting_call_at_once(db):
    """One walk serves both: the same call, rung now for the newcomer, with her page and service."""
    first = resident.call_for_help(db, "kiosk-1", "resident.start", now=T0)
    later = T0 + timedelta(minutes=5)
    hers = resident.call_for_help(db, "kiosk-1", "resident.contact", "repairs", now=later)
    assert (hers.id, hers.called_at, hers.rings) == (first.id, first.called_at, 1) and hers.token != first.token
    assert (hers.place, hers.service_code, help_calls.last_rung(hers)) == ("resident.contact", "repairs", "2026-11-25T09:05:00+00:00")
    assert not help_calls.due_again(hers, later + help_calls.RING_AGAIN_AFTER - timedelta(seconds=1), help_calls.last_rung(hers))


def test_a_call_is_rung_again_at_most_three_times_after_a_tap(db):
    called = resident.call_for_help(db, "kiosk-1", "resident.start", now=T0)
    since, at = help_calls.last_rung(called), T0
    for rings in range(1, help_calls.RINGS_AT_MOST + 1):
        at += help_calls.RING_AGAIN_AFTER + timedelta(seconds=20)  # a page asks a little late
        assert help_calls.due_again(called, at, since)
        called = resident.ring_again(db, called.id, at)
        assert called.rings == rings
    assert not help_calls.due_again(called, at + timedelta(hours=2), since)  # walked away: the lists stop chiming
    assert called.waiting and help_calls.waiting(db) == [called]  # still there for a worker to take


def test_a_call_is_answered_once_and_a_later_tap_is_a_new_call(db):
    first = resident.call_for_help(db, "kiosk-1", "resident.start", now=T0)
    with write_transaction(db):
        assert help_calls.answer(db, first.id, "wang", now=T0 + timedelta(minutes=1))
    with write_transaction(db):
        assert not help_calls.answer(db, first.id, "li", now=T0 + timedelta(minutes=2))
    answered = help_calls.get(db, first.id)
    assert answered.answered_by == "wang" and not answered.waiting
    with write_transaction(db):
        assert not help_calls.answer(db, 999, "wang")
    assert resident.call_for_help(db, "kiosk-1", "resident.start", now=T0 + timedelta(minutes=2)).id != first.id


def test_an_old_unanswered_call_does_not_swallow_a_new_one(db):
    old = resident.call_for_help(db, "kiosk-1", "resident.start", now=T0)
    new = resident.call_for_help(db, "kiosk-1", "resident.start", now=T0 + help_calls.SAME_CALL + timedelta(seconds=1))
    assert new.id != old.id and len(help_calls.waiting(db)) == 2


def test_the_place_is_capped(db):
    assert len(resident.call_for_help(db, "kiosk-1", "x" * 500).place) == 80


# --- the resident's side ------------------------------------------------------------------------

PHONE = {"REMOTE_ADDR": "192.168.8.23"}


def test_on_the_kiosk_one_tap_calls_a_worker_and_says_a_worker_has_been_called(app, client):
    page = client.get("/services/repairs").get_data(as_text=True)
    assert 'action="/help/call"' in page and 'name="from" value="/services/repairs"' in page
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    reply = client.post("/help/call", data={"from": "/request/questions/where?write=1"})
    assert reply.headers["Location"] == "/help?back=/request/questions/where?write%3D1"
    shown = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "已经呼叫了工作人员" in shown and 'href="/request/questions/where?write=1"' in shown
    assert "有人马上过来" not in shown and "正在过来" not in shown  # nobody has answered: nobody is said to be coming
    assert 'id="idle-dialog"' not in shown  # waiting for a person is not walking away
    with app.app_context():
        from kiosk.db import get_db

        (called,) = help_calls.waiting(get_db())
        assert (called.kiosk_id, called.place, called.service_code) == ("kiosk-1", "resident.question:where", "repairs")
        client.post("/help/call", data={"from": "/request/contact"})  # a second, worried tap
        assert [c.id for c in help_calls.waiting(get_db())] == [called.id]
        with write_transaction(get_db()):
            help_calls.answer(get_db(), called.id, "wang")
    assert "正在过来" in client.get("/help").get_data(as_text=True)


class Clock:
    """The app's clock (``CLOCK``), moved by the test instead of waiting."""

    def __init__(self, at=T0):
        self.at = at

    def __call__(self):
        return self.at


STATE = {"HX-Request": "true", "HX-Target": "help-state"}


def _audio_src(html: str) -> str:
    import re

    return re.search(r'<audio class="speech__audio" id="speech-audio"[^>]* src="([^"]*)"', html).group(1)


def test_the_screen_says_who_is_coming_once_a_worker_answers_and_its_words_are_read_aloud(app, client):
    """Waiting: "we have called a worker", asking every second (htmx fragment; without JavaScript a refresh every 2 s).
    Answered: the worker's display name on the screen and in Read aloud, and no more asking."""
    from engines.speech.page_text import page_text

    from .worker_helpers import add_accounts, log_in

    add_accounts(app)
    client.post("/services/repairs")
    location = client.post("/help/call", data={"from": "/request/questions/what"}).headers["Location"]
    waiting = client.get(location).get_data(as_text=True)
    assert "我们已经呼叫了工作人员" in waiting and "王芳" not in waiting
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting  # without JavaScript
    assert 'data-hx-get="/help/state?shown=waiting&amp;back=/request/questions/what"' in waiting
    assert 'data-hx-trigger="every 1s"' in waiting and 'id="idle-dialog"' not in waiting
    assert "已经呼叫了工作人员" in page_text(waiting, "mandarin")
    asked = client.get("/help/state?shown=waiting&back=/request/questions/what", headers=STATE)
    assert asked.status_code == 204 and asked.get_data() == b""  # nothing new: nothing swapped

    alice = app.test_client()
    log_in(alice, "alice")
    alice.post("/worker/calls/1/answered")
    answered = client.get("/help/state?shown=waiting&back=/request/questions/what", headers=STATE)
    part = answered.get_data(as_text=True)
    assert answered.status_code == 200 and part.lstrip().startswith("<title>王芳正在过来")
    assert '<div class="help-state" id="help-state" data-state="answered">' in part  # no more asking
    assert "data-hx-trigger" not in part and "alice" not in part  # the display name, nothing else of the worker
    assert '<div id="help-speech" data-hx-swap-oob="true">' in part
    assert 'href="/speech?next=/help?back%3D/request/questions/what"' in part  # Voice settings comes back here
    page = client.get(location).get_data(as_text=True)
    assert "王芳正在过来" in page and "王芳看到了您的呼叫" in page and "alice" not in page.replace("data-", "")
    assert "http-equiv" not in page and "data-hx-trigger" not in page
    spoken = page_text(page, "mandarin")
    assert "王芳" in spoken and "已经呼叫了工作人员" not in spoken
    assert _audio_src(part) == _audio_src(page) != _audio_src(waiting)  # Read aloud says the new words
    assert client.get("/help/state?shown=answered", headers=STATE).status_code == 204


def test_nobody_answering_in_three_minutes_rings_again_and_says_what_else_to_do(app, client):
    from kiosk.db import get_db

    from .worker_helpers import add_accounts, log_in

    add_accounts(app)
    app.config["CLOCK"] = clock = Clock()
    app.config["CENTRE_PHONE"] = "0571 8888 1234"
    client.post("/help/call", data={"from": "/services/repairs"})
    alice = app.test_client()
    log_in(alice, "alice")
    assert 'data-call-ids="1"' in alice.get("/worker/calls").get_data(as_text=True)
    clock.at = T0 + help_calls.RING_AGAIN_AFTER - timedelta(seconds=1)
    assert client.get("/help/state?shown=waiting", headers=STATE).status_code == 204
    still = client.get("/help").get_data(as_text=True)
    assert "还没有人回应" not in still and "服务台" not in still

    clock.at = T0 + help_calls.RING_AGAIN_AFTER
    part = client.get("/help/state?shown=waiting", headers=STATE).get_data(as_text=True)
    assert 'data-state="again"' in part and 'data-hx-trigger="every 1s"' in part  # still asking
    page = client.get("/help").get_data(as_text=True)
    assert "对不起，还没有工作人员回应。我们又呼叫了一次。" in page
    assert "服务台" in page and "0571 8888 1234" in page and "您的回答会保存在这台自助终端上" in page
    assert '<meta http-equiv="refresh"' in page and 'id="idle-dialog"' not in page  # still waiting: no reset
    with app.app_context():
        (rung,) = help_calls.waiting(get_db())
    assert (rung.id, rung.rings, rung.called_at) == (1, 1, "2026-11-25T09:00:00+00:00")
    listed = alice.get("/worker/calls").get_data(as_text=True)
    assert 'data-call-ids="1.1"' in listed and "没有人回应，已再次呼叫" in listed  # a new token: every list chimes
    assert client.get("/help/state?shown=again", headers=STATE).status_code == 204  # once, not at every ask
    assert rings_of(app, 1) == 1

    clock.at = T0 + 2 * help_calls.RING_AGAIN_AFTER  # and again three minutes later
    client.get("/help")
    assert rings_of(app, 1) == 2
    app.config["CENTRE_PHONE"] = ""
    assert "0571" not in client.get("/help").get_data(as_text=True)  # no number configured: none offered
    alice.post("/worker/calls/1/answered")  # the card she saw before the last ring still answers it
    assert "王芳正在过来" in client.get("/help").get_data(as_text=True)


def test_a_new_resident_is_told_what_is_true_for_her_not_for_whoever_called_before(app, client):
    """A calls and goes back to the start (her visit ends), nobody answers; five minutes later B taps help at
    the same kiosk. B's first screen says a worker has been called; the waiting call is rung for her now
    (every list chimes, her page and service); "nobody has answered yet" only after three minutes of HER wait."""
    from .worker_helpers import add_accounts, log_in

    add_accounts(app)
    app.config["CLOCK"] = clock = Clock()
    client.post("/help/call", data={"from": "/"})
    assert "已经呼叫了工作人员" in client.get("/help?back=/").get_data(as_text=True)
    assert client.get("/").status_code == 302  # 回到首页: the start page ends her visit, call and all
    alice = app.test_client()
    log_in(alice, "alice")
    assert 'data-call-ids="1"' in alice.get("/worker/calls").get_data(as_text=True)

    clock.at = T0 + timedelta(minutes=5)
    for b in (client, app.test_client()):  # the same browser after A, or a fresh one
        client.get("/")
        b.post("/services/repairs")
        b.post("/help/call", data={"from": "/services/repairs"})
        first = b.get("/help").get_data(as_text=True)
        assert "我们已经呼叫了工作人员" in first and "还没有人回应" not in first and "又呼叫了一次" not in first
        assert "还没有人回应" not in b.get("/help/state?shown=waiting", headers=STATE).get_data(as_text=True)
        listed = alice.get("/worker/calls").get_data(as_text=True)
        assert f'data-call-ids="1.{rings_of(app, 1)}"' in listed and "公共设施报修" in listed  # rung for her: a chime
        clock.at += timedelta(minutes=1)
    assert rings_of(app, 1) == 2  # once per newcomer, not at her pages' every ask

    clock.at = T0 + timedelta(minutes=6) + help_calls.RING_AGAIN_AFTER - timedelta(seconds=1)
    assert b.get("/help/state?shown=waiting", headers=STATE).status_code == 204
    clock.at += timedelta(seconds=1)  # three minutes of her own waiting
    assert 'data-state="again"' in b.get("/help/state?shown=waiting", headers=STATE).get_data(as_text=True)
    assert "对不起，还没有工作人员回应。我们又呼叫了一次。" in b.get("/help").get_data(as_text=True)
    assert rings_of(app, 1) == 3


def test_a_call_left_waiting_on_screen_stops_ringing_after_three_more_rings(app, client):
    """A resident who called and walked away from the help page: the lists chime three more times, then not."""
    app.config["CLOCK"] = clock = Clock()
    client.post("/help/call", data={"from": "/"})
    for minute in range(1, 60):
        clock.at = T0 + timedelta(minutes=minute)
        client.get("/help/state?shown=again", headers=STATE)
    assert rings_of(app, 1) == help_calls.RINGS_AT_MOST == 3
    assert "对不起，还没有工作人员回应" in client.get("/help").get_data(as_text=True)  # what is true stays said


def rings_of(app, call_id: int) -> int:
    from kiosk.db import get_db

    with app.app_context():
        return help_calls.get(get_db(), call_id).rings


def test_the_fragment_without_a_call_asks_for_the_whole_page(client):
    asked = client.get("/help/state?shown=waiting", headers=STATE)
    assert asked.status_code == 204 and asked.headers["HX-Refresh"] == "true"


def test_a_phone_is_not_at_a_kiosk_its_button_opens_the_help_page(app, client):
    page = client.get("/services/repairs", environ_base=PHONE).get_data(as_text=True)
    assert 'action="/help/call"' not in page and 'href="/help?back=/services/repairs"' in page
    reply = client.post("/help/call", data={"from": "/"}, environ_base=PHONE)
    assert reply.status_code == 302
    with app.app_context():
        from kiosk.db import get_db

        assert help_calls.waiting(get_db()) == []
    assert "呼叫工作人员" not in client.get("/help", environ_base=PHONE).get_data(as_text=True)


def test_a_call_never_leads_away_and_records_nothing_about_the_resident(app, client):
    for target in ("https://evil.example/", "//evil.example", "/\\evil"):
        assert client.post("/help/call", data={"from": target}).headers["Location"] == "/help?back=/"
    client.post("/services/home-care")
    client.post("/help/call", data={"from": "/request/about-you"})
    with app.app_context():
        from kiosk.db import get_db

        row = next(get_db().query("SELECT * FROM help_calls ORDER BY id DESC LIMIT 1"))
        assert set(row) == {"id", "kiosk_id", "place", "service_code", "called_at", "answered_at", "answered_by", "rung_at", "rings"}
        assert row["place"] == "resident.details"


def test_the_workers_chime_is_two_rising_notes_well_under_full_scale():
    import io
    import struct
    import wave

    from engines.speech.chime import LEVEL, NOTES, RATE, chime_wav

    with wave.open(io.BytesIO(chime_wav())) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        frames = w.readframes(w.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    assert len(samples) == sum(int(RATE * s) for _, s in NOTES)
    assert 0.3 * 32767 < max(map(abs, samples)) <= LEVEL * 32767 and abs(samples[0]) < 200 and abs(samples[-1]) < 200
    first = int(RATE * NOTES[0][1])

    def pitch(part):  # from zero crossings
        crossings = sum(1 for a, b in zip(part, part[1:]) if (a < 0) != (b < 0))
        return crossings / 2 / (len(part) / RATE)

    assert abs(pitch(samples[:first]) - NOTES[0][0]) < 15 and abs(pitch(samples[first:]) - NOTES[1][0]) < 15


# --- the workers' side --------------------------------------------------------------------------

def test_a_logged_in_worker_sees_the_call_in_words_and_answers_it_once(app, client):
    from core import audit
    from kiosk.db import get_db

    from .worker_helpers import add_accounts, log_in

    add_accounts(app)
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    client.post("/help/call", data={"from": "/request/questions/where"})
    alice, root = app.test_client(), app.test_client()
    log_in(alice, "alice"), log_in(root, "root")
    page = alice.get("/worker/calls").get_data(as_text=True)
    assert "自助终端 kiosk-1" in page and "公共设施报修，在“问题：在哪里？”这一页" in page and "不到一分钟" in page
    assert 'data-hx-trigger="every 2s"' in page and 'data-call-ids="1"' in page
    assert "自助终端 kiosk-1" in alice.get("/worker/").get_data(as_text=True)  # today first: on the home page too
    partial = alice.get("/worker/calls", headers={"HX-Request": "true", "HX-Target": "help-calls"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<section class="calls" id="help-calls"')

    assert alice.post("/worker/calls/1/answered").headers["Location"] == "/worker/calls"
    after = alice.get("/worker/calls").get_data(as_text=True)
    assert "居民的屏幕上已经显示您正在过去" in after and 'data-call-ids=""' in after
    root.post("/worker/calls/1/answered")  # a second worker, a moment later
    assert "已经有别的工作人员去了" in root.get("/worker/calls").get_data(as_text=True)
    assert "正在过来" in client.get("/help").get_data(as_text=True)  # the resident's screen
    with app.app_context():
        answered = [e for e in audit.page(get_db(), 1, None, None)[0] if e.action == "help_call.answered"]
        assert [(e.actor, e.detail) for e in answered] == [("worker:alice", {"call": 1, "kiosk": "kiosk-1"})]


def test_the_live_list_sends_a_logged_out_worker_to_the_login_page_whole(app):
    anonymous = app.test_client()
    polled = anonymous.get("/worker/calls", headers={"HX-Request": "true", "HX-Target": "help-calls"})
    assert polled.status_code == 204 and polled.headers["HX-Redirect"].startswith("/worker/login")
    assert anonymous.get("/worker/calls").status_code == 302
    assert anonymous.get("/worker/chime.wav").status_code == 302
