"""How a visit ends and how answers left behind come back, through the Flask client (the browser
version, with the idle timer, is tests/test_walk_away.py)."""
from __future__ import annotations

import re


def start_home_care(client):
    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "bathing"})


def test_home_without_answers_goes_straight_to_the_start(client):
    client.post("/language", data={"locale": "en"})
    client.post("/services/repairs")  # started, nothing answered: nothing worth a code
    response = client.post("/visit/end", data={"why": "home"})
    assert response.headers["Location"] == "/"
    assert client.get_cookie("kiosk_draft") is None
    assert 'lang="en"' in client.get("/").get_data(as_text=True)  # Home keeps the language


def test_home_with_answers_asks_first_and_the_idle_reset_forgets_everything(client):
    client.post("/language", data={"locale": "en"})
    start_home_care(client)
    assert client.post("/visit/end", data={"why": "home"}).headers["Location"] == "/visit/leave"
    leave = client.get("/visit/leave").get_data(as_text=True)
    code = re.search(r'id="resume-code"[^>]*>(\d{6})<', leave).group(1)
    assert 'href="/request/questions/often"' in leave  # "No, go back" goes to where she was
    assert client.post("/visit/end", data={"why": "idle"}).headers["Location"] == "/"
    assert client.get_cookie("kiosk_draft") is None and client.get_cookie("session") is None  # all forgotten
    assert client.get("/visit/leave").headers["Location"] == "/"
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)  # the next person starts from the default
    assert client.post("/visit/resume", data={"entered": code}).headers["Location"] == "/request/questions/often"


def test_the_resume_keypad_takes_six_digits_one_at_a_time(client):
    entered = ""
    for key in ["1", "2", "x", "3", "4", "5", "6", "7", "delete", "9"]:
        partial = client.post("/visit/resume", data={"entered": entered, "key": key},
                              headers={"HX-Request": "true", "HX-Target": "code-entry"}).get_data(as_text=True)
        assert partial.lstrip().startswith('<div class="ticket-entry" id="code-entry"')
        entered = re.search(r'name="entered"[^>]* value="(\d*)"', partial).group(1)
    assert entered == "123459"  # a letter ignored, a seventh digit refused, Delete, then 9
    page = client.post("/visit/resume", data={"entered": entered}, headers={"Accept-Language": "en"})
    assert page.status_code == 422 and "We could not find answers kept under that code" in page.get_data(as_text=True)


def test_the_idle_question_is_on_pages_with_something_to_forget(client):
    assert 'id="idle-dialog"' not in client.get("/").get_data(as_text=True)  # a fresh start page: nothing
    start_home_care(client)
    page = client.get("/request/questions/often").get_data(as_text=True)
    assert 'id="idle-dialog"' in page and 'data-idle-seconds="90"' in page and 'data-idle-warning="30"' in page
    audio = client.get("/visit/idle-audio")
    assert audio.status_code == 200 and audio.headers["Cache-Control"] == "no-store"


def test_the_idle_question_never_shows_or_speaks_the_resume_code(app, client, monkeypatch):
    """Nobody may be answering it: the code (a key to her name and address) is never on the unattended
    screen nor in its voice. It offers to go on, or to finish now (which ends the visit)."""
    from kiosk import voice_views as web

    spoken = []
    render = web._render_once
    monkeypatch.setattr(web, "_render_once", lambda app, text, *rest: spoken.append(text) or render(app, text, *rest))
    client.post("/language", data={"locale": "en"})
    start_home_care(client)
    code = re.search(r'id="resume-code"[^>]*>(\d{6})<', client.get("/visit/leave").get_data(as_text=True)).group(1)
    page = client.get("/request/questions/often").get_data(as_text=True)
    dialog = page[page.index('<dialog class="idle-dialog"'):page.index("</dialog>")]
    assert code not in page and "a worker needs this code" not in dialog
    assert "Yes, I need more time" in dialog and "No, finish now" in dialog
    finish = re.search(r'<form class="js-idle-reset" method="post" action="(/visit/end)"[^>]*>(.*?)</form>', dialog, re.S)
    assert finish and 'name="why" value="idle"' in finish.group(2) and 'type="submit"' in finish.group(2)
    assert client.get("/visit/idle-audio").status_code == 200
    assert spoken and not any(code in text or " ".join(code) in text for text in spoken), spoken
    assert client.post("/visit/end", data={"why": "idle"}).headers["Location"] == "/"  # finish now
    assert client.get_cookie("kiosk_draft") is None


def test_a_code_opens_kept_answers_only_at_the_kiosk_or_for_a_worker(app, client):
    """A phone on the Wi-Fi gets one polite page whatever it types (it never learns whether a code
    exists); the kiosk's own screen and a logged-in worker's phone open the answers."""
    from .worker_helpers import add_accounts, log_in

    client.post("/language", data={"locale": "en"})
    fill_home_care_details(client)
    code = re.search(r'id="resume-code"[^>]*>(\d{6})<', client.get("/visit/leave").get_data(as_text=True)).group(1)
    client.post("/visit/end", data={"why": "stop"})
    wrong = "000000" if code != "000000" else "111111"
    phone = app.test_client()
    phone.environ_base.update(PHONE)
    phone.post("/language", data={"locale": "en"})
    answers = [phone.get("/visit/resume"), phone.post("/visit/resume", data={"entered": code}),
               phone.post("/visit/resume", data={"entered": wrong}),
               phone.post("/visit/resume", data={"entered": code[:5], "key": code[5]},
                          headers={"HX-Request": "true", "HX-Target": "code-entry"})]
    assert {a.status_code for a in answers} == {403}
    assert len({a.get_data(as_text=True) for a in answers}) == 1  # the same page, right code or wrong
    assert "only at the kiosk" in answers[0].get_data(as_text=True) and phone.get_cookie("kiosk_draft") is None
    add_accounts(app)
    worker = app.test_client()
    worker.environ_base.update(PHONE)
    assert log_in(worker, "alice", REMOTE_ADDR=PHONE["REMOTE_ADDR"]).status_code == 302
    assert worker.post("/visit/resume", data={"entered": code}).headers["Location"] == "/request/contact"
    assert "王秀兰" in worker.get("/request/about-you").get_data(as_text=True)


