"""Logging workers in and out: sessions renewed and ended, throttling without enumeration, expiry,
refusals for the wrong role, forged forms, the resident's session kept apart; and the audit page."""
import html
import re
import statistics
import time
from datetime import datetime, timedelta, timezone

import pytest

from core import audit, drafts, workers
from core.actions import admin
from core.db import write_transaction
from kiosk import create_app
from kiosk.db import get_db

from .worker_helpers import PASSWORDS, add_accounts, log_in, session_id

PHONE = {"REMOTE_ADDR": "192.168.1.23"}


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = clock = Clock()
    return clock


@pytest.fixture
def accounts(app):
    add_accounts(app)


def entries(app, actor=None):
    with app.app_context():
        return [(e.actor, e.action, e.detail) for e in reversed(list(audit.every(get_db(), actor)))]


def error_text(response) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="error-summary__link"[^>]*>([^<]*)<', response.get_data(as_text=True))]


def test_logging_in_and_out_gives_the_session_a_new_id(app, client, accounts):
    client.post("/language", data={"locale": "en"})
    before = session_id(client)
    assert log_in(client, "alice").headers["Location"] == "/worker/"
    during = session_id(client)
    assert during != before and before not in app.session_interface.store
    home = client.get("/worker/").get_data(as_text=True)
    assert "王芳" in home and '<html lang="en"' in home  # the language chosen before is kept
    out = client.post("/worker/logout")
    assert out.headers["Location"] == "/worker/login?out=1"
    assert session_id(client) not in (before, during) and during not in app.session_interface.store
    assert "You have logged out." in client.get("/worker/login?out=1").get_data(as_text=True)
    assert client.get("/worker/").headers["Location"] == "/worker/login?next=/worker/"
    client.set_cookie("session", during)  # an id copied while the worker was logged in opens nothing now
    assert client.get("/worker/").status_code == 302
    assert [a for _, a, _ in entries(app, "worker:alice")] == ["login.succeeded", "logout"]


def test_a_login_is_bound_to_its_browser(app, accounts):
    """A session cookie copied off the Wi-Fi opens nothing from another device or browser, and
    trying it ends that login (its owner logs in again)."""
    for thief_environ, headers in ((PHONE, {}), ({}, {"User-Agent": "another browser"})):
        owner = app.test_client()
        log_in(owner, "alice")
        thief = app.test_client()
        thief.environ_base.update(thief_environ)
        thief.set_cookie("session", session_id(owner))
        assert thief.get("/worker/", headers=headers).status_code == 302
        assert owner.get("/worker/").status_code == 302


def test_resident_pages_never_touch_the_session_for_the_login(app, client, accounts):
    client.post("/language", data={"locale": "en"})
    for path in ("/", "/services/repairs", "/help"):
        client.get(path)  # a first look may keep a form token's secret in the session
        response = client.get(path)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers, path


