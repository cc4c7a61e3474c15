"""A list's 其他 with ✍: a resident who writes by hand or types, and whose fault is not listed, writes what it
is beside 🎤 (a new user's walk, issue 23: 其他 on 什么坏了？ offered only "say it"). The words are kept with the
draft and the request (sealed like every answer), survive every way out of the page, are shown on the check
page and the receipt, reach the county in the description ("什么坏了？ 其他：水管漏水"), and go with the purge.
The keyboard version is tests/test_other_written_browser.py."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from core import outbox, retention, submissions
from core.db import write_transaction
from kiosk.db import get_db
from tests.conftest import LiveCounty
from tests.sync_helpers import engine_for
from tests.test_leaving import way_out
from tests.test_media import finish, phone

WORDS = "楼顶水箱盖子被风吹掉了"  # not in the catalogue (水管漏水 is an option of its own)


def other_field(page: str) -> str:
    return re.search(r'<input[^>]*name="other_words"[^>]*value="([^"]*)"', page).group(1)


def test_other_written_is_kept_when_leaving_shown_and_sent_to_the_county_sealed_and_purged(app, tmp_path):
    from tests.test_sent_as_confirmed import Recording

    client = phone(app, "zh_Hans_CN")
    assert client.post("/services/repairs").headers["Location"] == "/request/questions/what"
    page = client.get("/request/questions/what").get_data(as_text=True)
    assert 'name="other_words"' in page and 'data-keys="text"' in page and 'name="written_other" value="1"' in page
    # Send what I wrote with nothing written: a polite word, and no bare 其他 for the county
    nothing = client.post("/request/questions/what", data={"written_other": "1", "other_words": " "})
    assert nothing.status_code == 422 and "请写下是什么" in nothing.get_data(as_text=True)
    # Half written, then Help → back (or Back): the words are in the field when she comes back
    response = client.post(way_out(page, "help"), data={"other_words": "楼顶水箱"})
    assert response.status_code == 302
    again = client.get("/request/questions/what").get_data(as_text=True)
    assert other_field(again) == "楼顶水箱" and re.search(r'<details class="written-other"[^>]* open>', again)
    response = client.post("/request/questions/what", data={"written_other": "1", "other_words": WORDS})
    assert response.headers["Location"] == "/request/questions/where"
    client.post("/request/questions/where", data={"answer": "幸福里小区3号楼2单元", "write": "1"})
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    check = client.get("/request/check").get_data(as_text=True)
    assert f"其他：{WORDS}" in check
    ticket = finish(client)
    receipt = client.get(f"/receipt/{ticket}").get_data(as_text=True)
    assert f"其他：{WORDS}" in receipt, ticket
    county = LiveCounty(tmp_path / "county").start()
    try:
        with app.app_context():
            db = get_db()
            # sealed at rest: the words are nowhere in the database file
            path = db.execute("PRAGMA database_list").fetchall()[0][2]
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            assert WORDS.encode() not in open(path, "rb").read()
            engine = engine_for(app, county.url)
            engine.client.transport = sent = Recording(timeout=5)
            assert engine.run().accepted == 1
            # the county reads them after the question, and no attribute it does not define is sent
            assert f"什么坏了？ 其他：{WORDS}" in sent.posts[0]["description"]
            assert sent.posts[0]["attribute[what]"] == "other" and not any(":" in key for key in sent.posts[0])
            saved = submissions.by_ticket(db, ticket)
            with write_transaction(db, durable=True):  # purged with the request: the county closed it long ago
                outbox.record(db, saved.id, outbox.CLOSED, at="2026-01-01T00:00:00Z")
                retention.purge(db, datetime.now(timezone.utc), closed_days=30)
            assert submissions.by_ticket(db, ticket).answers == {}
    finally:
        county.stop()
    descriptions = [row[0] for row in county.query("SELECT description FROM requests")]
    assert len(descriptions) == 1 and f"其他：{WORDS}" in descriptions[0]


def test_other_tapped_with_words_keeps_them_and_another_answer_takes_them_away(app):
    """Without JavaScript the field is in the same form as the answers: 其他 tapped after writing keeps the
    words; a listed fault tapped later takes them away (the county must not read words about another fault)."""
    client = phone(app, "zh_Hans_CN")
    client.post("/services/repairs")
    assert client.post("/request/questions/what", data={"answer": "other", "other_words": WORDS}).status_code == 302
    assert other_field(client.get("/request/questions/what").get_data(as_text=True)) == WORDS
    assert client.post("/request/questions/what", data={"answer": "light", "other_words": WORDS}).status_code == 302
    assert other_field(client.get("/request/questions/what").get_data(as_text=True)) == ""
