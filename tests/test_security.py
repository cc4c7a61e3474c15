"""Pages are self-contained (nothing from the internet) and forms are protected against forgery."""
import hashlib
import json
import re
from pathlib import Path

import pytest

from kiosk import create_app

ROOT = Path(__file__).resolve().parent.parent


def test_vendored_htmx_matches_its_recorded_version_and_sha256():
    record = json.loads((ROOT / "static/vendor/VENDORED.json").read_text())["htmx"]
    path = ROOT / "static/vendor" / record["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"]
    assert record["version"] in record["file"]
    assert f'version:"{record["version"]}"' in path.read_text()


def test_pages_load_the_vendored_htmx(client):
    record = json.loads((ROOT / "static/vendor/VENDORED.json").read_text())["htmx"]
    page = client.get("/").get_data(as_text=True)
    assert f'/static/vendor/{record["file"]}' in page
    assert client.get(f'/static/vendor/{record["file"]}').status_code == 200


@pytest.mark.parametrize("path", ["/", "/services/repairs", "/status", "/help"])
def test_no_page_refers_to_the_internet(client, path):
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert not re.search(r'(src|href|action)="(https?:)?//', page)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "http" not in csp
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_refer_to_nothing_outside():
    for path in (ROOT / "static").rglob("*.css"):
        assert not re.search(r"url\(|@import|https?://", path.read_text()), path


def test_forms_without_the_csrf_token_are_refused_politely(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})
    client = app.test_client()
    response = client.post("/speech", data={"speed": "slow"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "Please try that again" in response.get_data(as_text=True)
    page = client.get("/speech").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/speech", data={"speed": "slow", "csrf_token": token}).status_code == 302


def test_a_first_look_creates_no_session_and_ending_a_visit_needs_no_token(tmp_path, monkeypatch):
    """Anonymous page views must not fill the kiosk's session memory, and Home and the idle reset must
    work even when the visit's session is gone (a restart): the draft is parked all the same."""
    from core.catalogue import DEMO_FILE
    from core.actions.admin import load_catalogue
    from kiosk.db import get_db

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})
    with app.app_context():
        load_catalogue(get_db(), json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    client = app.test_client()
    client.get("/")
    assert client.get_cookie("session") is None and not app.session_interface.store
    assert client.post("/language", data={"locale": "en"}).status_code == 302  # no token needed
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/services/repairs").get_data(as_text=True)).group(1)
    client.post("/services/repairs", data={"csrf_token": token})
    assert client.get_cookie("kiosk_draft") is not None
    app.session_interface.store.clear()  # the kiosk restarted: every session is gone
    assert client.post("/visit/end", data={"why": "idle"}).status_code == 302
    assert client.get_cookie("kiosk_draft") is None


def test_draft_cookie_is_opaque_and_http_only(client):
    response = client.post("/services/repairs")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    token = cookie.split("kiosk_draft=")[1].split(";")[0]
    assert len(token) >= 40 and "repairs" not in token