@pytest.mark.parametrize("name, password, disable", [
    ("alice", "wrong-password", False),
    ("nobody", "wrong-password", False),
    ("nobody", PASSWORDS["alice"], False),
    ("alice", PASSWORDS["alice"], True),     # disabled: the right password is refused the same way
    ("alice", "wrong-password", True),
    ("alice", "", False),
    ("", "", False),
    ("alice", "x" * 5000, False),
])
def test_every_failed_login_looks_the_same(app, client, accounts, name, password, disable):
    if disable:
        with app.app_context():
            admin.disable_worker(get_db(), "alice")
    response = log_in(client, name, password, **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert error_text(response) == ["The name or the password is not right. Please try again."]
    assert "_user_id" not in app.session_interface.store.get(session_id(client), (0, {}))[1]
    assert client.get("/worker/").status_code == 302
    zh = log_in(client, name, password, **{"Accept-Language": "zh-TW"})
    assert error_text(zh) == ["登入名稱或密碼不對，請再試一次。"]


def test_a_failure_is_logged_under_the_worker_or_else_with_no_name_at_all(app, client, accounts):
    log_in(client, "alice", "wrong-password")
    log_in(client, "my-secret-passw0rd", "alice")  # the two fields swapped
    with app.app_context():
        admin.disable_worker(get_db(), "root", actor="cli")
    log_in(client, "root")
    failures = [e for e in entries(app) if e[1] == "login.failed"]
    assert failures == [("worker:alice", "login.failed", {"why": "wrong_password"}),
                        ("system", "login.failed", {"why": "unknown_name"}),
                        ("worker:root", "login.failed", {"why": "disabled"})]
    with app.app_context():
        dumped = "\n".join(get_db().conn.iterdump())
    assert "my-secret-passw0rd" not in dumped and "wrong-password" not in dumped


def test_an_unknown_name_takes_as_long_as_a_wrong_password(app, client, accounts):
    """No timing difference large enough to measure: each kind of failure checks one argon2 hash.
    Measured here (2 cores, shared): about 30 ms for each, medians within a few per cent; without
    the dummy hash an unknown name would answer in about 2 ms."""
    app.config["WORKER_LOGIN_LIMIT"] = app.config["WORKER_LOGIN_CLIENT_LIMIT"] = "1000 per hour"
    timings = {"unknown": [], "wrong": []}
    log_in(client, "nobody", "warm-up-pass")  # the dummy hash is made once per process
    for _ in range(12):  # alternating, so a busy spell of the machine hits both alike
        for kind, name in (("unknown", "nobody"), ("wrong", "alice")):
            started = time.perf_counter()
            assert client.post("/worker/login", data={"login": name, "password": "wrong-password"}).status_code == 422
            timings[kind].append(time.perf_counter() - started)
    unknown, wrong = statistics.median(timings["unknown"]), statistics.median(timings["wrong"])
    print(f"median login failure: unknown name {unknown * 1000:.1f} ms, wrong password {wrong * 1000:.1f} ms")
    assert wrong > 0.010, "a wrong password should cost an argon2 check"
    assert 0.6 < unknown / wrong < 1.6, (unknown, wrong)


def test_failures_per_name_are_limited_whether_the_name_exists_or_not(app, client, accounts):
    for _ in range(5):
        assert log_in(client, "alice", "wrong-password").status_code == 422
        assert log_in(client, "nobody", "wrong-password").status_code == 422
    logged = len(entries(app))
    for name in ("alice", "nobody", " ALICE "):
        refused = log_in(client, name, PASSWORDS["alice"], **{"Accept-Language": "en"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 15 * 60
        assert error_text(refused) == ["Too many tries. To keep residents' details safe, logging in is paused for a "
                                       "while (at most 15 min). Please try again later, or ask an administrator."]
    assert len(entries(app)) == logged  # refusals are not logged one by one (the failures before them are)
    assert client.get("/worker/").status_code == 302
    assert log_in(client, "root").status_code == 302  # another name, from the same client, still can


def test_failures_per_client_are_limited(app, accounts):
    app.config["WORKER_LOGIN_CLIENT_LIMIT"] = "3 per 15 minutes"
    client = app.test_client()
    for name in ("a1", "a2", "a3"):
        assert log_in(client, name, "wrong-password").status_code == 422
    assert log_in(client, "alice").status_code == 429
    phone = app.test_client()
    phone.environ_base.update(PHONE)
    assert log_in(phone, "alice").status_code == 302


def test_strangers_on_phones_cannot_lock_a_worker_out_of_the_kiosks_own_screen(app, client, accounts):
    """Six wrong passwords for `alice` from six phone addresses paused her login everywhere for 15 minutes,
    at the kiosk too. The name's pause from phones now holds phones only: at the kiosk's own screen
    (loopback) her right password opens; the screen's own wrong tries still pause the name there."""
    for n in range(6):
        phone = app.test_client()
        phone.environ_base["REMOTE_ADDR"] = f"192.168.1.{30 + n}"
        assert log_in(phone, "alice", "wrong-password").status_code == (422 if n < 5 else 429)
    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = "192.168.1.99"
    assert log_in(phone, "alice").status_code == 429  # from phones the name stays paused: guessing is bounded
    assert log_in(client, "alice").status_code == 302  # at the kiosk: her right password opens
    client.post("/worker/logout")
    for _ in range(5):
        assert log_in(client, "alice", "wrong-password").status_code == 422
    assert log_in(client, "alice").status_code == 429  # the screen's own wrong tries still count there


def test_a_success_forgives_the_names_failures(app, client, accounts):
    for _ in range(4):
        log_in(client, "alice", "wrong-password")
    assert log_in(client, "alice").status_code == 302
    client.post("/worker/logout")
    for _ in range(4):
        assert log_in(client, "alice", "wrong-password").status_code == 422
    assert log_in(client, "alice").status_code == 302


def test_a_login_ends_after_a_quiet_spell(app, client, accounts, clock):
    log_in(client, "alice")
    clock.advance(minutes=14)
    assert client.get("/worker/").status_code == 200
    clock.advance(minutes=14)
    assert client.get("/worker/").status_code == 200  # each worker page keeps it going
    clock.advance(minutes=15, seconds=1)
    ended = client.get("/worker/")
    assert ended.headers["Location"] == "/worker/login?next=/worker/&ended=1"
    page = client.get(ended.headers["Location"], headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "所以已自动退出登录" in page
    assert client.get("/worker/").status_code == 302
    assert entries(app, "worker:alice")[-1] == ("worker:alice", "session.expired", {"why": "idle"})


def test_a_login_ends_after_ten_hours_however_busy(app, client, accounts, clock):
    log_in(client, "alice")
    for _ in range(42):  # a page every 14 minutes: 9 h 48 min
        clock.advance(minutes=14)
        assert client.get("/worker/").status_code == 200
    clock.advance(minutes=13)
    assert client.get("/worker/").headers["Location"].endswith("&ended=1")
    assert entries(app, "worker:alice")[-1][2] == {"why": "absolute"}


def test_disabling_or_resetting_a_worker_ends_their_open_sessions(app, accounts):
    phone, desk = app.test_client(), app.test_client()
    log_in(phone, "alice")
    log_in(desk, "root")
    with app.app_context():
        admin.disable_worker(get_db(), "alice")
        admin.reset_password(get_db(), "root", "a-new-password-1")
    assert phone.get("/worker/").status_code == 302
    assert desk.get("/worker/").status_code == 302
    assert log_in(desk, "root", "a-new-password-1").status_code == 302


def test_a_worker_on_an_administrators_page_is_politely_refused(app, client, accounts):
    log_in(client, "alice")
    home = client.get("/worker/").get_data(as_text=True)
    assert "/worker/audit" not in home  # the menu shows only what the role may open
    for path in ("/worker/audit", "/worker/audit.csv", "/worker/audit?page=2&actor=cli"):
        refused = client.get(path, headers={"Accept-Language": "zh-CN"})
        assert refused.status_code == 403 and refused.mimetype == "text/html"
        assert "此页面仅供管理员使用" in refused.get_data(as_text=True)
    assert not [e for e in entries(app) if e[1] == "audit.exported"]
    log_in(client, "root")
    assert client.get("/worker/audit").status_code == 200
    assert "/worker/audit" in client.get("/worker/").get_data(as_text=True)


def test_a_residents_session_with_a_draft_never_reaches_a_worker_page(app, client, accounts):
    client.post("/language", data={"locale": "zh_Hant_TW"})
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    token = client.get_cookie("kiosk_draft").value
    with app.app_context():
        before = drafts.load(get_db(), token)
    assert before.started  # a draft in progress
    logged = entries(app)
    session = dict(app.session_interface.store[session_id(client)][1])
    for method, path in (("GET", "/worker/"), ("GET", "/worker/audit"), ("GET", "/worker/audit.csv"),
                         ("POST", "/worker/logout"), ("GET", "/worker/audit?actor=cli&request=A0001")):
        response = client.open(path, method=method)
        assert response.status_code == 302 and response.headers["Location"].startswith("/worker/login"), path
        assert "王芳" not in response.get_data(as_text=True)
    assert client.get("/worker/login").status_code == 200
    with app.app_context():
        after = drafts.load(get_db(), token)
    assert after is not None and (after.answers, after.resume_code) == (before.answers, before.resume_code)
    assert entries(app) == logged
    assert dict(app.session_interface.store[session_id(client)][1]).get("locale") == session["locale"]
    assert client.get("/request/questions/what").status_code == 200  # the resident's visit goes on


def test_the_kiosks_own_screen_logs_a_worker_out_with_the_visit_and_a_phone_does_not(app, accounts):
    screen = app.test_client()
    log_in(screen, "alice")
    assert 'id="idle-dialog"' in screen.get("/worker/").get_data(as_text=True)  # the walk-away reset is on
    assert screen.post("/visit/end", data={"why": "idle"}).status_code == 302
    assert screen.get("/worker/").status_code == 302
    assert entries(app, "worker:alice")[-1] == ("worker:alice", "logout", {"why": "visit_ended"})
    log_in(screen, "alice")
    screen.post("/visit/end", data={"why": "home"})
    assert screen.get("/worker/").status_code == 302

    phone = app.test_client()
    phone.environ_base.update(PHONE)
    log_in(phone, "alice")
    assert 'id="idle-dialog"' not in phone.get("/worker/").get_data(as_text=True)  # no 2-minute reset on a phone
    before = session_id(phone)
    phone.post("/visit/end", data={"why": "idle"})
    assert session_id(phone) != before and phone.get("/worker/").status_code == 200


@pytest.mark.parametrize("target, lands", [
    ("/worker/audit", "/worker/audit"),
    ("//evil.example/worker/", "/worker/"),
    ("https://evil.example/", "/worker/"),
    ("/services/repairs", "/worker/"),
    ("/worker/\\evil", "/worker/"),
])
def test_a_login_leads_only_to_a_worker_page(client, accounts, target, lands):
    response = client.post("/worker/login", data={"login": "root", "password": PASSWORDS["root"], "next": target})
    assert response.headers["Location"] == lands


def test_worker_pages_are_never_cached(client, accounts):
    assert client.get("/worker/login").headers["Cache-Control"] == "no-store"
    log_in(client, "root")
    for path in ("/worker/", "/worker/audit", "/worker/audit.csv"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


@pytest.fixture
def protected(tmp_path, monkeypatch):
    """The app as it is served: CSRF tokens checked."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "protected"))
    app = create_app({"TESTING": True})
    add_accounts(app)
    return app


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_forged_login_and_logout_forms_are_refused(protected):
    client = protected.test_client()
    forged = client.post("/worker/login", data={"login": "alice", "password": PASSWORDS["alice"]},
                         headers={"Accept-Language": "en"})
    assert forged.status_code == 400 and "Please try that again" in forged.get_data(as_text=True)
    assert log_in(client, "alice").status_code == 302
    assert client.post("/worker/logout").status_code == 400
    assert client.post("/worker/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/worker/").status_code == 200  # still logged in: nothing done


def test_replayed_login_and_logout_forms_are_refused(protected):
    client = protected.test_client()
    old_login = token_in(client.get("/worker/login").get_data(as_text=True))
    assert client.post("/worker/login", data={"login": "alice", "password": PASSWORDS["alice"],
                                              "csrf_token": old_login}).status_code == 302
    old_logout = token_in(client.get("/worker/").get_data(as_text=True))
    assert client.post("/worker/logout", data={"csrf_token": old_logout}).status_code == 302
    # the login form from before the last login, sent again: its session's secret is gone
    again = client.post("/worker/login", data={"login": "alice", "password": PASSWORDS["alice"], "csrf_token": old_login})
    assert again.status_code == 400 and client.get("/worker/").status_code == 302
    assert log_in(client, "alice").status_code == 302
    # the logout form of the previous login, sent again: refused, the new login stands
    assert client.post("/worker/logout", data={"csrf_token": old_logout}).status_code == 400
    assert client.get("/worker/").status_code == 200


def test_the_audit_page_filters_by_request_and_actor_and_pages(app, client, accounts):
    from .flows import confirm, fill_service
    from core.catalogue import get_service

    with app.app_context():
        fill_service(client, get_service(get_db(), "repairs", "zh_Hans_CN"))
    ticket, _ = confirm(client)
    client.post("/receipt/done")
    with app.app_context():
        from core import submissions

        saved = submissions.by_ticket(get_db(), ticket)
        with write_transaction(get_db()):
            audit.record(get_db(), "worker:alice", "request.viewed", request_id=saved.id)
        for i in range(60):
            with write_transaction(get_db()):
                audit.record(get_db(), "system", "login.failed", detail={"why": "unknown_name"})
    log_in(client, "root")
    page = client.get(f"/worker/audit?request={ticket.lower()}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert page.count('class="audit-list__entry"') == 1 and ticket in page and "request.viewed" in page
    missing = client.get("/worker/audit?request=Z9999", headers={"Accept-Language": "en"})
    assert missing.status_code == 422 and "There is no request with that ticket" in missing.get_data(as_text=True)
    first = client.get("/worker/audit?actor=system").get_data(as_text=True)
    assert first.count('class="audit-list__entry"') == 50 and "/worker/audit?page=2&amp;actor=system" in first
    second = client.get("/worker/audit?actor=system&page=2").get_data(as_text=True)
    assert second.count('class="audit-list__entry"') == 10 and "page=3" not in second
    assert client.get("/worker/audit?page=nonsense").status_code == 200
    exported = client.get(f"/worker/audit.csv?request={ticket}")
    assert exported.mimetype == "text/csv" and "attachment" in exported.headers["Content-Disposition"]
    rows = exported.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert rows[0] == "id,at,actor,action,request_id,ticket,detail" and len(rows) == 2
    assert rows[1].split(",")[2:6] == ["worker:alice", "request.viewed", str(saved.id), ticket]
    assert entries(app, "worker:root")[-1][1] == "audit.exported"


def test_csv_cells_never_start_a_formula():
    from kiosk.csv_cells import cell

    assert [cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "A0427", None, 3)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "A0427", "", "3"]
