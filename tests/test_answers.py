"""Closing the loop with the resident (issue 12): "is it really solved?", a 好差评 rating and a comment,
asked on the status page (by ticket and code, or the receipt's signed link on a phone) and by a worker
on a call-back; a "no" reopens the request as a new one linked to the original, which reaches the
county exactly once; the answers go up as notes. On a real SQLite file, and the reference county as a
real process."""
from __future__ import annotations

import json
import re
import sqlite3

import pytest

from core import feedback, audit, county_notes, follow_ups, outbox, personal, submissions
from core.actions import resident
from core.actions import system
from core.db import write_transaction
from kiosk.db import get_db
from sync.notes import NOTE_SERVICE

from .sync_helpers import FakeClock, engine_for
from .test_county_notes import close_at_county
from .test_worklist import section
from .worker_helpers import add_accounts, log_in

ZH = {"Accept-Language": "zh-CN"}


def saved_and_closed(app, details=None) -> tuple[int, str, str, int]:
    """A repair saved, accepted and closed by the county (events as the engine writes them): (id, ticket, code, close event)."""
    from core import drafts

    with app.app_context():
        db = get_db()
        _, draft = resident.start_draft(db, "repairs", "zh_Hans_CN")
        draft.answers = {"what": "light", "where": "3号楼2单元", "danger": "no"}
        draft.personal = details or {"contact": "phone", "phone": "13800138000", "name": "张秀英"}
        saved = resident.save_request(db, draft, "kiosk-1")
        with write_transaction(db):
            outbox.record(db, saved.id, outbox.IN_FLIGHT, attempt=1)
            outbox.record(db, saved.id, outbox.ACCEPTED, service_request_id=f"C{saved.id:06d}")
            event = outbox.record(db, saved.id, outbox.CLOSED, service_request_id=f"C{saved.id:06d}", status="closed",
                                  status_notes="灯已修好")
        return saved.id, saved.ticket, saved.check_code, event


# --- the core --------------------------------------------------------------------------------------

def test_a_yes_is_recorded_once_with_a_note_for_the_county(app):
    request_id, _, _, event = saved_and_closed(app)
    with app.app_context():
        db = get_db()
        assert feedback.to_ask(db, request_id) == event
        with write_transaction(db, durable=True):
            given = feedback.answer(db, request_id, event, True, "kiosk", "kiosk-1")
        assert given.solved and given.via == "kiosk" and given.reopened_as is None and feedback.to_ask(db, request_id) is None
        with pytest.raises(feedback.AlreadyAnswered), write_transaction(db):
            feedback.answer(db, request_id, event, False, "phone", "kiosk-1")
        with write_transaction(db):
            feedback.rate(db, given.id, 4)
        with pytest.raises(feedback.AlreadyAnswered), write_transaction(db):
            feedback.rate(db, given.id, 5)
        for wrong in (0, 6, "5", None):
            with pytest.raises(ValueError), write_transaction(db):
                feedback.rate(db, given.id, wrong)
        notes = [(n.kind, n.fields) for n in county_notes.for_request(db, request_id)]
        assert [(k, f.get("solved"), f.get("rating"), f["via"]) for k, f in notes] == [
            ("answer", "yes", None, "kiosk"), ("rating", None, "4", "kiosk")]
        assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 1


def test_nothing_is_asked_before_the_county_closes_it_or_about_an_old_close(app):
    request_id, _, _, event = saved_and_closed(app)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            later = outbox.record(db, request_id, outbox.CLOSED, service_request_id="C000001", status="closed",
                                  status_notes="复查后再次办结")
        with pytest.raises(feedback.NotAsked), write_transaction(db):
            feedback.answer(db, request_id, event, True, "kiosk", "kiosk-1")  # not the latest close
        assert feedback.to_ask(db, request_id) == later
        with write_transaction(db):
            outbox.record(db, request_id, outbox.IN_PROGRESS, service_request_id="C000001", status="open", status_notes="x")
        assert feedback.to_ask(db, request_id) is None
        with pytest.raises(feedback.NotAsked), write_transaction(db):
            feedback.answer(db, request_id, later, True, "kiosk", "kiosk-1")
        with pytest.raises(ValueError), write_transaction(db):
            feedback.answer(db, request_id, later, True, "worker", "kiosk-1")  # a worker's answer names the worker


