"""The worker's list for the day, on a real SQLite file with outbox histories seeded through the
owners (core.submissions, core.outbox): what each section lists, correcting a refused request and
sending it again exactly once (also against the reference county as a real process), the one-tap
outcomes, and who may open any of it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from core import audit, drafts, follow_ups, outbox, personal, submissions
from core.actions import resident
from core.db import write_transaction
from kiosk.db import get_db
from sync import refusals

from .worker_helpers import add_accounts, log_in

POISON = "POISON"


def save(app, service="repairs", answers=None, details=None, park=False) -> tuple[int, str]:
    """A finished request saved through the kiosk's own save path; (id, ticket)."""
    with app.app_context():
        db = get_db()
        _, draft = resident.start_draft(db, service, "zh_Hans_CN")
        draft.answers = answers or {"what": "light", "where": "3号楼2单元", "danger": "no"}
        draft.personal = details or {"contact": "centre"}
        saved = resident.save_request(db, draft, "kiosk-1")
        return saved.id, saved.ticket


def events(app, request_id, *states):
    """Append outbox events (state, data) to a request's history, as the engine would."""
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            for state, data in states:
                outbox.record(db, request_id, state, **data)
        return outbox.current_event(db, request_id)["event_id"]


def quarantine(app, request_id, reason):
    return events(app, request_id, (outbox.IN_FLIGHT, {"attempt": 1}),
                  (outbox.QUARANTINED, {"attempt": 1, "reason": reason, "http_status": 400}))


def accept_then(app, request_id, state, notes=""):
    sid = f"C{request_id:06d}"
    return events(app, request_id, (outbox.IN_FLIGHT, {"attempt": 1}), (outbox.ACCEPTED, {"service_request_id": sid}),
                  (state, {"service_request_id": sid, "status": "closed" if state == outbox.CLOSED else "open",
                           "status_notes": notes}))


@pytest.fixture
def alice(app):
    add_accounts(app)
    client = app.test_client()
    log_in(client, "alice")
    return client


