"""A visitor who only looks makes no session, everywhere (issue 19, item 4).

The five form pages anyone may open — the ticket look-up, a service's first page, the resume keypad, the
worker login, the voice settings — used to make a *light* session only to hold their CSRF token; under a
flood of strangers that session was pushed out and the form, sent, answered 400. Their token now needs no
session (kiosk.security.session_less_form: a signed double-submit cookie). With CSRF checked, as on the box.
"""
from __future__ import annotations

import re

import pytest

from .flows import confirm, fill_service
from .worker_helpers import PASSWORDS, add_accounts

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PHONE = {"REMOTE_ADDR": "192.168.1.23"}
OTHER_PHONE = {"REMOTE_ADDR": "192.168.1.77"}
# (page, who may see its form): the resume keypad is the kiosk's own screen's (a phone gets a polite 403)
PAGES = [("/status", PHONE), ("/services/repairs", PHONE), ("/visit/resume", {}), ("/worker/login", PHONE),
         ("/speech", PHONE)]
REFUSED = "Please try that again"


def token(page) -> str:
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def no_session(app, client) -> bool:
    return client.get_cookie("session") is None and not any(app.session_interface.store.pools.values())


@pytest.fixture
def kiosk(app):
    """The demo kiosk with a request sent (its ticket and check code), kept answers (their resume code)
    and a worker account; then CSRF on and the session store empty."""
    from core.catalogue import get_service
    from kiosk.db import get_db

    add_accounts(app)
    resident = app.test_client()
    with app.app_context():
        fill_service(resident, get_service(get_db(), "repairs", "zh_Hans_CN"))
    app.ticket, app.check_code = confirm(resident)
    keeper = app.test_client()
    keeper.post("/services/home-care")
    keeper.post("/request/questions/help", data={"answer": "bathing"})
    keeper.post("/visit/end", data={"why": "home"})
    app.resume_code = re.search(r'id="resume-code"[^>]*>(\d{6})<', keeper.get("/visit/leave").get_data(as_text=True)).group(1)
    keeper.post("/visit/end", data={"why": "idle"})
    app.config["WTF_CSRF_ENABLED"] = True
    app.session_interface.store.clear()
    return app


