"""Every resident page, in every language, passes the Nu HTML Checker (vnu.jar on Java) with no errors.
All pages go to one Java process, since starting Java is most of the cost."""
import io
import json
import shutil
import subprocess
from datetime import datetime, timezone


from core import help_calls
from core.db import write_transaction
from core.catalogue import get_service
from kiosk.db import get_db

from .conftest import LOCALES
from .flows import confirm, fill_service
from .html_check import VNU, nu_problems



def collect_pages(app, locale: str) -> dict[str, str]:
    """Render every kind of resident page through the app, the way a resident reaches it."""
    client = app.test_client()
    client.post("/language", data={"locale": locale})
    pages = {}

    def keep(name, response):
        pages[name] = response.get_data(as_text=True)

    keep("start", client.get("/"))
    keep("service", client.get("/services/feedback"))
    client.post("/services/feedback")
    keep("question-options", client.get("/request/questions/kind"))
    keep("question-options-error", client.post("/request/questions/kind", data={"answer": "nope"}))
    client.post("/request/questions/kind", data={"answer": "suggestion"})
    client.post("/request/questions/about", data={"answer": "other"})
    keep("question-text", client.get("/request/questions/message"))
    keep("question-text-error", client.post("/request/questions/message", data={"answer": ""}))
    keep("question-spoken-error", client.post("/request/questions/message", content_type="multipart/form-data",
                                              data={"answer": "", "spoken": (io.BytesIO(b"not a recording"), "a.webm")}))
    client.post("/request/questions/message", content_type="multipart/form-data", data={
        "answer": "", "spoken_keep": "1", "spoken": (io.BytesIO(b"OggS" + bytes(60)), "a.ogg")})
    keep("question-spoken-kept", client.get("/request/questions/message"))
    client.post("/request/questions/message", data={"answer": "<b>多放长椅</b>"})
    keep("contact", client.get("/request/contact"))
    keep("contact-error", client.post("/request/contact", data={"contact": "phone", "phone": "1"}))
    client.post("/request/contact", data={"contact": "none"})
    keep("check", client.get("/request/check"))
    ticket, code = confirm(client)
    keep("receipt", client.get(f"/receipt/{ticket}"))
    client.post("/receipt/done")
    client.post("/language", data={"locale": locale})
    with app.app_context():
        fill_service(client, get_service(get_db(), "home-care", locale))
    keep("about-you", client.get("/request/about-you"))
    keep("about-you-error", client.post("/request/about-you", data={"name": "", "address": ""}))
    app.config["DB_READ_ONLY"] = True
    keep("not-saved", client.post("/request/check"))
    keep("database-problem", client.post("/request/questions/help", data={"answer": "bathing"}))
    app.config["DB_READ_ONLY"] = False
    keep("stop-here", client.get(client.post("/visit/end", data={"why": "home"}).headers["Location"]))
    keep("keypad", client.get("/status"))
    keep("keypad-error", client.post("/status", data={"entered": "A99990000"}))
    keep("status", client.get(f"/status/{ticket}?c={code}"))
    keep("status-not-found", client.get("/status/A9999?c=0000"))
    keep("help", client.get("/help"))
    client.post("/help/call", data={"from": "/visit/resume"})  # then the call's three states
    keep("help-waiting", client.get("/help"))
    app.config.update(CLOCK=lambda: datetime.now(timezone.utc) + help_calls.RING_AGAIN_AFTER, CENTRE_PHONE="0571 8888 1234")
    keep("help-nobody-answered", client.get("/help"))
    del app.config["CLOCK"]
    with app.app_context():
        for waiting in help_calls.waiting(get_db()):
            with write_transaction(get_db()):
                help_calls.answer(get_db(), waiting.id, "someone")
    keep("help-answered", client.get("/help"))
    keep("resume", client.get("/visit/resume"))
    keep("resume-error", client.post("/visit/resume", data={"entered": "123"}))
    keep("resume-on-a-phone", client.get("/visit/resume", environ_base={"REMOTE_ADDR": "192.168.1.23"}))
    keep("voice-settings", client.get("/speech?next=/help"))
    keep("not-found", client.get("/nowhere"))
    with app.app_context():
        fill_service(client, get_service(get_db(), "disability-subsidy", locale))
    keep("photos", client.get("/request/photos"))
    keep("photos-error", client.post("/request/photos", content_type="multipart/form-data",
                                     data={"photo": (io.BytesIO(b"not a photo"), "a.jpg")}))
    return pages


def test_every_resident_page_is_valid_html(app, tmp_path):
    pages = {f"{locale}-{name}": html for locale in LOCALES for name, html in collect_pages(app, locale).items()}
    assert len(pages) == 3 * 32
    problems = nu_problems(pages, tmp_path)
    assert not problems, "\n".join(problems)


def test_the_checker_does_find_errors(tmp_path):
    """The check above can fail: a page with a broken structure is reported."""
    java = shutil.which("java")
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><html lang=en><title>x</title><p><div></p></span>", encoding="utf-8")
    result = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert json.loads(result.stderr or result.stdout)["messages"]