def test_a_no_reopens_it_as_a_new_request_with_the_same_details_and_check_code(app):
    request_id, ticket, code, event = saved_and_closed(app)
    with app.app_context():
        db = get_db()
        with write_transaction(db, durable=True):
            given = feedback.answer(db, request_id, event, False, "phone", "kiosk-1")
        again = submissions.get(db, given.reopened_as)
        original = submissions.get(db, request_id)
        assert again.reopens == request_id and again.ticket != ticket and again.check_code == code
        assert again.answers == original.answers and again.uuid != original.uuid
        assert personal.load_for_request(db, again.id) == personal.load_for_request(db, request_id)
        assert outbox.current_state(db, again.id) == outbox.QUEUED
        assert submissions.reopened_by(db, request_id) == [{"id": again.id, "ticket": again.ticket}]
        assert submissions.find(db, again.ticket, code) is not None  # the resident's receipt opens it


def test_a_comment_is_sealed_kept_once_and_purged_with_the_request(app, tmp_path):
    from datetime import datetime, timedelta, timezone

    from core import retention

    request_id, _, _, event = saved_and_closed(app)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            given = feedback.answer(db, request_id, event, True, "kiosk", "kiosk-1")
            feedback.add_comment(db, given.id, "  师傅很耐心，谢谢王师傅  ")
        assert feedback.comment(db, given.id) == "师傅很耐心，谢谢王师傅"
        with pytest.raises(feedback.AlreadyAnswered), write_transaction(db):
            feedback.add_comment(db, given.id, "再说一句")
        raw = db.execute("SELECT comment FROM resident_answers").fetchone()[0]
        assert "王师傅" not in raw
        system.purge(db, datetime.now(timezone.utc) + timedelta(days=31))
        assert feedback.comment(db, given.id) == "" and feedback.get(db, given.id).solved  # the answer itself stays


# --- the resident's pages --------------------------------------------------------------------------

def status_page(client, ticket, code, headers=ZH):
    return client.get(f"/status/{ticket}?c={code}", headers=headers)


def test_the_status_page_asks_and_a_no_brings_it_back_without_telling_it_again(app, client):
    request_id, ticket, code, event = saved_and_closed(app)
    page = status_page(client, ticket, code).get_data(as_text=True)
    assert "问题真的解决了吗？" in page and f'name="event" value="{event}"' in page
    form_action = re.search(r'action="(/status/[^"]+/solved[^"]*)"', page).group(1).replace("&amp;", "&")
    answer = client.post(form_action, data={"event": event, "solved": "no"}, headers=ZH)
    assert answer.status_code == 302 and "/rating" in answer.headers["Location"]
    rating = client.get(answer.headers["Location"], headers=ZH).get_data(as_text=True)
    for level in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f'<span class="button__text">{level}</span>' in rating
    wrong = client.post(answer.headers["Location"], data={"rating": "9"}, headers=ZH)
    assert wrong.status_code == 422 and "请从五个回答中选一个" in wrong.get_data(as_text=True)
    to_comment = client.post(answer.headers["Location"], data={"rating": "2"}, headers=ZH)
    comment_page = to_comment.headers["Location"]
    assert "/comment" in comment_page
    long = client.post(comment_page, data={"comment": "长" * 501}, headers=ZH)
    assert long.status_code == 422 and "长" * 501 in long.get_data(as_text=True)  # what was written stays
    thanks = client.post(comment_page, data={"comment": "灯还是不亮"}, headers=ZH)
    page = client.get(thanks.headers["Location"], headers=ZH).get_data(as_text=True)
    with app.app_context():
        db = get_db()
        given = feedback.latest(db, request_id)
        again = submissions.get(db, given.reopened_as)
        assert (given.solved, given.rating, given.via, feedback.comment(db, given.id)) == (False, 2, "kiosk", "灯还是不亮")
        assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 2
    assert again.ticket in page and "不需要再说一遍" in page
    link = re.search(r'href="(/status/[^"]+\?visit=1)"', page).group(1)  # the kiosk's screen: for this visit only
    assert client.get(link, headers=ZH).status_code == 200 and again.ticket in link
    # both ladders show it
    original = status_page(client, ticket, code).get_data(as_text=True)
    assert "问题真的解决了吗？" not in original and again.ticket in original and "您说问题没有解决" in original
    reopened = status_page(client, again.ticket, code).get_data(as_text=True)
    assert ticket in reopened and "重新提交" in reopened


