"""Every demo service end to end on a real SQLite file, in every language."""
import json
import re
import sqlite3

import pytest

from core.catalogue import DEMO_FILE, get_service
from core.db import write_transaction
from kiosk.db import database_path, get_db, keyring
from core import outbox

from .conftest import LOCALES
from .flows import confirm, fill_service

SERVICES = [s["service_code"] for s in json.loads(DEMO_FILE.read_text(encoding="utf-8"))["services"]]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("code", SERVICES)
def test_every_service_end_to_end(app, client, code, locale):
    client.post("/language", data={"locale": locale})
    with app.app_context():
        service = get_service(get_db(), code, locale)
    fill_service(client, service)
    check_page = client.get("/request/check").get_data(as_text=True)
    for question in service.questions:
        assert question.text in check_page
    ticket, check_code = confirm(client)

    db = sqlite3.connect(database_path(app))
    row = db.execute("SELECT id, service_code, locale, answers FROM requests WHERE ticket = ?", [ticket]).fetchone()
    assert row[1:3] == (code, locale)
    assert set(json.loads(keyring(app).open(row[3], "requests.answers"))) == {q.code for q in service.questions}
    assert db.execute("SELECT state FROM request_events WHERE request_id = ?", [row[0]]).fetchall() == [("queued",)]
    assert db.execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 0  # the draft went with the save
    sealed = db.execute("SELECT data FROM request_personal WHERE request_id = ?", [row[0]]).fetchone()[0]
    assert sealed.startswith("enc1:") and "王秀兰" not in sealed
    personal = json.loads(keyring(app).open(sealed, "request_personal.data"))
    assert ("name" in personal) == service.needs_name and ("address" in personal) == service.needs_address

    status = client.get(f"/status/{ticket}?c={check_code}")
    assert status.status_code == 200
    assert service.name in status.get_data(as_text=True)


def test_only_the_details_a_service_needs_are_kept(app, client):
    with app.app_context():
        repairs = get_service(get_db(), "repairs", "en")
    fill_service(client, repairs, contact="phone")
    client.post("/request/contact", data={"contact": "centre", "phone": "13800138000"})  # changes their mind
    confirm(client)
    data = sqlite3.connect(database_path(app)).execute("SELECT data FROM request_personal").fetchone()[0]
    assert json.loads(keyring(app).open(data, "request_personal.data")) == {"contact": "centre"}  # no name, no address, and no phone they withdrew


def test_back_and_change_never_lose_answers(app, client):
    client.post("/language", data={"locale": "en"})
    with app.app_context():
        service = get_service(get_db(), "feedback", "en")
    fill_service(client, service, contact="none")
    page = client.get("/request/questions/message").get_data(as_text=True)
    assert "楼上每天夜里很吵" in page  # Back to a text question shows what was typed
    response = client.post("/request/questions/kind", data={"answer": "praise", "return": "check"})
    assert response.headers["Location"] == "/request/check"  # Change returns to the check page
    check = client.get("/request/check").get_data(as_text=True)
    assert "Praise" in check and "楼上每天夜里很吵" in check


def test_start_again_resumes_the_same_draft(app, client):
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "lift"})
    response = client.post("/services/repairs")
    assert response.headers["Location"] == "/request/questions/where"
    assert 'option--selected' in client.get("/request/questions/what").get_data(as_text=True)


def test_check_page_refuses_to_save_an_unfinished_request(client):
    client.post("/services/repairs")
    response = client.post("/request/check")
    assert response.status_code == 302 and response.headers["Location"] == "/request/questions/what"


def test_pages_without_a_draft_go_back_to_the_start(client):
    for path in ("/request/questions/what", "/request/about-you", "/request/contact", "/request/check"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/"


def test_receipt_is_only_shown_to_the_browser_that_saved_it(app, client):
    with app.app_context():
        service = get_service(get_db(), "repairs", "en")
    fill_service(client, service)
    ticket, code = confirm(client)
    other = app.test_client()
    assert other.get(f"/receipt/{ticket}").status_code == 404
    assert other.get(f"/status/{ticket}?c={code}").status_code == 200
    client.post("/receipt/done")
    assert client.get(f"/receipt/{ticket}").status_code == 404  # Finish clears it for the next person


def test_status_keypad_builds_the_ticket_and_looks_it_up(app, client):
    with app.app_context():
        service = get_service(get_db(), "repairs", "en")
    fill_service(client, service)
    ticket, code = confirm(client)
    entered = ""
    for key in [*ticket, *code, "9", "delete"]:  # one key too many, then Delete
        page = client.post("/status", data={"entered": entered, "key": key}).get_data(as_text=True)
        entered = re.search(r'id="entered" name="entered" type="text" value="([A-Z0-9 ]*)"', page).group(1)
    assert entered == f"{ticket} {code}"  # shown apart, as on the receipt; the look-up drops the space
    response = client.post("/status", data={"entered": entered})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/status/{ticket}?visit=1"  # no code, no token in the history
    assert client.get(response.headers["Location"]).status_code == 200
    client.post("/visit/end", data={"why": "idle"})
    assert client.get(response.headers["Location"]).status_code == 404  # Back after the visit: nothing
    partial = client.post("/status", data={"entered": "A0", "key": "4"},
                          headers={"HX-Request": "true", "HX-Target": "ticket-entry"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<div class="ticket-entry"') and 'value="A04"' in partial
    assert "<html" not in partial


def test_a_ticket_typed_without_its_letter_on_a_number_pad_is_found(app, client):
    """Issue 24: a 12-key number pad has no letters. The ticket's digits and the check code find the
    request, read with the letter in use; a wrong code still finds nothing."""
    with app.app_context():
        service = get_service(get_db(), "repairs", "en")
    fill_service(client, service)
    ticket, code = confirm(client)
    client.post("/receipt/done")
    digits = ticket[1:]
    response = client.post("/status", data={"entered": f"{digits} {code}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/status/{ticket}?visit=1"
    wrong = f"{int(code) ^ 1:06d}"
    assert client.post("/status", data={"entered": f"{digits} {wrong}"}).status_code == 422


def test_status_ladder_reads_later_events_without_page_changes(app, client):
    client.post("/language", data={"locale": "en"})
    with app.app_context():
        service = get_service(get_db(), "repairs", "en")
    fill_service(client, service)
    ticket, code = confirm(client)
    with app.app_context():
        db = get_db()
        request_id = db.execute("SELECT id FROM requests WHERE ticket = ?", [ticket]).fetchone()[0]
        with db.conn:
            with write_transaction(db):
                outbox.record(db, request_id, outbox.IN_FLIGHT)
            with write_transaction(db):
                outbox.record(db, request_id, outbox.ACCEPTED, service_request_id="COUNTY-77")
    page = client.get(f"/status/{ticket}?c={code}").get_data(as_text=True)
    assert 'aria-current="step"' in page
    current = page.split('aria-current="step"')[1].split("</li>")[0]
    assert "Accepted by the county platform" in current and "COUNTY-77" in current


def test_events_are_append_only(app, client):
    with app.app_context():
        service = get_service(get_db(), "repairs", "en")
    fill_service(client, service)
    confirm(client)
    db = sqlite3.connect(database_path(app))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE request_events SET state = 'closed'")
