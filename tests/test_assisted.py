"""Assisted filing (代办): a worker fills a request in for a resident, who confirms it — on the kiosk's
screen, or by phone as the worker records — and it is saved once, marked as filled in with help, with
both identities in the audit log and no personal data there (Flask test client, real SQLite)."""
import json
import re
import sqlite3

import pytest

from core import drafts
from core.actions import resident
from core.catalogue import get_service
from kiosk.db import database_path, get_db

from .flows import answer_for
from .worker_helpers import add_accounts, log_in

PHONE = {"REMOTE_ADDR": "192.168.1.23"}  # a worker's phone on the centre's Wi-Fi (not the kiosk's own screen)
NAME, FLAT, TEL = "王秀兰", "3-2-501", "13800138000"


@pytest.fixture
def phone(app):
    add_accounts(app)
    worker = app.test_client()
    worker.environ_base.update(PHONE)
    assert log_in(worker, "alice", REMOTE_ADDR=PHONE["REMOTE_ADDR"]).status_code == 302
    worker.post("/language", data={"locale": "en"})
    return worker


@pytest.fixture
def screen(app):
    """The kiosk's own screen: a browser on loopback."""
    kiosk = app.test_client()
    kiosk.post("/language", data={"locale": "en"})
    return kiosk


def service(app, code="repairs"):
    with app.app_context():
        return get_service(get_db(), code, "zh_Hans_CN")


def answer_pages(client, response, svc) -> None:
    """From the first question to the check page, the resident's own pages."""
    for question in svc.questions:
        assert response.headers["Location"] == f"/request/questions/{question.code}"
        response = client.post(response.headers["Location"], data={"answer": answer_for(question)})
    if svc.needs_details:
        response = client.post("/request/about-you", data={"name": NAME, "address": FLAT})
    response = client.post("/request/contact", data={"contact": "phone", "phone": TEL})
    assert response.headers["Location"] == "/request/check"


def fill_in(worker, app, code="repairs"):
    svc = service(app, code)
    response = worker.post("/worker/assist/start", data={"service": code})
    assert response.status_code == 302
    answer_pages(worker, response, svc)
    return svc


def rows(app, sql, *args):
    return sqlite3.connect(database_path(app)).execute(sql, args).fetchall()


def assert_no_personal_data_in_the_audit(app):
    for (detail,) in rows(app, "SELECT detail FROM audit"):
        for secret in (NAME, FLAT, TEL, "王", "501"):
            assert secret not in detail


def test_the_worker_pages_offer_services_and_a_resume_code(phone):
    page = phone.get("/worker/assist").get_data(as_text=True)
    assert 'action="/worker/assist/start"' in page and 'name="entered"' in page
    assert 'href="/worker/assist"' in page  # in the worker's menu


def test_filed_with_help_and_confirmed_on_the_kiosk(app, phone, screen):
    fill_in(phone, app)
    check = phone.get("/request/check").get_data(as_text=True)
    assert "Confirm and save" not in check and 'action="/worker/assist/show"' in check
    assert screen.get("/confirm/waiting").status_code == 204  # nothing shown yet
    assert phone.post("/worker/assist/show").headers["Location"] == "/worker/assist/waiting"
    assert "assist-waiting" in phone.get("/worker/assist/waiting").get_data(as_text=True)

    polled = screen.get("/confirm/waiting")
    assert polled.headers["HX-Redirect"] == "/confirm"
    page = screen.get("/confirm").get_data(as_text=True)
    assert "Yes, this is right — save it" in page and NAME not in page  # repairs asks no name
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    saved = screen.post("/confirm", data={"key": key})
    assert saved.status_code == 302
    receipt = screen.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Filled in with help from a worker" in receipt and "alice" not in receipt

    assert rows(app, "SELECT filled_by FROM requests") == [("worker",)]
    ticket, check_code = rows(app, "SELECT ticket, check_code FROM requests")[0]
    status = screen.get(f"/status/{ticket}?c={check_code}").get_data(as_text=True)
    assert "Filled in with help from a worker" in status and "alice" not in status and "王芳" not in status
    audit = rows(app, "SELECT actor, action, request_id, detail FROM audit WHERE request_id IS NOT NULL ORDER BY id")
    assert [(a, b) for a, b, *_ in audit] == [("worker:alice", "request.filed_for_resident"),
                                              ("resident", "request.confirmed_by_resident")]
    assert json.loads(audit[1][3]) == {"how": "kiosk"}
    assert_no_personal_data_in_the_audit(app)
    waiting = phone.get("/worker/assist/waiting").get_data(as_text=True)
    assert ticket in waiting  # the worker's phone learns the ticket

    again = screen.post("/confirm", data={"key": key})  # a replayed confirmation
    assert again.status_code == 409
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(1,)]