def test_a_second_answer_or_a_replayed_form_records_nothing_twice(app, client):
    request_id, ticket, code, event = saved_and_closed(app)
    first = client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"}, headers=ZH)
    again = client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"}, headers=ZH)
    assert first.status_code == 302 and again.status_code == 409 and "已经回答过了" in again.get_data(as_text=True)
    client.post(f"/status/{ticket}/rating?c={code}", data={"rating": "3"})
    assert client.post(f"/status/{ticket}/rating?c={code}", data={"rating": "1"}).status_code == 409
    with app.app_context():
        db = get_db()
        assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 2
        assert [(a["solved"], a["rating"]) for a in db.query("SELECT solved, rating FROM resident_answers")] == [(0, 3)]


def test_no_answer_without_the_code_and_none_before_the_county_has_finished(app, client):
    request_id, ticket, code, event = saved_and_closed(app)
    for query in ("", "?c=000000", "?t=forged", "?visit=1"):
        refused = client.post(f"/status/{ticket}/solved{query}", data={"event": event, "solved": "no"}, headers=ZH)
        assert refused.status_code == 404
    other = client.application.test_client()
    assert other.get(f"/status/{ticket}/rating?c={code}").status_code == 302  # nothing answered by this browser
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            outbox.record(db, request_id, outbox.IN_PROGRESS, service_request_id="C000001", status="open", status_notes="复查")
    assert "问题真的解决了吗？" not in status_page(client, ticket, code).get_data(as_text=True)
    early = client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "yes"}, headers=ZH)
    assert early.status_code == 409 and "还没有办结" in early.get_data(as_text=True)
    assert client.post(f"/status/{ticket}/solved?c={code}", data={"event": "x", "solved": "maybe"}).status_code == 400
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM resident_answers").fetchone()[0] == 0


def test_the_receipts_signed_link_on_a_phone_answers_via_phone(app):
    from kiosk.receipts import status_token

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.168.1.23"  # a phone on the centre's Wi-Fi
    request_id, ticket, _, event = saved_and_closed(app)
    with app.test_request_context():
        token = status_token(ticket)
    page = client.get(f"/status/{ticket}?t={token}", headers=ZH).get_data(as_text=True)
    assert "问题真的解决了吗？" in page
    assert client.post(f"/status/{ticket}/solved?t={token}", data={"event": event, "solved": "yes"}).status_code == 302
    thanks = client.get(f"/status/{ticket}/thanks?t={token}", headers=ZH).get_data(as_text=True)
    assert "很高兴" in thanks
    with app.app_context():
        assert feedback.latest(get_db(), request_id).via == "phone"


# --- through a worker ------------------------------------------------------------------------------

def test_a_worker_on_a_call_back_records_what_the_resident_said(app):
    request_id, ticket, _, event = saved_and_closed(app)
    add_accounts(app)
    alice = app.test_client()
    log_in(alice, "alice")
    page = alice.get("/worker/worklist", headers=ZH).get_data(as_text=True)
    assert f"/worker/worklist/answer/{request_id}/{event}" in page
    asked = alice.get(f"/worker/worklist/answer/{request_id}/{event}", headers=ZH).get_data(as_text=True)
    assert "问题真的解决了吗？" in asked
    answer = alice.post(f"/worker/worklist/answer/{request_id}/{event}", data={"solved": "no"})
    rating_page = answer.headers["Location"]
    assert alice.post(rating_page, data={"rating": "0"}).status_code == 422
    assert alice.post(rating_page, data={"rating": "1"}).status_code == 302
    # a colleague's second entry changes nothing
    assert alice.post(f"/worker/worklist/answer/{request_id}/{event}", data={"solved": "yes"}).status_code == 302
    with app.app_context():
        db = get_db()
        given = feedback.latest(db, request_id)
        assert (given.solved, given.rating, given.via, given.by_worker) == (False, 1, "worker", "alice")
        assert [h["outcome"] for h in follow_ups.history(db, request_id)] == ["told"]
        actions = [(e.action, e.request_id) for e in audit.every(db)]
        assert ("answer.recorded", request_id) in actions and ("answer.rated", request_id) in actions
        assert ("follow_up.told", request_id) in actions
        assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 2
    assert ticket not in section(alice.get("/worker/worklist").get_data(as_text=True), "wl-pass-on")  # passed on


