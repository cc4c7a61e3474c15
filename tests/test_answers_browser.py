"""Closing the loop in real Chromium (issue 12): the status page's "is it really solved?", the rating,
the comment and the thanks, at kiosk and phone size in three languages, each state passing axe
(WCAG 2.x A, AA and AAA) and the kiosk's own size and target checks; the worker's call-back pages
too. A resident at the touchscreen answers with taps alone; the comment is written on the page's own
keyboard on the kiosk (tests/test_keyboard_browser.py covers writing), the device's on a phone."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .browser import ROOT, Resident
from .conftest import KIOSK_SIZE, LOCALES, PHONE_SIZE, LiveKiosk
from .test_accessibility import Auditor
from .test_worker_browser import PASSWORDS, log_in

pytestmark = pytest.mark.browser

SEED = """
import json, sys
from core import outbox
from core.actions import resident
from core.db import write_transaction
from kiosk import create_app
from kiosk.db import get_db

app = create_app()
made = []
with app.app_context():
    db = get_db()
    for n in range(int(sys.argv[1])):
        _, draft = resident.start_draft(db, "repairs", "zh_Hans_CN")
        draft.answers = {"what": "light", "where": f"{n + 1}号楼", "danger": "no"}
        draft.personal = {"contact": "phone", "phone": "13800138000"}
        saved = resident.save_request(db, draft, "kiosk-1")
        sid = f"C{saved.id:06d}"
        with write_transaction(db):
            outbox.record(db, saved.id, outbox.ACCEPTED, service_request_id=sid)
            outbox.record(db, saved.id, outbox.CLOSED, service_request_id=sid, status="closed", status_notes="灯已修好")
        made.append([saved.ticket, saved.check_code])
print(json.dumps(made))
"""
RUNS = [(size, locale) for size in (KIOSK_SIZE, PHONE_SIZE) for locale in LOCALES]


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    """A live kiosk with a worker and a closed request for each run of each test: (kiosk, [(ticket, code)])."""
    live = LiveKiosk(tmp_path_factory.mktemp("answers") / "instance", KIOSK_WORKER_LOGIN_LIMIT="1000 per hour",
                     KIOSK_WORKER_LOGIN_CLIENT_LIMIT="1000 per hour")
    subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "workers", "add", "demo-worker", "--role", "worker",
                    "--display-name", "示范社工", "--password-stdin"], input=PASSWORDS["demo-worker"] + "\n",
                   env=live.env, cwd=ROOT, check=True, capture_output=True, text=True)
    seeded = subprocess.run([sys.executable, "-c", SEED, str(2 * len(RUNS) + 2)], env=live.env, cwd=ROOT, check=True,
                            capture_output=True, text=True)
    live.start()
    yield live, json.loads(seeded.stdout.strip().splitlines()[-1])
    live.stop()


def test_a_resident_answers_with_taps_and_every_state_is_accessible(browser, closed, tmp_path):
    live, tickets = closed
    problems, pages = [], 0
    for n, (size, locale) in enumerate(RUNS):
        ticket, code = tickets[n]
        context = browser.new_context(viewport=size, bypass_csp=True, has_touch=size is KIOSK_SIZE)
        resident = Resident(context.new_page(), live.url, js=True)
        audit = Auditor(resident, 28 if size is KIOSK_SIZE else 24)
        name = f"{locale} {size['width']}"
        page = resident.page
        try:
            resident.open("/")
            resident.choose_language(locale)
            resident.open(f"/status/{ticket}?c={code}")
            assert page.locator(".loop-question").count() == 1
            audit(f"is it solved? {name}")
            if n == 0:
                page.screenshot(path=str(tmp_path / "solved-kiosk.png"), full_page=True)
            resident.tap(page.locator(".loop-question button[value=no]"))
            assert resident.path.split("?")[0].endswith("/rating")
            audit(f"rating {name}")
            resident.tap(page.locator("button[name=rating][value='2']"))
            assert resident.path.split("?")[0].endswith("/comment")
            audit(f"comment {name}")
            page.locator("#comment").fill("灯还是不亮" if locale != "en" else "Still dark")
            resident.tap(page.locator("main form button.button--primary"))
            assert resident.path.split("?")[0].endswith("/thanks")
            new_ticket = page.locator(".ticket--inline").inner_text()
            assert new_ticket and new_ticket != ticket
            audit(f"thanks, reopened {name}")
            if n == 0:
                page.screenshot(path=str(tmp_path / "thanks-kiosk.png"), full_page=True)
            resident.tap(page.locator("main a.button--primary"))  # the new ticket's progress, by its signed link
            assert new_ticket in page.locator("h1").inner_text()
            audit(f"the reopened request's status {name}")
            resident.open(f"/status/{ticket}?c={code}")
            assert page.locator(".loop-question").count() == 0 and new_ticket in page.locator(".loop-note").inner_text()
            audit(f"the answered status {name}")
        finally:
            context.close()
        problems += audit.problems
        pages += audit.pages
    assert pages == 6 * len(RUNS)
    assert not problems, "\n".join(problems)


def test_the_countys_closing_note_comes_before_the_question_at_both_sizes(browser, closed, tmp_path):
    """Issue 19, item 10: what the county wrote when it finished is read before "is it really solved?"
    (it was at the foot of the page, in the ladder, under the question); screenshots in tmp_path."""
    live, tickets = closed
    for size, (ticket, code) in zip((KIOSK_SIZE, PHONE_SIZE), tickets[-2:]):
        context = browser.new_context(viewport=size, has_touch=size is KIOSK_SIZE, locale="zh-CN")
        resident = Resident(context.new_page(), live.url, js=True)
        page = resident.page
        try:
            resident.open(f"/status/{ticket}?c={code}")
            note, question = page.locator(".county-closing-note"), page.locator("#loop-question")
            assert note.inner_text().strip().endswith("县平台办结时写道：灯已修好")
            note_box, question_box = note.bounding_box(), question.bounding_box()
            assert note_box["y"] + note_box["height"] <= question_box["y"], (note_box, question_box)
            assert note_box["y"] + note_box["height"] <= size["height"]  # read without scrolling
            page.screenshot(path=str(tmp_path / f"closing-note-{size['width']}.png"), full_page=True)
        finally:
            context.close()


def test_a_worker_records_the_residents_answer_on_a_phone_and_every_state_is_accessible(browser, closed):
    live, tickets = closed
    problems, pages = [], 0
    for n, (size, locale) in enumerate(RUNS):
        ticket, _ = tickets[len(RUNS) + n]
        context = browser.new_context(viewport=size, bypass_csp=True)
        worker = Resident(context.new_page(), live.url, js=True)
        audit = Auditor(worker, 28 if size is KIOSK_SIZE else 24)
        page = worker.page
        try:
            worker.open("/worker/worklist")
            worker.choose_language(locale)
            log_in(worker, "demo-worker")
            card = page.locator("#wl-pass-on ~ ul .worklist__item", has_text=ticket)
            worker.tap(card.locator("a[href*='/worklist/answer/']"))
            audit(f"worker: is it solved? {locale} {size['width']}")
            worker.tap(page.locator("button[name=solved][value=yes]"))
            audit(f"worker: rating {locale} {size['width']}")
            worker.tap(page.locator("button[name=rating][value='5']"))
            assert worker.path == "/worker/worklist"
            assert page.locator("#wl-pass-on ~ ul .worklist__item", has_text=ticket).count() == 0  # passed on
        finally:
            context.close()
        problems += audit.problems
        pages += audit.pages
    assert pages == 2 * len(RUNS)
    assert not problems, "\n".join(problems)


def test_the_outcomes_pages_are_accessible_and_change_with_an_answer(browser, closed, tmp_path):
    """The wall and the workers' page after the answers above, in three languages at both sizes."""
    live, _ = closed
    problems, pages = [], 0
    for n, (size, locale) in enumerate(RUNS):
        context = browser.new_context(viewport=size, bypass_csp=True)
        viewer = Resident(context.new_page(), live.url, js=True)
        audit = Auditor(viewer, 28 if size is KIOSK_SIZE else 24)
        page = viewer.page
        try:
            viewer.open("/")
            viewer.choose_language(locale)  # the wall has no controls: nobody touches it
            page.goto(live.url + "/outcomes")  # a page of its own, without htmx: nothing to settle
            page.wait_for_load_state()
            assert page.locator(".wall__tile").count() == 4 and page.locator(".wall__bar-row").count() >= 7
            audit(f"the wall {locale} {size['width']}")
            if n in (0, 3):
                page.screenshot(path=str(tmp_path / f"wall-{size['width']}.png"), full_page=True)
            viewer.open("/worker/outcomes")
            log_in(viewer, "demo-worker")
            assert viewer.path.startswith("/worker/outcomes")
            audit(f"outcomes for workers {locale} {size['width']}")
            if n == 3:
                page.screenshot(path=str(tmp_path / "outcomes-phone.png"), full_page=True)
            page.locator("#start").fill("2026-13-40")
            viewer.tap_expecting_error(page.locator("main form.outcomes-range .actions button.button--primary"))
            audit(f"outcomes with a bad day {locale} {size['width']}")
        finally:
            context.close()
        problems += audit.problems
        pages += audit.pages
    assert pages == 3 * len(RUNS)
    assert not problems, "\n".join(problems)


