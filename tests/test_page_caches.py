"""What pages remember between requests (kiosk/rendering.py, kiosk/i18n.py, kiosk/security.py,
core/catalogue.py) is forgotten the moment it stops being true: a catalogue loaded by the CLI, a
language or text size switched, a visit ended. Real SQLite file, the Flask test client."""
from __future__ import annotations

import copy
import json
import re

from core.catalogue import DEMO_FILE
from kiosk import create_app

DEMO = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _start_repairs(client) -> None:
    assert client.post("/services/repairs").status_code == 302


def _renamed(question_code: str, texts: dict) -> dict:
    """The demo catalogue with one repairs question worded anew."""
    changed = copy.deepcopy(DEMO)
    service = next(s for s in changed["services"] if s["service_code"] == "repairs")
    attribute = next(a for a in service["attributes"] if a["code"] == question_code)
    attribute["description"] = texts
    return changed


def test_a_catalogue_loaded_by_the_cli_shows_on_the_next_page(app, client, runner, tmp_path):
    _start_repairs(client)
    client.post("/language", data={"locale": "en"})
    before = client.get("/request/questions/what").get_data(as_text=True)
    assert "What is broken?" in before
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(_renamed("what", {"en": "Which light is broken?", "zh_Hans_CN": "哪盏灯坏了？",
                                                  "zh_Hant_TW": "哪盞燈壞了？"}), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["catalogue", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "Which light is broken?" in client.get("/request/questions/what").get_data(as_text=True)
    client.post("/language", data={"locale": "zh_Hant_TW"})
    assert "哪盞燈壞了？" in client.get("/request/questions/what").get_data(as_text=True)
    runner.invoke(args=["catalogue", "load"])  # the demo again
    assert "Which light is broken?" not in client.get("/request/questions/what").get_data(as_text=True)


def test_a_language_switch_shows_at_once_in_every_language(client):
    _start_repairs(client)
    seen = {}
    for locale, words in (("en", "Read aloud"), ("zh_Hant_TW", "讀給我聽"), ("zh_Hans_CN", "读给我听"), ("en", "Read aloud")):
        assert client.post("/language", data={"locale": locale}).status_code == 302
        page = client.get("/request/questions/what").get_data(as_text=True)
        assert words in page, locale
        lang = re.search(r'<html lang="([^"]+)"', page).group(1)
        seen[locale] = lang
    assert seen == {"en": "en", "zh_Hant_TW": "zh-Hant", "zh_Hans_CN": "zh-Hans"}


def test_text_size_and_speech_choices_show_at_once(client):
    _start_repairs(client)
    assert 'class="text-size-0"' in client.get("/request/questions/what").get_data(as_text=True)
    client.post("/text-size", data={"size": "2"})
    assert 'class="text-size-2"' in client.get("/request/questions/what").get_data(as_text=True)
    assert "data-autoplay" not in client.get("/request/questions/what").get_data(as_text=True)
    with client.session_transaction() as session:
        session["always_read"] = True
    assert "data-autoplay" in client.get("/request/questions/what").get_data(as_text=True)


def test_addresses_are_remembered_per_script_root(app):
    client = app.test_client()
    plain = client.get("/").get_data(as_text=True)
    mounted = client.get("/", base_url="http://localhost/kiosk/").get_data(as_text=True)
    css = re.compile(r'href="([^"]*/static/css/kiosk\.css\?v=[0-9a-f]{12})"')
    assert css.search(plain).group(1).startswith("/static/")
    assert css.search(mounted).group(1).startswith("/kiosk/static/")
    assert 'action="/kiosk/language"' in mounted and 'action="/language"' in plain
    with app.test_request_context("/"):
        from flask import url_for
        assert url_for("resident.question", code="where") == "/request/questions/where"
        assert url_for("resident.question", code="danger") == "/request/questions/danger"
        assert url_for("resident.question", code="where", _external=True) == "http://localhost/request/questions/where"
        assert url_for("resident.help", back="/a b") == "/help?back=/a+b"


def test_macro_files_are_made_once_not_once_per_page(app, client, monkeypatch):
    from jinja2 import Template

    client.get("/")
    _start_repairs(client)
    client.get("/request/questions/what")
    made = []
    original = Template.make_module
    monkeypatch.setattr(Template, "make_module", lambda self, *a, **k: made.append(self.name) or original(self, *a, **k))
    for _ in range(3):
        assert client.get("/request/questions/what").status_code == 200
        assert client.get("/", follow_redirects=True).status_code == 200  # the start page ends the visit...
        _start_repairs(client)  # ...and the next one begins
    assert made == []
    from kiosk.rendering import TemplateGlobals

    macros = app.jinja_env.get_template("components/button/macro.html")
    assert isinstance(macros.globals, TemplateGlobals)
    assert {"url_for", "not a global"} - macros.globals.keys() == {"not a global"}  # what Jinja asks on import


def test_a_visits_form_token_is_signed_once_and_dies_with_the_visit(tmp_path, monkeypatch):
    from core.actions.admin import load_catalogue
    from kiosk.db import get_db

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})  # CSRF on, as served
    with app.app_context():
        load_catalogue(get_db(), DEMO)
    client = app.test_client()
    first = TOKEN.search(client.get("/services/repairs").get_data(as_text=True)).group(1)
    assert client.post("/services/repairs", data={"csrf_token": first}).status_code == 302
    again = TOKEN.search(client.get("/request/questions/what").get_data(as_text=True)).group(1)
    answered = client.post("/request/questions/what", data={"csrf_token": again, "answer": "light"})
    assert answered.status_code == 302
    later = TOKEN.search(client.get(answered.headers["Location"]).get_data(as_text=True)).group(1)
    assert later == again  # signed once for the visit (the service page's token needs no session: its own)
    assert TOKEN.search(client.get("/services/repairs").get_data(as_text=True)).group(1) == first
    client.post("/visit/end", data={"why": "idle"})  # the visit ends: a new session, a new token
    fresh = TOKEN.search(client.get("/services/repairs").get_data(as_text=True)).group(1)
    assert fresh != first
    assert client.post("/services/repairs", data={"csrf_token": first}).status_code == 400
    assert client.post("/services/repairs", data={"csrf_token": fresh}).status_code == 302
    assert client.post("/request/questions/what", data={"csrf_token": again, "answer": "light"}).status_code == 400