def test_a_resident_session_cannot_record_for_a_worker(app, client):
    request_id, _, _, event = saved_and_closed(app)
    answer = client.post(f"/worker/worklist/answer/{request_id}/{event}", data={"solved": "no"})
    assert answer.status_code in (302, 401, 403) and "/worker/login" in answer.headers.get("Location", "/worker/login")
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM resident_answers").fetchone()[0] == 0


# --- at the county ---------------------------------------------------------------------------------

def test_a_no_reaches_the_county_once_as_a_linked_request_and_the_answers_as_updates(app, client, county):
    from .sync_helpers import save_requests

    clock = FakeClock()
    (ticket,) = save_requests(app, 1)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        assert engine.run().accepted == 1
        county_id = outbox.county_id(get_db(), 1)
        close_at_county(county, county_id)
        assert engine.run().status_updates == 1
        code = get_db().execute("SELECT check_code FROM requests").fetchone()[0]
        event = feedback.to_ask(get_db(), 1)
    client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"})
    client.post(f"/status/{ticket}/rating?c={code}", data={"rating": "1"})
    client.post(f"/status/{ticket}/comment?c={code}", data={"skip": "1"})  # nothing to add: it may go
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        report = engine.run()
        assert report.accepted == 1 and report.notes_sent == 2, report
        assert engine.run().sent == 0 and engine.run().notes_sent == 0
        again = feedback.latest(get_db(), 1).reopened_as
        again_id = outbox.county_id(get_db(), again)
    with sqlite3.connect(county.database) as db:
        rows = db.execute("SELECT service_request_id, service_code, attributes FROM requests ORDER BY id").fetchall()
        updates = db.execute("SELECT service_request_id, description FROM request_updates ORDER BY id").fetchall()
    requests_held = [(r[0], json.loads(r[2]).get("kiosk_reopens")) for r in rows if r[1] != NOTE_SERVICE]
    assert requests_held == [(county_id, None), (again_id, county_id)]
    assert [r for r in rows if r[1] == NOTE_SERVICE] == []  # the county takes updates: no note requests
    assert updates == [(county_id, "居民表示：问题没有解决（已另行重新提交）。"), (county_id, "居民评价：非常不满意。")]
    assert county.duplicate_posts() == 0


def answered_no_at_the_county(app, client, county, clock) -> tuple[str, str, str]:
    """A repair sent, closed at the county, pulled back, and answered "not solved" and rated on English
    pages (the resident's screen): (ticket, check code, the county's id of the original)."""
    from .sync_helpers import save_requests

    (ticket,) = save_requests(app, 1, where="幸福里小区1号楼1单元")
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        assert engine.run().accepted == 1
        county_id = outbox.county_id(get_db(), 1)
        close_at_county(county, county_id)
        assert engine.run().status_updates == 1
        code = get_db().execute("SELECT check_code FROM requests").fetchone()[0]
        event = feedback.to_ask(get_db(), 1)
    client.post("/language", data={"locale": "en"})
    client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"})
    client.post(f"/status/{ticket}/rating?c={code}", data={"rating": "1"})
    return ticket, code, county_id


def county_requests(county) -> list[tuple[str, str, dict]]:
    """The requests the county holds (notes left out), oldest first: (id, description, attributes)."""
    with sqlite3.connect(county.database) as db:
        rows = db.execute("SELECT service_request_id, description, attributes FROM requests WHERE service_code != ?"
                          " ORDER BY id", [NOTE_SERVICE]).fetchall()
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