def test_filed_with_help_and_confirmed_verbally_by_phone(app, phone):
    fill_in(phone, app, "repairs")
    first = phone.post("/worker/assist/verbal", data={"how": "phone"})
    assert first.status_code == 200 and "Yes, the resident confirmed — save it" in first.get_data(as_text=True)
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(0,)]  # one tap is not enough
    saved = phone.post("/worker/assist/verbal", data={"how": "phone", "sure": "yes"})
    assert saved.status_code == 302
    assert "Filled in with help from a worker" in phone.get(saved.headers["Location"]).get_data(as_text=True)
    audit = rows(app, "SELECT actor, action, detail FROM audit WHERE request_id IS NOT NULL ORDER BY id")
    assert audit == [("worker:alice", "request.filed_for_resident", audit[0][2]),
                     ("worker:alice", "request.confirmed_verbally", '{"how": "phone"}')]
    assert rows(app, "SELECT filled_by FROM requests") == [("worker",)]
    assert_no_personal_data_in_the_audit(app)
    replay = phone.post("/worker/assist/verbal", data={"how": "phone", "sure": "yes"})
    assert replay.status_code == 409
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(1,)]


def test_a_resident_draft_left_by_code_is_continued_by_a_worker(app, screen, phone):
    svc = service(app, "repairs")
    first = svc.questions[0]
    screen.post("/services/repairs")
    screen.post(f"/request/questions/{first.code}", data={"answer": answer_for(first)})
    with app.app_context():
        code = resident.park_draft(get_db(), screen.get_cookie("kiosk_draft").value).resume_code
    assert phone.post("/worker/assist/continue", data={"entered": "000000" if code != "000000" else "111111"}).status_code == 422
    response = phone.post("/worker/assist/continue", data={"entered": code})
    assert response.status_code == 302
    assert rows(app, "SELECT assisted_by FROM drafts") == [("alice",)]
    location = response.headers["Location"]
    assert location != f"/request/questions/{first.code}"  # the resident's answer is kept
    phone.post("/worker/assist/verbal", data={"how": "home", "sure": "yes"})  # not finished: nothing saved
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(0,)]


def test_wrong_codes_are_limited_like_the_residents(app, phone):
    app.config["LOOKUP_LIMIT"] = "3 per minute"
    answers = [phone.post("/worker/assist/continue", data={"entered": "99999" + str(i)}).status_code for i in range(5)]
    assert answers[:3] == [422] * 3 and answers[3:] == [429, 429]


def test_the_resident_cannot_save_an_assisted_draft_without_being_asked(app, phone, screen):
    fill_in(phone, app)
    assert phone.post("/request/check").status_code == 409  # the resident's own Confirm is not the way
    assert screen.get("/confirm").status_code == 302  # nothing shown: back to the start
    assert screen.post("/confirm", data={"key": "forged"}).status_code == 409
    assert screen.post("/confirm", data={}).status_code == 409
    phone.post("/worker/assist/show")
    assert phone.post("/confirm", data={"key": "x"}).status_code == 404  # only the kiosk's own screen
    assert phone.get("/confirm/waiting").status_code == 404
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(0,)]


def test_something_wrong_takes_it_off_the_screen(app, phone, screen):
    fill_in(phone, app)
    phone.post("/worker/assist/show")
    key = re.search(r'name="key" value="([^"]+)"', screen.get("/confirm").get_data(as_text=True)).group(1)
    assert screen.post("/confirm/not-right", data={"key": key}).status_code == 200
    assert screen.post("/confirm", data={"key": key}).status_code == 409
    assert screen.get("/confirm/waiting").status_code == 204
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(0,)]


