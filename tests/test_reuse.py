"""Type once (issue 12, item 3): a returning resident reuses the details of an earlier request, found by
its ticket and check code, only after saying yes to what is shown (partly hidden), and only what the
new service asks for; each field of the saved request records whether it was typed, reused or
entered with a worker. Bad tickets, a wrong code, purged details and a declined offer change nothing."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from core import drafts, outbox, personal, retention, submissions
from core.actions import resident
from core.actions import system
from core.db import write_transaction
from kiosk.db import get_db

EN = {"Accept-Language": "en"}
EARLIER = {"name": "张秀英", "address": "幸福里小区3号楼2单元501室", "contact": "phone", "phone": "13812345678"}


def earlier_request(app, service="home-care") -> tuple[str, str, int]:
    with app.app_context():
        db = get_db()
        _, draft = resident.start_draft(db, service, "zh_Hans_CN")
        draft.answers = {"help": "cleaning", "often": "once"}
        draft.personal = dict(EARLIER)
        saved = resident.save_request(db, draft, "kiosk-1")
        return saved.ticket, saved.check_code, saved.id


def start(client, service: str) -> None:
    page = client.get(f"/services/{service}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    client.post(f"/services/{service}", data={"csrf_token": token.group(1)} if token else {})


def test_a_returning_resident_reuses_their_details_after_saying_yes(app, client):
    ticket, code, _ = earlier_request(app)
    start(client, "meal-errand")
    about = client.get("/request/about-you", headers=EN).get_data(as_text=True)
    assert "Use the details from an earlier receipt" in about
    wrong = client.post("/request/reuse?from=details", data={"ticket": ticket, "code": "000000"}, headers=EN)
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "We could not find that ticket" in text and f'value="{ticket}"' in text
    found = client.post("/request/reuse?from=details", data={"ticket": ticket.lower(), "code": code}, headers=EN)
    assert found.status_code == 302 and "/request/reuse/confirm" in found.headers["Location"]
    offer = client.get(found.headers["Location"], headers=EN).get_data(as_text=True)
    assert "张＊＊" in offer and "138＊＊＊＊5678" in offer and "幸福里小区3号楼2单元＊＊＊＊" in offer
    for whole in ("张秀英", "13812345678", "501室"):
        assert whole not in offer  # the shared screen shows enough to recognise, not to copy
    used = client.post("/request/reuse/confirm?from=details", data={"use": "yes"})
    assert used.headers["Location"].endswith("/request/about-you")
    about = client.get("/request/about-you", headers=EN).get_data(as_text=True)
    assert "张＊＊" in about and "张秀英" not in about and "Use the details from an earlier receipt" not in about
    # finish: the name stays as reused, the address is changed (typed), the contact is the reused phone
    client.post("/request/about-you", data={"name": "张秀英", "address": "幸福里小区3号楼2单元502室"})
    client.post("/request/contact", data={"contact": "phone", "phone": "13812345678"})
    with app.app_context():
        db = get_db()
        draft = next(iter(db.query("SELECT id FROM drafts")))
        found_draft = drafts._draft(db, next(iter(db.query("SELECT * FROM drafts WHERE id = ?", [draft["id"]]))))
        found_draft.answers = {"kind": "meals", "when": "weekday"}
        saved = resident.save_request(db, found_draft, "kiosk-1")
        sources = submissions.sources_of(db, saved.id)
        kept = personal.load_for_request(db, saved.id)
    assert sources == {"kind": "typed", "when": "typed", "name": "reused", "address": "typed", "phone": "reused"}
    assert personal.REUSED not in kept and kept["address"].endswith("502室")  # the saved details carry no copy


def test_only_what_the_new_service_asks_for_is_offered(app, client):
    ticket, code, _ = earlier_request(app)
    start(client, "repairs")  # no name, no address: only how to contact them
    client.post("/request/reuse?from=contact", data={"ticket": ticket, "code": code})
    offer = client.get("/request/reuse/confirm?from=contact", headers=EN).get_data(as_text=True)
    assert "138＊＊＊＊5678" in offer and "张＊＊" not in offer and "幸福里" not in offer
    client.post("/request/reuse/confirm?from=contact", data={"use": "yes"})
    with app.app_context():
        db = get_db()
        row = next(iter(db.query("SELECT * FROM drafts")))
        assert drafts._draft(db, row).personal == {"contact": "phone", "phone": "13812345678",
                                                   "reused": {"contact": "phone", "phone": "13812345678"}}


def test_a_no_copies_nothing_and_an_offer_does_not_outlive_its_draft(app, client):
    ticket, code, _ = earlier_request(app)
    start(client, "pension-cert")
    client.post("/request/reuse?from=details", data={"ticket": ticket, "code": code})
    declined = client.post("/request/reuse/confirm?from=details", data={"use": "no"})
    assert declined.headers["Location"].endswith("/request/about-you")
    assert client.get("/request/reuse/confirm?from=details").status_code == 302  # the offer is gone
    with app.app_context():
        db = get_db()
        assert drafts._draft(db, next(iter(db.query("SELECT * FROM drafts")))).personal == {}
    stranger = app.test_client()  # another visit cannot take this visit's offer
    assert stranger.post("/request/reuse/confirm?from=details", data={"use": "yes"}).headers["Location"].endswith("/")


def test_purged_details_and_bad_input_get_a_polite_answer(app, client):
    ticket, code, request_id = earlier_request(app)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            outbox.record(db, request_id, outbox.CLOSED, "2026-01-01T00:00:00+00:00", status="closed")
        system.purge(db, datetime(2026, 3, 1, tzinfo=timezone.utc))
    start(client, "home-care")
    gone = client.post("/request/reuse?from=details", data={"ticket": ticket, "code": code}, headers=EN)
    assert gone.status_code == 422 and "no longer kept" in gone.get_data(as_text=True)
    for form in ({"ticket": "<script>", "code": "1" * 500}, {"ticket": "", "code": ""}, {}, {"ticket": "A0001\x00"}):
        answer = client.post("/request/reuse?from=nowhere", data=form, headers=EN)
        assert answer.status_code == 422 and "We could not find that ticket" in answer.get_data(as_text=True)
    assert client.get("/request/reuse").status_code == 200
    nobody = app.test_client()  # no request under way: back to the start
    assert nobody.get("/request/reuse").headers["Location"].endswith("/")


def test_fields_entered_with_a_worker_say_so(app):
    with app.app_context():
        db = get_db()
        _, draft = resident.start_draft(db, "pension-cert", "zh_Hans_CN")
        draft.answers, draft.personal = {"who": "self", "how": "centre"}, {"name": "王五", "contact": "centre"}
        with write_transaction(db, durable=True):
            saved = submissions.save_request(db, draft, "kiosk-1", filled_by="worker")
        assert submissions.sources_of(db, saved.id) == {"who": "worker", "how": "worker", "name": "worker"}
        assert json.loads(db.execute("SELECT sources FROM requests WHERE id = ?", [saved.id]).fetchone()[0])


def test_reused_details_stay_partly_hidden_on_every_page_until_changed(app, client):
    ticket, code, _ = earlier_request(app)
    start(client, "pension-cert")  # a name, and how to contact
    client.post("/request/reuse?from=details", data={"ticket": ticket, "code": code})
    client.post("/request/reuse/confirm?from=details", data={"use": "yes"})
    about = client.get("/request/about-you", headers=EN).get_data(as_text=True)
    assert "张秀英" not in about and "张＊＊" in about and "from your earlier receipt" in about
    assert client.post("/request/about-you", data={}).status_code == 302  # the hidden name is kept as it is
    contact = client.get("/request/contact", headers=EN).get_data(as_text=True)
    assert "13812345678" not in contact and "138＊＊＊＊5678" in contact
    assert client.post("/request/contact", data={"contact": "phone"}).status_code == 302
    client.post("/request/questions/who", data={"answer": "self"})
    client.post("/request/questions/how", data={"answer": "centre"})
    for page in ("/request/check",):
        text = client.get(page, headers=EN).get_data(as_text=True)
        assert "张秀英" not in text and "13812345678" not in text and "张＊＊" in text
    # changing one shows an empty field; what is typed there is the resident's own
    changing = client.get("/request/about-you?change=name", headers=EN).get_data(as_text=True)
    assert 'id="name"' in changing and 'value=""' in changing
    client.post("/request/about-you", data={"name": "张秀兰"})
    with app.app_context():
        db = get_db()
        draft = drafts._draft(db, next(iter(db.query("SELECT * FROM drafts"))))
        assert draft.personal["name"] == "张秀兰" and not personal.still_reused(draft.personal, "name")
        assert personal.still_reused(draft.personal, "phone")
    assert "张秀兰" in client.get("/request/check", headers=EN).get_data(as_text=True)


def test_the_look_up_for_reuse_counts_wrong_codes_per_ticket(tmp_path, monkeypatch):
    from kiosk import create_app
    from core.catalogue import DEMO_FILE
    from core.actions.admin import load_catalogue

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_TICKET_LOOKUP_LIMIT", "3 per hour")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        load_catalogue(get_db(), json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    ticket, code, _ = earlier_request(app)
    answers = []
    for n in range(5):  # five phones on the Wi-Fi, one guess each, at the same ticket
        phone = app.test_client()
        phone.environ_base["REMOTE_ADDR"] = f"192.168.1.{10 + n}"
        start(phone, "pension-cert")
        answers.append(phone.post("/request/reuse?from=details", data={"ticket": ticket, "code": f"00000{n}"}).status_code)
    assert answers[:3] == [422, 422, 422] and answers[3:] == [429, 429]
