"""5,100 anonymous page views from phones on the Wi-Fi (issue 19, item 4) used to push every session
out of the 5,000-entry store: every worker logged out, a resident mid-form answered 400. No page makes
a session by being looked at (tests/test_session_less_forms.py); light sessions never push out a
worker's login or a visit with something to lose, and phones' visits never push out the kiosk screen's.
With CSRF checked, as on the box."""
from __future__ import annotations

import re

from .worker_helpers import add_accounts, log_in

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_PAGES = ["/status", "/services/repairs", "/visit/resume", "/worker/login", "/speech"]


def token(page) -> str:
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def test_pages_without_a_form_make_no_session(app):
    from kiosk.resident.views import bp  # noqa: F401  (the routes are registered)

    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "<" in rule.rule or rule.rule.startswith(("/static", "/worker/")):
            continue
        client = app.test_client()
        page = client.get(rule.rule, environ_base={"REMOTE_ADDR": "192.168.1.23"})
        if client.get_cookie("session") is not None:
            assert 'name="csrf_token"' in page.get_data(as_text=True), rule.rule  # only a form needs one


def test_strangers_page_views_never_push_out_a_worker_or_a_resident_mid_form(app):
    app.config["WTF_CSRF_ENABLED"] = True
    add_accounts(app)
    worker = app.test_client()  # on her phone
    worker.environ_base["REMOTE_ADDR"] = "192.168.1.50"
    assert log_in(worker, "alice").status_code == 302
    resident = app.test_client()  # at the kiosk's own screen, part-way through a request
    started = resident.post("/services/repairs", data={"csrf_token": token(resident.get("/services/repairs"))})
    question = resident.get(started.headers["Location"])
    assert question.status_code == 200
    before = len(app.session_interface.store)
    for n in range(5100):
        stranger = app.test_client()
        stranger.get(FORM_PAGES[n % len(FORM_PAGES)], environ_base={"REMOTE_ADDR": f"192.168.{1 + n // 250}.{2 + n % 250}"})
    assert len(app.session_interface.store) <= 5000 + before
    page = worker.get("/worker/")
    assert page.status_code == 200, page.headers.get("Location")  # still logged in
    form = question.get_data(as_text=True)
    field = re.search(r'<(?:input|textarea)[^>]*name="(answer|value|text)"', form)
    data = {"csrf_token": TOKEN.search(form).group(1)}
    if field:
        data[field.group(1)] = "The stair light on the third floor is out"
    answered = resident.post(started.headers["Location"], data=data)
    assert answered.status_code in (200, 302, 422) and answered.status_code != 400
    assert "expired" not in answered.get_data(as_text=True).lower()


def test_a_made_up_draft_cookie_does_not_put_a_strangers_session_among_the_visits(app):
    """Any value in a `kiosk_draft` cookie used to put a session in the protected pool of visits: 2,100
    views of /status with `kiosk_draft=fake<i>` from one phone pushed out a resident part-way through
    home-care, whose next answer got 400. The pool is now chosen from what the server knows (a draft that
    exists for the cookie), so the made-up ones stay light and the resident carries on."""
    app.config["WTF_CSRF_ENABLED"] = True
    resident = app.test_client()  # at the kiosk's own screen
    started = resident.post("/services/home-care", data={"csrf_token": token(resident.get("/services/home-care"))})
    first = started.headers["Location"]
    answered = resident.post(first, data={"answer": "bathing", "csrf_token": token(resident.get(first))})
    assert answered.status_code == 302, answered.get_data(as_text=True)
    second = answered.headers["Location"]
    form = resident.get(second)
    for n in range(2100):
        stranger = app.test_client()
        stranger.set_cookie("kiosk_draft", f"fake{n}")
        assert stranger.get("/status", environ_base={"REMOTE_ADDR": "192.168.1.23"}).status_code == 200
    next_answer = resident.post(second, data={"answer": "weekly", "csrf_token": token(form)})
    assert next_answer.status_code == 302, next_answer.get_data(as_text=True)[:300]
    assert next_answer.headers["Location"] != first
    pools = app.session_interface.store.pools
    assert len(pools["screen"]) == 1 and len(pools["light"]) == 2100  # the resident's, and the strangers'
    assert not pools["visit"]


def test_phones_starting_real_drafts_never_push_out_the_resident_at_the_kiosk(app):
    """Real drafts put phones' sessions among the visits, which strangers cannot push out; but enough phone
    addresses, each within its own limit of Starts, could fill that pool (2,000 places: 400 addresses at 5
    Starts a minute) and push out the resident standing at the kiosk mid-form. The kiosk's own screen
    keeps its sessions in a pool of its own. (The visits' pool is made small here: the same, faster.)"""
    app.config["WTF_CSRF_ENABLED"] = True
    app.session_interface.store.bounds["visit"] = 40
    resident = app.test_client()  # at the kiosk's own screen
    started = resident.post("/services/home-care", data={"csrf_token": token(resident.get("/services/home-care"))})
    first = started.headers["Location"]
    form = resident.get(first)
    for n in range(60):  # each phone a real draft, and its first question shown
        phone = app.test_client()
        phone.environ_base["REMOTE_ADDR"] = f"192.168.7.{2 + n}"
        begun = phone.post("/services/repairs", data={"csrf_token": token(phone.get("/services/repairs"))})
        assert begun.status_code == 302 and phone.get(begun.headers["Location"]).status_code == 200
    answered = resident.post(first, data={"answer": "bathing", "csrf_token": token(form)})
    assert answered.status_code == 302, answered.get_data(as_text=True)[:300]
    pools = app.session_interface.store.pools
    assert len(pools["visit"]) == 40 and len(pools["screen"]) == 1  # phones pushed out only phones


def test_one_phone_looking_its_own_ticket_up_again_and_again_never_pushes_out_another_phones_visit(app):
    """The stranger's re-check of issue 19: one phone looked its own ticket up 2,050 times, each time
    without its session cookie. A right code is never counted as a guess, and each look-up made a new
    visit (a ticket looked up is something to lose), so one address filled the 2,000 places and a
    resident mid-form on her own phone answered 400. One address now holds at most five places among the
    visits, its own oldest going first. (The visits' pool is made small here: the same, faster.)"""
    from .flows import confirm, fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db

    owner = app.test_client()
    with app.app_context():
        fill_service(owner, get_service(get_db(), "repairs", "zh_Hans_CN"))
    ticket, code = confirm(owner)
    app.config["WTF_CSRF_ENABLED"] = True
    app.session_interface.store.clear()
    app.session_interface.store.bounds["visit"] = 40
    resident = app.test_client()
    resident.environ_base["REMOTE_ADDR"] = "192.168.5.40"
    started = resident.post("/services/home-care", data={"csrf_token": token(resident.get("/services/home-care"))})
    first = started.headers["Location"]
    form = resident.get(first)
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "192.168.5.66"
    look = token(attacker.get("/status"))
    for _ in range(60):
        attacker.delete_cookie("session")
        assert attacker.post("/status", data={"entered": f"{ticket}{code}", "csrf_token": look}).status_code == 302
    answered = resident.post(first, data={"answer": "bathing", "csrf_token": token(form)})
    assert answered.status_code == 302, answered.get_data(as_text=True)[:300]
    store = app.session_interface.store
    assert len(store.visits_of["192.168.5.66"]) == 5 and len(store.pools["visit"]) == 6