def test_a_resident_session_never_reaches_the_assist_pages(app, screen):
    screen.post("/services/repairs")
    for path, method in (("/worker/assist", "get"), ("/worker/assist/start", "post"),
                         ("/worker/assist/verbal", "get"), ("/worker/assist/show", "post")):
        response = getattr(screen, method)(path, data={"service": "repairs"} if method == "post" else None)
        assert response.status_code == 302 and response.headers["Location"].startswith("/worker/login")
    assert rows(app, "SELECT COUNT(*) FROM drafts WHERE assisted_by IS NOT NULL") == [(0,)]


def test_a_forged_confirmation_is_refused_with_csrf_on(app, phone, screen):
    app.config["WTF_CSRF_ENABLED"] = True
    response = screen.post("/confirm", data={"key": "anything"})
    assert response.status_code == 400
    assert rows(app, "SELECT COUNT(*) FROM requests") == [(0,)]


def test_a_worker_at_the_kiosk_hands_the_screen_over(app, screen):
    add_accounts(app)
    assert log_in(screen, "alice").status_code == 302
    screen.post("/language", data={"locale": "en"})
    fill_in(screen, app)
    assert screen.post("/worker/assist/show").headers["Location"] == "/confirm"
    key = re.search(r'name="key" value="([^"]+)"', screen.get("/confirm").get_data(as_text=True)).group(1)
    assert screen.post("/confirm", data={"key": key}).status_code == 302
    assert rows(app, "SELECT filled_by FROM requests") == [("worker",)]


def test_the_worker_takes_it_off_the_kiosks_screen(app, phone, screen):
    fill_in(phone, app)
    phone.post("/worker/assist/show")
    assert screen.get("/confirm/waiting").headers.get("HX-Redirect") == "/confirm"
    assert phone.post("/worker/assist/withdraw").headers["Location"] == "/request/check"
    assert screen.get("/confirm/waiting").status_code == 204


def test_every_assisted_page_is_valid_html(app, tmp_path):
    """The new pages, in every language, pass the Nu HTML Checker with no errors (one Java run)."""
    from .conftest import LOCALES
    from .html_check import nu_problems

    add_accounts(app)
    found = {}
    for locale in LOCALES:
        worker, kiosk = app.test_client(), app.test_client()
        worker.environ_base.update(PHONE)
        log_in(worker, "alice", REMOTE_ADDR=PHONE["REMOTE_ADDR"])
        for client in (worker, kiosk):
            client.post("/language", data={"locale": locale})
        pages = {"assist": worker.get("/worker/assist"),
                 "assist-error": worker.post("/worker/assist/continue", data={"entered": "12"})}
        fill_in(worker, app)
        pages["check"] = worker.get("/request/check")
        pages["verbal"] = worker.get("/worker/assist/verbal")
        pages["verbal-sure"] = worker.post("/worker/assist/verbal", data={"how": "home"})
        worker.post("/worker/assist/show")
        pages["waiting"] = worker.get("/worker/assist/waiting")
        pages["start-polling"] = kiosk.get("/")
        confirm_page = kiosk.get("/confirm")
        pages["confirm"] = confirm_page
        key = re.search(r'name="key" value="([^"]+)"', confirm_page.get_data(as_text=True)).group(1)
        pages["receipt"] = kiosk.get(kiosk.post("/confirm", data={"key": key}).headers["Location"])
        pages["saved"] = worker.get("/worker/assist/waiting")
        pages["confirm-gone"] = kiosk.post("/confirm", data={"key": key})
        pages["not-right"] = kiosk.post("/confirm/not-right", data={"key": key})
        pages["saved-already"] = worker.post("/worker/assist/verbal", data={"how": "home", "sure": "yes"})
        assert [r.status_code for r in pages.values()] == [200, 422, 200, 200, 200, 200, 200, 200, 200, 200, 409, 200, 409]
        found.update({f"{locale}-{name}": response.get_data(as_text=True) for name, response in pages.items()})
    problems = nu_problems(found, tmp_path)
    assert not problems, "\n".join(problems)