def test_a_no_reaches_the_county_with_the_residents_reason_in_the_centres_language(app, client, county):
    """Issue 19, item 10: the comment page comes after the rating, so the reopened request waits for it
    (a run in between sends the notes but not the request); then it goes with the reason first in its
    description, in the centre's language, her words as she wrote them, and the county's earlier id."""
    clock = FakeClock()
    ticket, code, county_id = answered_no_at_the_county(app, client, county, clock)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        waiting = engine.run("manual", ignore_backoff=True)  # even "sync now" waits for her comment
        assert waiting.accepted == 0 and waiting.notes_sent == 2, waiting
    page = client.get(f"/status/{ticket}/comment?c={code}").get_data(as_text=True)
    assert "It goes to the county with your request" in page  # she is told who will read it
    client.post(f"/status/{ticket}/comment?c={code}", data={"comment": "The light is still off at night."})
    with app.app_context():
        assert engine_for(app, county.url, clock=clock).run().accepted == 1
        again_id = outbox.county_id(get_db(), feedback.latest(get_db(), 1).reopened_as)
    (first, _, _), (second, description, attributes) = county_requests(county)
    assert (first, second, attributes["kiosk_reopens"]) == (county_id, again_id, county_id)
    assert description.splitlines()[:-1] == [
        f"重新提交：居民表示问题没有解决（原编号 {county_id}）。",
        "居民的原话：The light is still off at night.",
        "什么坏了？ 楼道灯", "在哪里？ 幸福里小区1号楼1单元 #0", "现在有危险吗？ 没有危险"]
    assert re.fullmatch(r"社区服务中心受理号：A0002-[0-9A-F]{6}", description.splitlines()[-1])
    assert county.duplicate_posts() == 0


def test_a_reopened_request_waits_for_the_comment_no_longer_than_a_quarter_of_an_hour(app, client, county):
    """A resident who walks away from the comment page: the request still goes, with the reason and no words."""
    clock = FakeClock()
    _, _, county_id = answered_no_at_the_county(app, client, county, clock)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        assert engine.run().accepted == 0
        clock.advance(minutes=feedback.COMMENT_WAIT_MINUTES + 1)
        assert engine.run().accepted == 1
    description = county_requests(county)[1][1]
    assert description.splitlines()[:2] == [f"重新提交：居民表示问题没有解决（原编号 {county_id}）。", "什么坏了？ 楼道灯"]


def test_the_countys_closing_note_is_shown_above_the_question(app, client):
    """Issue 19, item 10: the resident reads what the county wrote before she is asked if it is true."""
    _, ticket, code, _ = saved_and_closed(app)
    page = status_page(client, ticket, code).get_data(as_text=True)
    main = page[page.find("<main"):]
    note, question = main.find("县平台办结时写道：灯已修好"), main.find("问题真的解决了吗？")
    assert -1 < note < question


def test_after_the_visit_the_next_person_at_the_screen_opens_neither_ticket(app, client):
    """The thanks page's link to the new ticket lasts as long as the visit on the kiosk's own screen."""
    request_id, ticket, code, event = saved_and_closed(app)
    client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"})
    client.post(f"/status/{ticket}/rating?c={code}", data={"rating": "2"})
    page = client.get(f"/status/{ticket}/thanks?c={code}").get_data(as_text=True)
    link = re.search(r'href="(/status/[^"]+\?visit=1)"', page).group(1)
    assert "?t=" not in link and client.get(link).status_code == 200
    client.post("/visit/end")
    assert client.get(link).status_code == 404
    with app.app_context():
        new = feedback.latest(get_db(), request_id).reopened_as
        new_ticket = submissions.get(get_db(), new).ticket
    assert client.post(f"/status/{new_ticket}/solved?visit=1", data={"event": 1, "solved": "yes"}).status_code == 404


def test_nothing_is_asked_about_a_request_whose_details_were_purged(app, client):
    from datetime import datetime, timedelta, timezone

    from core import retention

    request_id, ticket, code, event = saved_and_closed(app)
    with app.app_context():
        system.purge(get_db(), datetime.now(timezone.utc) + timedelta(days=31))
        assert feedback.to_ask(get_db(), request_id) is None
    assert "问题真的解决了吗？" not in status_page(client, ticket, code).get_data(as_text=True)
    refused = client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"}, headers=ZH)
    assert refused.status_code == 409
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 1


