"""The county's clerk page: clerks with hashed passwords added on the command line, login and logout,
CSRF tokens on every form, wrong passwords throttled, the same security headers as the kiosk."""
import re

import pytest

from county import accounts

from .conftest import county_query

pytestmark = pytest.mark.county_backends  # clerks' pages and commands on SQLite and on PostgreSQL

NAME, PASSWORD = "li.clerk", "correct horse battery"
RESIDENT_FORM = {"api_key": "demo-kiosk-key", "service_code": "home-care", "address_string": "社区服务中心",
                 "description": "您最需要哪种帮助？ 助浴", "attribute[help]": "bathing", "attribute[often]": "weekly",
                 "last_name": "王秀英", "phone": "13800138000", "attribute[home_address]": "幸福路 12 号"}


def token_in(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def log_in(client, name=NAME, password=PASSWORD, **extra):
    token = token_in(client.get("/clerk/login"))
    return client.post("/clerk/login", data={"csrf_token": token, "name": name, "password": password, **extra})


def status_of(app, service_request_id="C000001") -> tuple:
    return tuple(county_query(app.config, "SELECT status, status_notes FROM requests WHERE service_request_id = ?",
                              [service_request_id])[0])


@pytest.fixture
def county(county_app):
    """The county with one clerk (added through the CLI, password typed twice) and one resident's request."""
    added = county_app.test_cli_runner().invoke(args=["clerk", "add", NAME], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert county_app.test_client().post("/requests.json", data=RESIDENT_FORM).status_code == 200
    return county_app


def test_clerk_pages_need_a_login(county):
    client = county.test_client()
    page = client.get("/clerk")
    assert page.status_code == 302 and page.headers["Location"] == "/clerk/login?next=/clerk"
    token = token_in(client.get("/clerk/login"))  # a valid token, but nobody logged in
    changed = client.post("/clerk/C000001", data={"csrf_token": token, "status": "closed", "status_notes": "x"})
    assert changed.status_code == 302 and "/clerk/login" in changed.headers["Location"]
    assert status_of(county) == ("open", "")


def test_a_clerk_logs_in_sees_what_only_clerks_see_and_changes_a_status(county):
    client = county.test_client()
    answer = log_in(client, next="/clerk")
    assert answer.status_code == 302 and answer.headers["Location"] == "/clerk"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("county_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    page = client.get("/clerk")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and all(s in text for s in ("王秀英", "13800138000", "幸福路 12 号", "助浴", NAME))
    saved = client.post("/clerk/C000001", data={"csrf_token": token_in(page), "status": "closed",
                                                "status_notes": "已安排每周二助浴", "agency_responsible": "养老服务中心"})
    assert saved.status_code == 302 and status_of(county) == ("closed", "已安排每周二助浴")
    public = client.get("/requests/C000001.json?api_key=demo-kiosk-key").get_json()[0]
    assert (public["status"], public["status_notes"]) == ("closed", "已安排每周二助浴")


def test_a_clerk_form_without_a_csrf_token_is_refused(county):
    client = county.test_client()
    log_in(client)
    for data in ({"status": "closed", "status_notes": "forged"}, {"csrf_token": "made-up", "status": "closed"}):
        refused = client.post("/clerk/C000001", data=data)
        assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert status_of(county) == ("open", "")
    assert client.post("/clerk/logout").status_code == 400  # logging out is a form too
    assert client.get("/clerk").status_code == 200          # ... so the clerk is still logged in


def test_logging_in_needs_a_csrf_token_too(county):
    client = county.test_client()
    refused = client.post("/clerk/login", data={"name": NAME, "password": PASSWORD})
    assert refused.status_code == 400 and client.get("/clerk").status_code == 302


def test_logging_out_ends_the_session(county):
    client = county.test_client()
    log_in(client)
    page = client.get("/clerk")
    assert client.post("/clerk/logout", data={"csrf_token": token_in(page)}).status_code == 302
    assert client.get("/clerk").status_code == 302


def test_a_copy_of_the_cookie_taken_before_logging_out_opens_nothing_after(county):
    client, thief = county.test_client(), county.test_client()
    log_in(client)
    thief.set_cookie("county_session", client.get_cookie("county_session").value)
    assert thief.get("/clerk").status_code == 200  # a copy works while the session lasts ...
    assert client.post("/clerk/logout", data={"csrf_token": token_in(client.get("/clerk"))}).status_code == 302
    assert thief.get("/clerk").status_code == 302  # ... and not after it is logged out
    assert county_query(county.config, "SELECT COUNT(*) FROM clerk_sessions")[0][0] == 0


def test_a_session_ends_eight_hours_after_logging_in_whatever_its_cookie_says(county):
    client = county.test_client()
    log_in(client)
    assert client.get("/clerk").status_code == 200
    county_query(county.config, "UPDATE clerk_sessions SET started = started - ?", [accounts.SESSION_SECONDS])
    assert client.get("/clerk").status_code == 302


def test_a_try_that_finds_every_password_check_busy_is_answered_at_once_and_not_counted(county, monkeypatch):
    monkeypatch.setattr(accounts, "HASH_WAIT_SECONDS", 0.05)
    client = county.test_client()
    taken = [accounts._HASHING.acquire(timeout=5) for _ in range(accounts.MAX_CONCURRENT_HASHES)]  # two checks running
    try:
        busy = log_in(client)
    finally:
        for _ in taken:
            accounts._HASHING.release()
    assert all(taken) and busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    assert county_query(county.config, "SELECT COUNT(*) FROM login_failures")[0][0] == 0
    assert log_in(client).status_code == 302  # free again: the same try now goes through


def test_wrong_passwords_are_throttled(county):
    client = county.test_client()
    for _ in range(accounts.MAX_FAILURES_PER_NAME):
        wrong = log_in(client, password="not the password")
        assert wrong.status_code == 422 and "Wrong name or password" in wrong.get_data(as_text=True)
    locked = log_in(client)  # now even the right password waits
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= accounts.WINDOW_SECONDS
    assert client.get("/clerk").status_code == 302
    county_query(county.config, "UPDATE login_failures SET at = at - ?", [accounts.WINDOW_SECONDS])  # a quarter of an hour later
    assert log_in(client).status_code == 302 and client.get("/clerk").status_code == 200


def test_many_names_tried_from_one_address_are_throttled(county):
    client = county.test_client()
    for i in range(accounts.MAX_FAILURES_PER_ADDRESS):
        assert log_in(client, name=f"guess{i}", password="x").status_code == 422
    assert log_in(client).status_code == 429


def test_passwords_are_stored_as_scrypt_hashes(county):
    (stored,), = county_query(county.config, "SELECT password_hash FROM clerks WHERE name = ?", [NAME])
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_disabling_a_clerk_or_changing_their_password_ends_their_session(county):
    runner, client = county.test_cli_runner(), county.test_client()
    log_in(client)
    assert runner.invoke(args=["clerk", "disable", NAME]).exit_code == 0
    assert client.get("/clerk").status_code == 302 and log_in(client).status_code == 422
    assert runner.invoke(args=["clerk", "enable", NAME]).exit_code == 0
    assert log_in(client).status_code == 302 and client.get("/clerk").status_code == 200
    assert runner.invoke(args=["clerk", "password", NAME, "--password-stdin"], input="a new long password\n").exit_code == 0
    assert client.get("/clerk").status_code == 302
    assert log_in(client, password="a new long password").status_code == 302


def test_the_clerk_commands(county):
    runner = county.test_cli_runner()
    assert "already a clerk" in runner.invoke(args=["clerk", "add", NAME], input=f"{PASSWORD}\n{PASSWORD}\n").output
    assert "at least 10 characters" in runner.invoke(args=["clerk", "add", "wu"], input="short\nshort\n").output
    assert "1 to 64" in runner.invoke(args=["clerk", "add", "has space", "--generate"]).output
    made = runner.invoke(args=["clerk", "add", "demo", "--generate"])
    assert made.exit_code == 0 and re.fullmatch(r"clerk 'demo' added; password: \S{16}\n", made.output)
    again = runner.invoke(args=["clerk", "add", "demo", "--generate", "--reset"])  # what deploy/run-demo.sh runs each time
    assert again.exit_code == 0 and "reset" in again.output
    client = county.test_client()
    assert log_in(client, "demo", again.output.rsplit("password: ", 1)[1].strip()).status_code == 302
    listed = runner.invoke(args=["clerk", "accounts"]).output.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["demo", "enabled"], [NAME, "enabled"]]
    assert runner.invoke(args=["clerk", "disable", "nobody"]).exit_code != 0
    # The request commands keep working.
    assert runner.invoke(args=["clerk", "set", "C000001", "--status", "open", "--notes", "下周一上门"]).exit_code == 0
    assert "C000001\thome-care\topen\t下周一上门" in runner.invoke(args=["clerk", "list"]).output


@pytest.mark.parametrize("target, lands", [("/clerk", "/clerk"), ("//elsewhere.example/", "/clerk"),
                                           ("https://elsewhere.example/", "/clerk"), ("/\\elsewhere.example", "/clerk"),
                                           ("/clerk\r\nSet-Cookie: x=1", "/clerk")])
def test_after_logging_in_a_clerk_lands_only_on_this_server(county, target, lands):
    assert log_in(county.test_client(), next=target).headers["Location"] == lands


@pytest.mark.parametrize("path", ["/clerk/login", "/clerk", "/requests.json?api_key=demo-kiosk-key", "/services.json", "/nowhere"])
def test_every_answer_carries_the_security_headers(county, path):
    client = county.test_client()
    log_in(client)
    answer = client.get(path)
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_clerk_page_has_no_inline_style_or_script(county):
    client = county.test_client()
    log_in(client)
    for path in ("/clerk/login", "/clerk"):
        text = client.get(path).get_data(as_text=True)
        assert "<style" not in text and "<script" not in text and 'style="' not in text
    assert client.get("/static/clerk.css").status_code == 200


def test_a_bad_status_from_the_clerk_form_is_a_400_not_a_500(county):
    client = county.test_client()
    log_in(client)
    token = token_in(client.get("/clerk"))
    assert client.post("/clerk/C000001", data={"csrf_token": token, "status": "reopened"}).status_code == 400
    assert client.post("/clerk/C000001", data={"csrf_token": token, "status": "open", "status_notes": "x" * 1001}).status_code == 400
    assert client.post("/clerk/C999999", data={"csrf_token": token, "status": "open"}).status_code == 404
    assert status_of(county) == ("open", "")
