"""A bounded web surface: where a "next" may lead, which Host the kiosk answers to, how big a body may be."""
from __future__ import annotations

import http.client
import re
import threading
import time

import pytest

from kiosk.security import local_path

# Known open-redirect tricks: each must fall back to the default, never leave the site.
REDIRECT_TRICKS = [
    "//evil.example", "///evil.example", "////evil.example/x", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
    "/%09/evil.example\x00", "http://evil.example", "https:evil.example", "https:/evil.example", "HTTP://evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "evil.example",
    "mailto:x@evil.example", "/\x7f/evil.example", "/\u0085/evil.example", "//evil.example@kiosk", "", None,
]


@pytest.mark.parametrize("target", REDIRECT_TRICKS)
def test_a_next_that_could_leave_the_site_falls_back_home(target):
    assert local_path(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/status", "/services/repairs?x=1", "/request/questions/what?return=check",
                                    "/status/A0001?t=abc.def", "/%2F%2Fevil.example"])
def test_local_paths_are_kept(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example"])
def test_preference_forms_never_redirect_off_site(client, target):
    for path, data in (("/language", {"locale": "en"}), ("/text-size", {"size": "1"})):
        response = client.post(path, data={**data, "next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_next_with_a_line_break_is_no_server_error(client):
    response = client.post("/language", data={"locale": "en", "next": "/status\r\nSet-Cookie: x=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example"])
def test_a_forged_host_is_refused_and_never_echoed(client, host):
    response = client.get("/", headers={"Host": host, "Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "This address is not the kiosk" in page
    assert "evil" not in page


def test_the_kiosks_own_names_are_answered(app, client):
    for host in ("localhost", "127.0.0.1:8080", "localhost:5000"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    hosts = app.config["TRUSTED_HOSTS"]
    assert "localhost" in hosts and "127.0.0.1" in hosts


def test_public_url_names_a_trusted_host_and_is_the_only_base_for_qr_codes(tmp_path, monkeypatch):
    from kiosk import create_app  # a second app, configured from the environment like the real one
    from kiosk.receipts import status_url

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("KIOSK_PUBLIC_URL", "http://kiosk.centre.lan:8080")
    app = create_app({"TESTING": True})
    assert "kiosk.centre.lan" in app.config["TRUSTED_HOSTS"]
    with app.test_request_context("/receipt/A0001", base_url="http://127.0.0.1:5000"):
        assert status_url("A0001").startswith("http://kiosk.centre.lan:8080/status/A0001?t=")


def test_an_oversized_body_is_refused_politely_without_echo_and_the_draft_is_kept(client):
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "lift"})
    response = client.post("/request/questions/where", data={"answer": "楼" * 40_000},  # 120 kB of UTF-8
                           headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and "That was too long for the kiosk" in page and "楼楼" not in page
    check = client.get("/request/questions/what").get_data(as_text=True)
    assert 'aria-pressed="true"' in check or "selected" in check or "lift" in check  # the earlier answer stays


def test_a_field_over_its_limit_is_shown_back_only_up_to_twice_the_limit(client):
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "lift"})
    response = client.post("/request/questions/where", data={"answer": "x" * 30_000}, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please shorten this to 200 characters" in page
    assert max(len(run) for run in re.findall(r"x{100,}", page)) == 400


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_waitress_refuses_big_bodies_and_memory_stays_flat(live_kiosk):
    """20 clients at once each offer 20 MB: each is refused with 413, and the server does not grow."""
    before = _rss_kb(live_kiosk.process.pid)
    statuses: list[int] = []

    def offer_20_mb():
        conn = http.client.HTTPConnection("127.0.0.1", live_kiosk.port, timeout=20)
        try:
            conn.putrequest("POST", "/request/questions/where")
            conn.putheader("Content-Type", "application/x-www-form-urlencoded")
            conn.putheader("Content-Length", str(20 * 1024 * 1024))
            conn.endheaders()
            chunk = b"answer=" + b"x" * (1024 * 1024 - 7)
            try:
                for _ in range(20):
                    conn.send(chunk)
            except OSError:
                pass  # the server hung up early, as it should
            statuses.append(conn.getresponse().status)
        except (OSError, http.client.HTTPException):
            statuses.append(0)  # connection closed before an answer: nothing was taken either
        finally:
            conn.close()

    threads = [threading.Thread(target=offer_20_mb) for _ in range(20)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert time.monotonic() - started < 60
    assert statuses and all(s in (413, 0) for s in statuses) and statuses.count(413) >= 10, statuses
    growth_mb = (_rss_kb(live_kiosk.process.pid) - before) / 1024
    assert growth_mb < 30, f"the kiosk grew by {growth_mb:.0f} MB"
    conn = http.client.HTTPConnection("127.0.0.1", live_kiosk.port, timeout=10)
    conn.request("GET", "/")
    assert conn.getresponse().status == 200  # and it still serves


def test_wrong_look_ups_pause_politely_per_client_and_per_ticket(app, client):
    """Guessing check codes: after the configured number of wrong tries, a polite 429 that sends the
    resident to a worker; right look-ups are never counted, and other clients and tickets are not held up."""
    from .flows import confirm, fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db

    app.config.update(SCREEN_LOOKUP_LIMIT="5 per hour", TICKET_LOOKUP_LIMIT="3 per hour")  # the client: the kiosk's screen
    with app.app_context():
        repairs = get_service(get_db(), "repairs", "en")
    fill_service(client, repairs)
    ticket, code = confirm(client)
    for _ in range(10):  # right look-ups never count
        assert client.get(f"/status/{ticket}?c={code}").status_code == 200
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        assert client.get(f"/status/{ticket}?c={wrong}").status_code == 404
    held = client.get(f"/status/{ticket}?c={wrong}", headers={"Accept-Language": "en"})
    assert held.status_code == 429 and "ask a worker" in held.get_data(as_text=True).lower()
    phone = {"REMOTE_ADDR": "10.0.0.7"}  # another client: a phone on the Wi-Fi
    assert client.get(f"/status/{ticket}?c={wrong}", environ_base=phone).status_code == 429  # the ticket is held, whoever asks
    assert client.get("/status/A9999?c=123456", environ_base=phone).status_code == 404       # other tickets are not
    for _ in range(3):  # this client's own budget: five wrong guesses of any kind
        client.post("/status", data={"entered": "C1234567890"})
    assert client.post("/status", data={"entered": "C2234567890"}).status_code == 429
    assert client.post("/visit/resume", data={"entered": "123456"}).status_code == 429  # one budget for all guessing


def test_the_qr_link_carries_a_signed_token_not_the_code(app, client):
    from .flows import confirm, fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db
    from kiosk.receipts import status_url

    with app.app_context():
        repairs = get_service(get_db(), "repairs", "en")
    fill_service(client, repairs)
    ticket, code = confirm(client)
    with app.test_request_context("/"):
        link = status_url(ticket)
    assert code not in link and "?t=" in link
    path = link[link.index("/status/"):]
    assert client.get(path).status_code == 200
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404  # a forged token
    other = path.replace(ticket, "A9999")
    assert client.get(other).status_code == 404  # a token opens its own ticket only
    assert client.get(f"/status/{ticket}?c={code}").status_code == 200  # printed receipts' codes still work


def test_the_session_cookie_is_an_opaque_id(app, client):
    from .flows import confirm, fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db

    with app.app_context():
        repairs = get_service(get_db(), "repairs", "en")
    client.post("/language", data={"locale": "en"})
    fill_service(client, repairs)
    ticket, code = confirm(client)
    sid = client.get_cookie("session").value
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", sid)  # 32 random bytes, and nothing else
    assert client.get(f"/receipt/{ticket}").status_code == 200  # the receipt is this visit's
    stranger = app.test_client()
    stranger.set_cookie("session", sid[:-1] + ("A" if sid[-1] != "A" else "B"))
    assert stranger.get(f"/receipt/{ticket}").status_code == 404
    client.post("/receipt/done")
    stranger.set_cookie("session", sid)  # the old id, copied before Finish: opens nothing now
    assert stranger.get(f"/receipt/{ticket}").status_code == 404


def test_lookalike_digits_from_other_scripts_are_refused_not_a_server_error(app, client):
    from .flows import confirm, fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db

    with app.app_context():
        repairs = get_service(get_db(), "repairs", "en")
    fill_service(client, repairs)
    ticket, _ = confirm(client)
    assert client.get(f"/status/{ticket}?c=١١١١١١").status_code == 404  # Arabic-Indic digits
    assert client.post("/status", data={"entered": ticket + "١١١١١١"}).status_code == 422
    assert client.post("/visit/resume", data={"entered": "١٢٣٤٥٦"}).status_code == 422


def test_a_receipts_signed_link_is_never_held_up_by_wrong_guesses(app, client):
    from .flows import confirm, fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db
    from kiosk.receipts import status_url

    app.config.update(LOOKUP_LIMIT="2 per hour", TICKET_LOOKUP_LIMIT="2 per hour")
    with app.app_context():
        repairs = get_service(get_db(), "repairs", "en")
    fill_service(client, repairs)
    ticket, _ = confirm(client)
    for _ in range(3):
        client.get(f"/status/{ticket}?c=000001")
    assert client.get(f"/status/{ticket}?c=000002").status_code == 429  # someone guessed at this ticket
    with app.test_request_context("/"):
        link = status_url(ticket)
    assert client.get(link[link.index("/status/"):]).status_code == 200  # the resident's QR still works


def test_a_request_still_running_when_its_visit_ends_does_not_bring_the_visit_back(app):
    from kiosk.sessions import VisitSession

    interface = app.session_interface
    client = app.test_client()
    client.post("/language", data={"locale": "en"})
    sid = client.get_cookie("session").value
    stale = VisitSession({"locale": "en", "receipt": "A0001"}, sid)  # read before the visit ended
    client.post("/visit/end", data={"why": "idle"})
    assert sid not in interface.store
    with app.test_request_context("/"):
        response = app.response_class("late")
        stale["text_size"] = 2  # the late request changed something
        interface.save_session(app, stale, response)
    assert sid not in interface.store and "Set-Cookie" not in response.headers


def test_two_requests_of_one_visit_at_once_keep_each_others_changes(app):
    """A page and its audio run at once: the audio request must not undo the form token the page made."""
    from kiosk.sessions import VisitSession

    interface = app.session_interface
    client = app.test_client()
    client.post("/language", data={"locale": "en"})
    sid = client.get_cookie("session").value
    page, audio = (VisitSession(dict(interface.store[sid][1]), sid) for _ in range(2))  # both read now
    page["csrf_token"] = "made by the page"
    audio["voice_owner"] = "made by the audio"
    with app.test_request_context("/"):
        interface.save_session(app, page, app.response_class())
        interface.save_session(app, audio, app.response_class())
    assert interface.store[sid][1] == {"locale": "en", "csrf_token": "made by the page", "voice_owner": "made by the audio"}
    unchanged = VisitSession({"locale": "en"}, sid)  # a stale read that changed nothing writes nothing back
    with app.test_request_context("/"):
        interface.save_session(app, unchanged, app.response_class())
    assert interface.store[sid][1]["csrf_token"] == "made by the page"


def test_qrcode_is_imported_at_the_first_receipt_not_at_start(tmp_path):
    """qrcode (and the Pillow it imports) stays out of a web process until a receipt needs a QR code:
    4.3 MB of RSS that an idle kiosk does not hold (bench/idle_memory.py)."""
    import json
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    probe = ("import json, sys\nfrom kiosk import create_app\nfrom tests.flows import fill_service\n"
             "from core import addresses\nfrom core.actions.admin import load_address_book\nfrom core.catalogue import DEMO_FILE, get_service\nfrom core.actions.admin import load_catalogue\n"
             "from kiosk.db import get_db\n"
             "app = create_app({'TESTING': True, 'WTF_CSRF_ENABLED': False})\nclient = app.test_client()\n"
             "with app.app_context():\n"
             "    load_catalogue(get_db(), json.loads(DEMO_FILE.read_text(encoding='utf-8')))\n"
             "    load_address_book(get_db(), addresses.DEMO_FILE.read_bytes())\n"
             "    repairs = get_service(get_db(), 'repairs', 'en')\n"
             "assert client.get('/').status_code == 200\n"
             "seen = {'start': [m for m in ('qrcode', 'PIL') if m in sys.modules]}\n"
             "fill_service(client, repairs)\nseen['filled'] = 'qrcode' in sys.modules\n"
             "receipt = client.post('/request/check', follow_redirects=True).get_data(as_text=True)\n"
             "seen['qr'] = '<svg class=\"qr\"' in receipt\n"
             "seen['receipt'] = 'qrcode' in sys.modules\n"
             "print(json.dumps(seen))\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
           "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"start": [], "filled": False, "qr": True, "receipt": True}, seen
