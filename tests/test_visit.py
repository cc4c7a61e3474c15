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
    assert re.search(r'id="idle-resume-code">\d{6}<', page)
    audio = client.get("/visit/idle-audio")
    assert audio.status_code == 200 and audio.headers["Cache-Control"] == "no-store"