def section(page: str, heading_id: str) -> str:
    """The text of one section of the worklist ('' when it is not there)."""
    found = re.search(rf'aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    return found.group(1) if found else ""


def tickets_in(html: str) -> list[str]:
    return re.findall(r'class="worklist__heading">(A\d+)', html)


# --- what each section lists ----------------------------------------------------------------------

def test_each_section_lists_exactly_the_right_requests(app, alice):
    ids = {}
    ids["poison"] = save(app, answers={"what": "light", "where": f"{POISON} 3号楼", "danger": "no"})
    ids["fixed"] = save(app)
    ids["closed"] = save(app, details={"contact": "phone", "phone": "13800138000"})
    ids["handled"] = save(app)
    ids["told"] = save(app)
    ids["accepted"] = save(app)
    ids["yesterday"] = save(app)
    quarantine(app, ids["poison"][0], f"request refused: it contains '{POISON}'")
    quarantine(app, ids["fixed"][0], "attribute 'where' is required")
    accept_then(app, ids["closed"][0], outbox.CLOSED, "灯已修好")
    accept_then(app, ids["handled"][0], outbox.IN_PROGRESS, "师傅明天来")
    told_event = accept_then(app, ids["told"][0], outbox.CLOSED)
    events(app, ids["accepted"][0], (outbox.ACCEPTED, {"service_request_id": "C9"}))
    with app.app_context():
        db = get_db()
        # a request of another day (seeding history: saved two days ago)
        with write_transaction(db):
            db.execute("UPDATE requests SET requested_at = ? WHERE id = ?",
                       [(datetime.now(timezone.utc) - timedelta(days=2)).isoformat(timespec="seconds"), ids["yesterday"][0]])
        with write_transaction(db):
            follow_ups.record(db, ids["told"][0], told_event, follow_ups.TOLD, "alice")
        with write_transaction(db):  # corrected and queued again: not refused any more
            submissions.correct_answer(db, ids["fixed"][0], "where", "5号楼")
            outbox.requeue(db, ids["fixed"][0], by="worker:alice")
        token, draft = resident.start_draft(db, "feedback", "zh_Hans_CN")
        draft.answers = {"kind": "praise"}
        draft.personal = {"name": "张三"}
        resident.save_answers(db, draft)
        resident.park_draft(db, token)
        resident.start_draft(db, "repairs", "zh_Hans_CN")  # open on a screen: not unfinished, not listed

    page = alice.get("/worker/worklist").get_data(as_text=True)
    assert tickets_in(section(page, "wl-refused")) == [ids["poison"][1]]
    pass_on = section(page, "wl-pass-on")
    assert tickets_in(pass_on) == [ids["closed"][1], ids["handled"][1]]
    assert "138 0013 8000" in pass_on and "灯已修好" in pass_on and "师傅明天来" in pass_on
    today = section(page, "wl-today")
    assert sorted(tickets_in(today)) == sorted(t for k, (_, t) in ids.items() if k != "yesterday")
    for ticket in tickets_in(today):  # each opens its page: what was sent, what the resident said and showed
        assert f'href="/worker/request/{ticket}"' in today
    drafts_part = section(page, "wl-drafts")
    assert drafts_part.count("<li") == 1 and "投诉建议" in drafts_part
    assert "张三" not in page and "praise" not in page  # no personal data, no answers of a draft
    assert 'id="help-calls"' not in page  # nobody waiting: that section is left out
    # the order of the sections
    assert page.index("wl-refused") < page.index("wl-pass-on") < page.index("wl-today") < page.index("wl-drafts")

    home = alice.get("/worker/").get_data(as_text=True)
    assert 'href="/worker/worklist"' in home
    nav = re.findall(r'worker-nav__link" href="([^"]+)"', home)
    assert nav[nav.index("/worker/") + 1] == "/worker/worklist"  # right after home


def test_residents_waiting_show_in_the_live_list(app, client, alice):
    client.post("/services/repairs")
    client.post("/help/call", data={"from": "/services/repairs"})
    page = alice.get("/worker/worklist").get_data(as_text=True)
    assert 'id="help-calls"' in page and "kiosk-1" in page


def test_notes_to_tell_and_possible_duplicates_are_not_buried_under_the_days_requests(app, alice):
    """A worker's busy day: twelve new requests, one that may be at the county twice, one note the county
    cannot take. The note comes before the long list of the day's requests, and each "What the county
    was sent" is a big button that names its request (three links with the same words were ambiguous)."""
    from core import county_notes

    saved = [save(app) for _ in range(12)]
    (first, _), (second, ticket) = saved[0], saved[1]
    accept_then(app, first, outbox.CLOSED)
    events(app, second, (outbox.IN_FLIGHT, {"attempt": 1}),
           (outbox.ACCEPTED, {"service_request_id": "C000009", "possible_duplicate": True, "candidates": ["C000003"]}))
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            note = county_notes.add(db, first, county_notes.ANSWER, {"solved": "yes", "via": "phone"})
            county_notes.keep_for_workers(db, note, "2026-12-01T08:00:00+00:00")
    page = alice.get("/worker/worklist").get_data(as_text=True)
    assert page.index("wl-twice") < page.index("wl-to-tell") < page.index("wl-today")
    twice = section(page, "wl-twice")
    link = re.search(r'<a href="/worker/request/([^"]+)" class="button button--secondary" aria-describedby="([^"]+)"', twice)
    assert link and link.group(1) == ticket
    assert re.search(rf'<h3 class="worklist__heading" id="{link.group(2)}">{ticket} ', twice)


def test_an_empty_list_says_so(alice):
    page = alice.get("/worker/worklist").get_data(as_text=True)
    assert "worklist__section" not in page and "现在没有需要您处理的事" in page


# --- one-tap outcomes -----------------------------------------------------------------------------

def test_outcomes_told_leaves_could_not_reach_stays_with_the_date(app, alice):
    a, ticket_a = save(app, details={"contact": "phone", "phone": "13800138000"})
    b, ticket_b = save(app)
    event_a = accept_then(app, a, outbox.CLOSED)
    event_b = accept_then(app, b, outbox.IN_PROGRESS)
    alice.post(f"/worker/worklist/follow-up/{a}/{event_a}", data={"outcome": "not_reached"})
    page = alice.get("/worker/worklist").get_data(as_text=True)
    assert "没联系上" in page  # the note after the tap
    pass_on = section(page, "wl-pass-on")
    assert tickets_in(pass_on) == [ticket_a, ticket_b]
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()  # the kiosk's own day
    assert "联系过" in pass_on and f"{today.year}年{today.month}月{today.day}日" in pass_on
    alice.post(f"/worker/worklist/follow-up/{a}/{event_a}", data={"outcome": "told"})
    alice.post(f"/worker/worklist/follow-up/{b}/{event_b}", data={"outcome": "came_in"})
    assert tickets_in(section(alice.get("/worker/worklist").get_data(as_text=True), "wl-pass-on")) == []
    # a second tap on a settled change records nothing
    alice.post(f"/worker/worklist/follow-up/{b}/{event_b}", data={"outcome": "told"})
    # a later status change needs passing on again
    later = events(app, b, (outbox.CLOSED, {"status": "closed"}))
    assert tickets_in(section(alice.get("/worker/worklist").get_data(as_text=True), "wl-pass-on")) == [ticket_b]
    with app.app_context():
        db = get_db()
        assert [(h["event_id"], h["outcome"]) for h in follow_ups.history(db, b)] == [(event_b, "came_in")]
        entries = [(e.action, e.request_id, e.detail) for e in audit.every(db) if e.action.startswith("follow_up.")]
    assert entries == [("follow_up.came_in", b, {"event": event_b}), ("follow_up.told", a, {"event": event_a}),
                       ("follow_up.not_reached", a, {"event": event_a})]
    assert later != event_b
    assert alice.post(f"/worker/worklist/follow-up/{a}/{event_a}", data={"outcome": "lunch"}).status_code == 400


# --- correcting what the county refused ------------------------------------------------------------

def fix_form(client, request_id):
    page = client.get(f"/worker/worklist/correct/{request_id}").get_data(as_text=True)
    event = re.search(r'name="event" value="(\d+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    return page, {"event": event, "csrf_token": token}


def queued_again(app, request_id) -> int:
    with app.app_context():
        return sum(1 for e in outbox.events(get_db(), request_id) if e["state"] == outbox.QUEUED and e["data"].get("retried_by"))


def test_correcting_a_refused_answer(app, alice):
    rid, ticket = save(app, answers={"what": "light", "where": f"{POISON} 3号楼", "danger": "no"})
    quarantine(app, rid, f"request refused: it contains '{POISON}'")
    page, form = fix_form(alice, rid)
    assert "县平台不接受这个回答中的某些字词" in page and f'<span lang="en">request refused: it contains &#39;{POISON}&#39;</span>' in page
    assert 'id="answer-where"' in page and "answer-what" not in page  # only the refused field
    bad = alice.post(f"/worker/worklist/correct/{rid}", data={**form, "answer": "   "})
    assert bad.status_code == 422 and 'class="error-summary"' in bad.get_data(as_text=True)
    with app.app_context():
        assert submissions.get(get_db(), rid).answers["where"] == f"{POISON} 3号楼"
        assert outbox.current_state(get_db(), rid) == outbox.QUARANTINED
    good = alice.post(f"/worker/worklist/correct/{rid}", data={**form, "answer": "3号楼2单元"})
    assert good.status_code == 302 and good.headers["Location"] == "/worker/worklist"
    with app.app_context():
        db = get_db()
        saved = submissions.get(db, rid)
        assert saved.answers["where"] == "3号楼2单元" and outbox.current_state(db, rid) == outbox.QUEUED
        assert saved.content_hash == submissions.content_hash("repairs", saved.answers, personal.load_for_request(db, rid))
    assert queued_again(app, rid) == 1
    again = alice.post(f"/worker/worklist/correct/{rid}", data={**form, "answer": "别的地方"})
    assert again.status_code == 200 and "已经重新发送" in again.get_data(as_text=True)
    assert queued_again(app, rid) == 1
    with app.app_context():
        db = get_db()
        assert submissions.get(db, rid).answers["where"] == "3号楼2单元"
        logged = [(e.action, e.detail) for e in audit.every(db, request_id=rid)]
        dump = repr(list(db.query("SELECT * FROM audit")))
    assert ("request.corrected", {"field": "where"}) in logged and any(a == "request.requeued" for a, _ in logged)
    assert "3号楼" not in dump and POISON not in dump
    assert ticket not in tickets_in(section(alice.get("/worker/worklist").get_data(as_text=True), "wl-refused"))
    root = app.test_client()
    log_in(root, "root")
    logged_page = root.get(f"/worker/audit?request={ticket}").get_data(as_text=True)
    assert "改正了被拒收的申请" in logged_page and "field=where" in logged_page and "3号楼" not in logged_page


def test_correcting_a_refused_phone_number(app, alice):
    rid, _ = save(app, details={"contact": "phone", "phone": "1380013800012345"})
    quarantine(app, rid, "phone is longer than 50 characters")
    page, form = fix_form(alice, rid)
    assert 'type="tel"' in page and "1380013800012345" in page
    assert alice.post(f"/worker/worklist/correct/{rid}", data={**form, "answer": "12"}).status_code == 422
    assert alice.post(f"/worker/worklist/correct/{rid}", data={**form, "answer": "138 0013 8000"}).status_code == 302
    with app.app_context():
        db = get_db()
        assert personal.load_for_request(db, rid) == {"contact": "phone", "phone": "13800138000"}
        assert [e.detail for e in audit.every(db, request_id=rid) if e.action == "request.corrected"] == [{"field": "phone"}]


def test_an_unknown_reason_is_shown_as_the_county_wrote_it_and_any_field_can_be_corrected(app, alice):
    rid, ticket = save(app, details={"contact": "phone", "phone": "13800138000"})
    quarantine(app, rid, "Gremlins in the intake queue")
    refused = section(alice.get("/worker/worklist").get_data(as_text=True), "wl-refused")
    assert tickets_in(refused) == [ticket] and "Gremlins in the intake queue" in refused
    assert f'href="/worker/worklist/correct/{rid}"' in refused  # never a silent "cannot be corrected here"
    choose = alice.get(f"/worker/worklist/correct/{rid}").get_data(as_text=True)
    assert "Gremlins in the intake queue" in choose and "县平台没有说明拒收了哪个回答" in choose
    links = re.findall(rf'href="(/worker/worklist/correct/{rid}\?field=[^"]+)"', choose)
    assert len(links) == 4  # the three questions of the service and the phone number the request holds
    assert 'name="answer"' not in choose  # no field chosen yet: no form
    sneaked = alice.post(f"/worker/worklist/correct/{rid}", data={"answer": "x", "field": "attribute[kiosk_uuid]"})
    assert "县平台没有说明拒收了哪个回答" in sneaked.get_data(as_text=True) and queued_again(app, rid) == 0  # not a field to correct
    where = next(link for link in links if "where" in link).replace("&amp;", "&")
    page = alice.get(where).get_data(as_text=True)
    form = {"event": re.search(r'name="event" value="(\d+)"', page).group(1),
            "csrf_token": re.search(r'name="csrf_token" value="([^"]*)"', page).group(1),
            "field": re.search(r'name="field" value="([^"]*)"', page).group(1)}
    assert 'id="answer-where"' in page and form["field"] == "attribute[where]"
    assert alice.post(f"/worker/worklist/correct/{rid}", data={**form, "answer": "5号楼"}).status_code == 302
    with app.app_context():
        db = get_db()
        assert submissions.get(db, rid).answers["where"] == "5号楼" and outbox.current_state(db, rid) == outbox.QUEUED
        assert [e.detail for e in audit.every(db, request_id=rid) if e.action == "request.corrected"] == [{"field": "where"}]


def test_a_county_worded_differently_that_names_the_field_gets_that_field(app, alice):
    rid, ticket = save(app)
    events(app, rid, (outbox.IN_FLIGHT, {"attempt": 1}), (outbox.QUARANTINED, refusals.for_the_outbox(refusals.read(
        422, [{"code": "E-17", "description": "Das Feld attribute[where] ist ungültig"}]))))
    refused = section(alice.get("/worker/worklist").get_data(as_text=True), "wl-refused")
    assert "Das Feld attribute[where] ist ungültig" in refused and "/worker/worklist/correct/" in refused
    page, _ = fix_form(alice, rid)
    assert 'id="answer-where"' in page and "answer-what" not in page


def test_a_refusal_no_field_can_fix_asks_for_the_administrator(app, alice):
    rid, ticket = save(app)
    quarantine(app, rid, "this kiosk_uuid was already used for a different request")
    refused = section(alice.get("/worker/worklist").get_data(as_text=True), "wl-refused")
    assert "这里无法改正。请找管理员。" in refused and "/worker/worklist/correct/" not in refused
    assert alice.get(f"/worker/worklist/correct/{rid}").status_code == 404


def test_the_correction_needs_the_csrf_token(tmp_path, monkeypatch):
    import json

    from core.catalogue import DEMO_FILE
    from core.actions.admin import load_catalogue
    from kiosk import create_app

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "csrf"))
    app = create_app({"TESTING": True})
    with app.app_context():
        load_catalogue(get_db(), json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    add_accounts(app)
    client = app.test_client()
    log_in(client, "alice")
    rid, _ = save(app, answers={"what": "light", "where": f"{POISON}", "danger": "no"})
    quarantine(app, rid, f"request refused: it contains '{POISON}'")
    _, form = fix_form(client, rid)
    forged = client.post(f"/worker/worklist/correct/{rid}", data={"event": form["event"], "answer": "3号楼"})
    assert forged.status_code == 400
    assert queued_again(app, rid) == 0
    assert client.post(f"/worker/worklist/correct/{rid}", data={**form, "answer": "3号楼"}).status_code == 302
    assert queued_again(app, rid) == 1


def test_anonymous_and_resident_sessions_are_refused(app, client):
    rid, _ = save(app)
    quarantine(app, rid, "attribute 'where' is required")
    client.post("/services/repairs")  # a resident's session
    for c in (app.test_client(), client):
        assert c.get("/worker/worklist").status_code == 302
        assert c.get(f"/worker/worklist/correct/{rid}").status_code == 302
        assert c.post(f"/worker/worklist/correct/{rid}", data={"answer": "x"}).status_code == 302
    assert queued_again(app, rid) == 0


# --- exactly once at the county --------------------------------------------------------------------

@pytest.mark.slow
def test_a_corrected_request_reaches_the_county_exactly_once(app, alice, tmp_path):
    from .conftest import LiveCounty
    from .sync_helpers import engine_for, save_requests

    county = LiveCounty(tmp_path / "county", {"reject_text": POISON}).start()
    try:
        (ticket,) = save_requests(app, 1, where=POISON)
        save_requests(app, 1)
        with app.app_context():
            report = engine_for(app, county.url).run()
        assert report.quarantined == 1 and report.accepted == 1 and len(county.requests()) == 1
        _, form = fix_form(alice, 1)
        assert alice.post("/worker/worklist/correct/1", data={**form, "answer": "3号楼2单元"}).status_code == 302
        assert alice.post("/worker/worklist/correct/1", data={**form, "answer": "3号楼2单元"}).status_code == 200
        with app.app_context():
            engine = engine_for(app, county.url)
            assert engine.run().accepted == 1
            assert engine.run().sent == 0
            db = get_db()
            state = outbox.current_event(db, 1)
            uuid = submissions.get(db, 1).uuid
        held = county.requests()
        assert len(held) == 2 and [h for h in held if h[1] == uuid] == [(state["data"]["service_request_id"], uuid, "open")]
        assert county.duplicate_posts() == 0
    finally:
        county.stop()


# --- in real Chromium: every section present, axe and the kiosk's own measures -------------------

SEED = """
from core import feedback, outbox
from core.actions import resident
from core.db import write_transaction
from kiosk import create_app
from kiosk.db import get_db
from sync import refusals

app = create_app()
with app.app_context():
    db = get_db()
    def save(answers, details):
        _, draft = resident.start_draft(db, "repairs", "zh_Hans_CN")
        draft.answers, draft.personal = answers, details
        return resident.save_request(db, draft, "kiosk-1").id
    refused = save({"what": "light", "where": "POISON 3号楼", "danger": "no"}, {"contact": "centre"})
    closed = save({"what": "light", "where": "5号楼", "danger": "no"}, {"contact": "phone", "phone": "13800138000"})
    with write_transaction(db):
        outbox.record(db, refused, outbox.QUARANTINED, reason="request refused: it contains 'POISON'", http_status=400)
        outbox.record(db, closed, outbox.ACCEPTED, service_request_id="C000002")
        outbox.record(db, closed, outbox.CLOSED, service_request_id="C000002", status="closed", status_notes="灯已修好")
    said = save({"what": "light", "where": "6号楼", "danger": "no"}, {"contact": "centre"})
    with write_transaction(db):
        outbox.record(db, said, outbox.ACCEPTED, service_request_id="C000003")
        close = outbox.record(db, said, outbox.CLOSED, service_request_id="C000003", status="closed")
        answer = feedback.answer(db, said, close, False, "kiosk", "kiosk-1")
        feedback.rate(db, answer.id, 2)
        feedback.add_comment(db, answer.id, "灯还是不亮")
    token, draft = resident.start_draft(db, "feedback", "zh_Hans_CN")
    draft.answers = {"kind": "praise"}
    resident.save_answers(db, draft)
    resident.park_draft(db, token)
"""


@pytest.mark.browser
def test_the_worklist_with_every_section_is_accessible(browser, tmp_path):
    import subprocess
    import sys

    from .browser import Resident
    from .conftest import KIOSK_SIZE, LOCALES, PHONE_SIZE, ROOT, LiveKiosk
    from .test_accessibility import Auditor
    from .test_worker_browser import PASSWORDS, call_from_the_kiosk, log_in

    live = LiveKiosk(tmp_path / "instance", KIOSK_WORKER_LOGIN_LIMIT="1000 per hour",
                     KIOSK_WORKER_LOGIN_CLIENT_LIMIT="1000 per hour")
    subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "workers", "add", "demo-worker", "--role", "worker",
                    "--display-name", "示范社工", "--password-stdin"], input=PASSWORDS["demo-worker"] + "\n",
                   env=live.env, cwd=ROOT, check=True, capture_output=True, text=True)
    subprocess.run([sys.executable, "-c", SEED], env=live.env, cwd=ROOT, check=True, capture_output=True, text=True)
    live.start()
    problems, pages = [], 0
    try:
        call_from_the_kiosk(live)
        for size in (PHONE_SIZE, KIOSK_SIZE):
            for locale in LOCALES:
                context = browser.new_context(viewport=size, bypass_csp=True)  # CSP would block injecting axe
                worker = Resident(context.new_page(), live.url, js=True)
                audit = Auditor(worker, 28 if size is KIOSK_SIZE else 24)
                try:
                    worker.open("/worker/worklist")
                    worker.choose_language(locale)
                    log_in(worker, "demo-worker")
                    page = worker.page
                    assert worker.path == "/worker/worklist"
                    for part in ("#wl-refused", "#wl-pass-on", "#help-calls", "#wl-today", "#wl-said", "#wl-drafts"):
                        assert page.locator(part).count() == 1, part
                    audit(f"worklist {locale} {size['width']}")
                    worker.tap(page.locator("#wl-refused ~ ul a.button--primary").first)
                    audit(f"correction {locale} {size['width']}")
                    page.locator("[name=answer]").fill("")
                    worker.tap_expecting_error(page.locator("main form button.button--primary"))
                    audit(f"correction with an error {locale} {size['width']}")
                    worker.open("/worker/")
                    audit(f"home with the summary {locale} {size['width']}")
                finally:
                    context.close()
                problems += audit.problems
                pages += audit.pages
    finally:
        live.stop()
    assert pages == 24
    assert not problems, "\n".join(problems)