def test_reusing_earlier_details_is_accessible(browser, closed):
    """Type once, at both sizes in three languages: the link, the look-up (and its error), the offer."""
    live, tickets = closed
    problems, pages = [], 0
    for n, (size, locale) in enumerate(RUNS):
        ticket, code = tickets[n]  # each earlier request left a phone number to reuse
        context = browser.new_context(viewport=size, bypass_csp=True)
        resident = Resident(context.new_page(), live.url, js=True)
        audit = Auditor(resident, 28 if size is KIOSK_SIZE else 24)
        page = resident.page
        try:
            resident.open("/")
            resident.choose_language(locale)
            resident.open("/services/pension-cert")
            resident.tap(page.locator("main form button.button--primary"))
            resident.tap(page.locator(".options button").first)
            resident.tap(page.locator(".options button").first)
            assert resident.path.startswith("/request/about-you")
            resident.tap(page.locator(".reuse-link a"))
            audit(f"reuse: the look-up {locale} {size['width']}")
            page.locator("#ticket").fill(ticket)
            page.locator("#code").fill("000000")
            resident.tap_expecting_error(page.locator("main form .actions button.button--primary"))
            audit(f"reuse: not found {locale} {size['width']}")
            page.locator("#code").fill(code)
            resident.tap(page.locator("main form .actions button.button--primary"))
            assert "/request/reuse/confirm" in resident.path
            audit(f"reuse: the offer {locale} {size['width']}")
            resident.tap(page.locator("button[name=use][value=yes]"))
            assert resident.path.startswith("/request/about-you") and page.locator(".reuse-link").count() == 0
        finally:
            context.close()
        problems += audit.problems
        pages += audit.pages
    assert pages == 3 * len(RUNS)
    assert not problems, "\n".join(problems)
