"""Type once (issue 12, item 3): a returning resident reuses the details of an earlier request, found by
its ticket and check code, only after saying yes to what is shown (partly hidden), and only what the
new service asks for; each field of the saved request records whether it was typed, reused or
entered with a worker. Bad tickets, a wrong code, purged details and a declined offer change nothing."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from core import drafts, outbox, personal, retention, submissions
from core.db import write_transaction
from kiosk.db import get_db

EN = {"Accept-Language": "en"}
EARLIER = {"name": "张秀英", "address": "幸福里小区3号楼2单元501室", "contact": "phone", "phone": "13812345678"}


def earlier_request(app, service="home-care") -> tuple[str, str, int]:
    with app.app_context():
        db = get_db()
        _, draft = drafts.start(db, service, "zh_Hans_CN")
        draft.answers = {"help": "cleaning", "often": "once"}
        draft.personal = dict(EARLIER)
        saved = submissions.save_request(db, draft, "kiosk-1")
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
    assert 'value="张秀英"' in about and "Use the details from an earlier receipt" not in about
    # finish: the name stays as reused, the address is changed (typed), the contact is the reused phone
    client.post("/request/about-you", data={"name": "张秀英", "address": "幸福里小区3号楼2单元502室"})
    client.post("/request/contact", data={"contact": "phone", "phone": "13812345678"})
    with app.app_context():
        db = get_db()
        draft = next(iter(db.query("SELECT id FROM drafts")))
        found_draft = drafts._draft(db, next(iter(db.query("SELECT * FROM drafts WHERE id = ?", [draft["id"]]))))
        found_draft.answers = {"kind": "meals", "when": "weekday"}
        saved = submissions.save_request(db, found_draft, "kiosk-1")
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
        retention.purge(db, datetime(2026, 3, 1, tzinfo=timezone.utc))
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
        _, draft = drafts.start(db, "pension-cert", "zh_Hans_CN")
        draft.answers, draft.personal = {"who": "self", "how": "centre"}, {"name": "王五", "contact": "centre"}
        saved = submissions.save_request(db, draft, "kiosk-1", filled_by="worker")
        assert submissions.sources_of(db, saved.id) == {"who": "worker", "how": "worker", "name": "worker"}
        assert json.loads(db.execute("SELECT sources FROM requests WHERE id = ?", [saved.id]).fetchone()[0])