@pytest.mark.parametrize("path,where", PAGES)
def test_looking_at_a_form_page_makes_no_session_in_any_pool(kiosk, path, where):
    for method in ("get", "head"):
        client = kiosk.test_client()
        page = getattr(client, method)(path, environ_base=where)
        assert page.status_code == 200
        assert no_session(kiosk, client), (method, path, kiosk.session_interface.store.pools)
        cookie = page.headers["Set-Cookie"]  # the form's own cookie, not a session
        assert cookie.startswith("kiosk_form=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert "Path=/" in cookie


def test_a_phone_looks_up_a_ticket_with_no_session_before(kiosk):
    phone = kiosk.test_client()
    form = phone.get("/status", environ_base=PHONE)
    assert no_session(kiosk, phone)
    found = phone.post("/status", data={"entered": f"{kiosk.ticket}{kiosk.check_code}", "csrf_token": token(form)},
                       environ_base=PHONE)
    assert found.status_code == 302 and found.headers["Location"].startswith(f"/status/{kiosk.ticket}")
    assert phone.get(found.headers["Location"], environ_base=PHONE).status_code == 200


def test_a_phone_starts_a_service_with_no_session_before(kiosk):
    phone = kiosk.test_client()
    form = phone.get("/services/repairs", environ_base=PHONE)
    assert no_session(kiosk, phone)
    started = phone.post("/services/repairs", data={"csrf_token": token(form)}, environ_base=PHONE)
    assert started.status_code == 302 and started.headers["Location"].startswith("/request/")
    assert phone.get_cookie("kiosk_draft") is not None
    question = phone.get(started.headers["Location"], environ_base=PHONE)
    assert question.status_code == 200 and TOKEN.search(question.get_data(as_text=True))  # on with the visit's own


def test_a_worker_logs_in_from_a_phone_with_no_session_before(kiosk):
    phone = kiosk.test_client()
    form = phone.get("/worker/login", environ_base=PHONE)
    assert no_session(kiosk, phone)
    answer = phone.post("/worker/login", data={"login": "alice", "password": PASSWORDS["alice"],
                                                "csrf_token": token(form)}, environ_base=PHONE)
    assert answer.status_code == 302 and answer.headers["Location"] == "/worker/"
    assert phone.get("/worker/", environ_base=PHONE).status_code == 200
    assert len(kiosk.session_interface.store.pools["worker"]) == 1


def test_kept_answers_resume_at_the_kiosk_with_no_session_before(kiosk):
    screen = kiosk.test_client()
    form = screen.get("/visit/resume")
    assert no_session(kiosk, screen)
    resumed = screen.post("/visit/resume", data={"entered": kiosk.resume_code, "csrf_token": token(form)})
    assert resumed.status_code == 302 and resumed.headers["Location"] == "/request/questions/often"


def test_a_voice_is_chosen_with_no_session_before(kiosk):
    phone = kiosk.test_client()
    form = phone.get("/speech", environ_base=PHONE)
    assert no_session(kiosk, phone)
    chosen = phone.post("/speech", data={"speed": "slow", "csrf_token": token(form)}, environ_base=PHONE)
    assert chosen.status_code == 302
    assert 'value="slow" class="button option option--selected"' in phone.get("/speech", environ_base=PHONE).get_data(as_text=True)


def _tokens(kiosk, path, where):
    """A token of this client's own, and one of another client's (sent with this client's cookie)."""
    mine, theirs = kiosk.test_client(), kiosk.test_client()
    own = token(mine.get(path, environ_base=where))
    foreign = token(theirs.get(path, environ_base=where))
    assert own != foreign
    return mine, {"missing": None, "forged": "0" * 64, "another client's": foreign, "empty": ""}, own


@pytest.mark.parametrize("kind", ["missing", "forged", "another client's", "empty"])
def test_a_bad_token_is_refused_politely_and_what_was_typed_is_kept(kiosk, kind):
    en = {"Accept-Language": "en"}

    def send(client, path, data, where=PHONE):
        bad = tokens[kind]
        sent = {**data, **({} if bad is None else {"csrf_token": bad})}
        answer = client.post(path, data=sent, environ_base=where, headers=en)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400 and REFUSED in page and "error-summary" in page, (path, answer.status_code)
        assert 'name="csrf_token"' in page  # the form again, with a token that works
        return page

    phone, tokens, _ = _tokens(kiosk, "/status", PHONE)
    page = send(phone, "/status", {"entered": f"{kiosk.ticket}{kiosk.check_code}"})
    assert f'value="{kiosk.ticket} {kiosk.check_code}"' in page  # the ticket typed, still there
    again = phone.post("/status", data={"entered": f"{kiosk.ticket}{kiosk.check_code}", "csrf_token": TOKEN.search(page).group(1)},
                       environ_base=PHONE)
    assert again.status_code == 302  # sent again from the page shown: found

    phone, tokens, _ = _tokens(kiosk, "/worker/login", PHONE)
    page = send(phone, "/worker/login", {"login": "alice", "password": PASSWORDS["alice"]})
    assert 'value="alice"' in page and PASSWORDS["alice"] not in page  # the name kept, never the password
    assert phone.get("/worker/", environ_base=PHONE).status_code == 302  # not logged in

    screen, tokens, _ = _tokens(kiosk, "/visit/resume", {})
    page = send(screen, "/visit/resume", {"entered": kiosk.resume_code}, where={})
    assert f'value="{kiosk.resume_code}"' in page and screen.get_cookie("kiosk_draft") is None

    phone, tokens, _ = _tokens(kiosk, "/services/repairs", PHONE)
    send(phone, "/services/repairs", {})
    assert phone.get_cookie("kiosk_draft") is None  # no draft started

    phone, tokens, _ = _tokens(kiosk, "/speech", PHONE)
    send(phone, "/speech", {"speed": "slow"})
    assert phone.get_cookie("session") is None  # nothing chosen
    assert not kiosk.session_interface.store.pools["worker"]


def test_a_token_and_its_cookie_go_together(kiosk):
    """A right token with no cookie, or with another client's cookie, opens nothing; a made-up cookie
    does not either."""
    mine, theirs = kiosk.test_client(), kiosk.test_client()
    own = token(mine.get("/worker/login", environ_base=PHONE))
    theirs.get("/worker/login", environ_base=OTHER_PHONE)
    data = {"login": "alice", "password": PASSWORDS["alice"], "csrf_token": own}
    assert theirs.post("/worker/login", data=data, environ_base=OTHER_PHONE).status_code == 400
    bare = kiosk.test_client()
    assert bare.post("/worker/login", data=data, environ_base=PHONE).status_code == 400
    made_up = kiosk.test_client()
    made_up.set_cookie("kiosk_form", "A" * 43)
    assert made_up.post("/worker/login", data=data, environ_base=PHONE).status_code == 400
    assert mine.post("/worker/login", data=data, environ_base=PHONE).status_code == 302  # its own client: in


def test_strangers_cannot_push_out_what_an_open_form_needs(kiosk):
    """A phone opens the look-up and the worker login; 5,100 strangers then fill the pool of light
    sessions (a language each). Both forms, sent, still work: they had no session to lose."""
    phone, worker = kiosk.test_client(), kiosk.test_client()
    lookup = token(phone.get("/status", environ_base=PHONE))
    login = token(worker.get("/worker/login", environ_base=OTHER_PHONE))
    for n in range(5100):
        stranger = kiosk.test_client()
        stranger.post("/language", data={"locale": "en"}, environ_base={"REMOTE_ADDR": f"192.168.{2 + n // 250}.{2 + n % 250}"})
    assert len(kiosk.session_interface.store.pools["light"]) == 5000
    found = phone.post("/status", data={"entered": f"{kiosk.ticket}{kiosk.check_code}", "csrf_token": lookup},
                       environ_base=PHONE)
    assert found.status_code == 302, found.get_data(as_text=True)[:300]
    logged_in = worker.post("/worker/login", data={"login": "alice", "password": PASSWORDS["alice"], "csrf_token": login},
                            environ_base=OTHER_PHONE)
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == "/worker/"