@pytest.mark.parametrize("field, value", [("event", "²"), ("event", "9" * 5000), ("rating", "²"), ("rating", "9" * 5000)])
def test_digits_that_are_not_plain_digits_are_refused_politely(app, client, field, value):
    request_id, ticket, code, event = saved_and_closed(app)
    if field == "event":
        answer = client.post(f"/status/{ticket}/solved?c={code}", data={"event": value, "solved": "no"})
        assert answer.status_code == 400
    else:
        client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"})
        assert client.post(f"/status/{ticket}/rating?c={code}", data={"rating": value}).status_code == 422


def test_a_resident_may_skip_the_rating_and_workers_read_what_they_wrote(app, client):
    request_id, ticket, code, event = saved_and_closed(app)
    client.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"})
    skipped = client.post(f"/status/{ticket}/rating?c={code}", data={"skip": "1"})
    assert "/comment" in skipped.headers["Location"]
    client.post(f"/status/{ticket}/comment?c={code}", data={"comment": "灯还是不亮，楼道很黑"})
    add_accounts(app)
    alice = app.test_client()
    log_in(alice, "alice")
    said = section(alice.get("/worker/worklist", headers=ZH).get_data(as_text=True), "wl-said")
    assert "灯还是不亮，楼道很黑" in said and ticket in said
    with app.app_context():
        given = feedback.latest(get_db(), request_id)
        assert given.rating is None and given.reopened_as
        assert submissions.get(get_db(), given.reopened_as).ticket in said
    assert section(client.get("/worker/worklist").get_data(as_text=True), "wl-said") == ""  # not for a resident


def test_the_loop_pages_are_valid_html(app, client, tmp_path):
    from .html_check import nu_problems
    from .test_reuse import earlier_request, start

    pages = {}
    for locale, header in (("zh_Hans_CN", "zh-CN"), ("zh_Hant_TW", "zh-TW"), ("en", "en")):
        visitor = app.test_client()
        _, ticket, code, event = saved_and_closed(app)  # one closed request per language
        asked = {"Accept-Language": header}
        pages[f"asked-{locale}"] = visitor.get(f"/status/{ticket}?c={code}", headers=asked).get_data(as_text=True)
        visitor.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"})
        pages[f"rating-{locale}"] = visitor.get(f"/status/{ticket}/rating?c={code}", headers=asked).get_data(as_text=True)
        pages[f"rating-error-{locale}"] = visitor.post(f"/status/{ticket}/rating?c={code}", data={"rating": "x"}, headers=asked).get_data(as_text=True)
        pages[f"comment-{locale}"] = visitor.get(f"/status/{ticket}/comment?c={code}", headers=asked).get_data(as_text=True)
        pages[f"comment-error-{locale}"] = visitor.post(f"/status/{ticket}/comment?c={code}", data={"comment": "x" * 600}, headers=asked).get_data(as_text=True)
        pages[f"thanks-{locale}"] = visitor.get(f"/status/{ticket}/thanks?c={code}", headers=asked).get_data(as_text=True)
        pages[f"answered-{locale}"] = visitor.get(f"/status/{ticket}?c={code}", headers=asked).get_data(as_text=True)
        pages[f"refused-{locale}"] = visitor.post(f"/status/{ticket}/solved?c={code}", data={"event": event, "solved": "no"}, headers=asked).get_data(as_text=True)
        earlier, earlier_code, _ = earlier_request(app)
        start(visitor, "home-care")
        pages[f"reuse-{locale}"] = visitor.get("/request/reuse?from=details", headers=asked).get_data(as_text=True)
        pages[f"reuse-error-{locale}"] = visitor.post("/request/reuse?from=details", data={"ticket": earlier, "code": "1"}, headers=asked).get_data(as_text=True)
        visitor.post("/request/reuse?from=details", data={"ticket": earlier, "code": earlier_code})
        pages[f"reuse-offer-{locale}"] = visitor.get("/request/reuse/confirm?from=details", headers=asked).get_data(as_text=True)
        visitor.post("/request/reuse/confirm?from=details", data={"use": "yes"})
        pages[f"about-you-reused-{locale}"] = visitor.get("/request/about-you", headers=asked).get_data(as_text=True)
        pages[f"contact-reused-{locale}"] = visitor.get("/request/contact", headers=asked).get_data(as_text=True)
    problems = nu_problems(pages, tmp_path)
    assert not problems, "\n".join(problems)