def test_answers_kept_longer_than_the_draft_hours_do_not_open(app, client):
    """Refused when the code is typed, not only once the nightly purge has run: the same message as a
    wrong code, at the kiosk and on a worker's Fill in for a resident."""
    import sqlite3
    from datetime import timedelta

    from core.clock import iso, now
    from kiosk.db import database_path
    from .worker_helpers import add_accounts, log_in

    client.post("/language", data={"locale": "en"})
    fill_home_care_details(client)
    code = re.search(r'id="resume-code"[^>]*>(\d{6})<', client.get("/visit/leave").get_data(as_text=True)).group(1)
    client.post("/visit/end", data={"why": "stop"})
    with sqlite3.connect(database_path(app)) as db:  # kept 25 hours ago, and the purge has not run yet
        db.execute("UPDATE drafts SET updated_at = ?", [iso(now() - timedelta(hours=25))])
    refused = client.post("/visit/resume", data={"entered": code})
    assert refused.status_code == 422 and "We could not find answers kept under that code" in refused.get_data(as_text=True)
    add_accounts(app)
    assert log_in(client, "alice").status_code == 302
    assert client.post("/worker/assist/continue", data={"entered": code}).status_code == 422
    app.config["DRAFT_HOURS"] = 26.0  # a centre that keeps them longer
    assert client.post("/visit/resume", data={"entered": code}).headers["Location"] == "/request/contact"


# --- the start page ends a visit left open (issue 19, item 1) ------------------------------------

PHONE = {"REMOTE_ADDR": "192.168.1.23"}  # a phone on the centre's Wi-Fi, not the kiosk's own screen


def fill_home_care_details(client):
    start_home_care(client)
    client.post("/request/questions/often", data={"answer": "weekly"})
    assert client.post("/request/about-you", data={"name": "王秀兰", "address": "幸福路12号"}).status_code == 302
    assert "王秀兰" in client.get("/request/about-you").get_data(as_text=True)


def test_the_start_page_by_any_link_ends_the_visit_as_home_does(client):
    """A resident leaves by a ← link or a typed address instead of Home: the next person who taps the
    same service starts afresh, and her answers wait under her code."""
    client.post("/language", data={"locale": "en"})
    fill_home_care_details(client)
    code = re.search(r'id="resume-code"[^>]*>(\d{6})<', client.get("/visit/leave").get_data(as_text=True)).group(1)
    response = client.get("/")  # the service page's ← link, the help page's "Back to the start", a typed URL
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get_cookie("kiosk_draft") is None
    start = client.get("/")
    assert start.status_code == 200 and 'lang="en"' in start.get_data(as_text=True)  # preferences kept, as Home keeps them
    assert client.get("/request/check").headers["Location"] == "/"  # nothing of hers behind the back button
    assert client.post("/services/home-care").headers["Location"] == "/request/questions/help"  # the next person: afresh
    assert "王秀兰" not in client.get("/request/about-you").get_data(as_text=True)
    client.post("/visit/end", data={"why": "idle"})
    assert client.post("/visit/resume", data={"entered": code}).headers["Location"] == "/request/contact"
    assert "王秀兰" in client.get("/request/about-you").get_data(as_text=True)  # kept under her code


def test_the_start_page_forgets_a_receipt_and_a_worker_logged_in_at_the_kiosk(app, client):
    from .flows import confirm
    from .worker_helpers import add_accounts, log_in

    add_accounts(app)
    fill_home_care_details(client)
    client.post("/request/contact", data={"contact": "centre"})
    ticket, _code = confirm(client)
    assert client.get(f"/receipt/{ticket}").status_code == 200
    assert client.get("/").status_code == 302
    assert client.get(f"/receipt/{ticket}").status_code == 404  # the receipt is gone from the screen
    assert log_in(client, "alice").status_code == 302
    assert client.get("/worker/").status_code == 200
    assert client.get("/").status_code == 302  # a worker at the kiosk's own screen: logged out, as by Home
    assert client.get("/worker/").headers["Location"].startswith("/worker/login")
    assert client.get("/").status_code == 200


def test_a_phone_keeps_its_visit_through_the_start_page(app, client):
    """A phone is its owner's: a resident's answers and a worker's assisted draft stay open there."""
    from .worker_helpers import add_accounts, log_in

    client.environ_base.update(PHONE)
    fill_home_care_details(client)
    assert client.get("/").status_code == 200
    assert client.post("/services/home-care").headers["Location"] == "/request/contact"  # her own answers go on
    add_accounts(app)
    worker = app.test_client()
    worker.environ_base.update(PHONE)
    assert log_in(worker, "alice", REMOTE_ADDR=PHONE["REMOTE_ADDR"]).status_code == 302
    worker.post("/worker/assist/start", data={"service": "home-care"})
    worker.post("/request/questions/help", data={"answer": "bathing"})
    assert worker.get("/").status_code == 200
    assert worker.get("/request/questions/often").status_code == 200 and worker.get("/worker/").status_code == 200
