"""Assisted filing in real Chromium with two browsers: a worker's phone (375×667, on the centre's
network: the box's LAN address) fills a request in, and the kiosk's own screen (1080×1920, on
loopback), resting on the start page, opens it by itself for the resident's yes. The receipt says it
was filled in with help; the audit log has the worker and the resident; axe and the kiosk's size
checks (tests/test_accessibility.py's Auditor) find nothing on the new pages. Then the same by phone,
with the worker's record of a spoken yes.
"""
import sqlite3
import subprocess
import sys

import pytest

from kiosk.security import lan_address

from .browser import ROOT, Resident
from .conftest import KIOSK_SIZE, PHONE_SIZE, LiveKiosk
from .test_accessibility import Auditor

pytestmark = pytest.mark.browser

PASSWORD = "worker-password-1"


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    if not lan_address():
        pytest.skip("this machine has no address on a network for the phone to use")
    live = LiveKiosk(tmp_path_factory.mktemp("assisted") / "instance")
    added = subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "workers", "add", "demo-worker",
                            "--display-name", "示范社工", "--password-stdin"],
                           input=PASSWORD + "\n", env=live.env, cwd=ROOT, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    live.args = ("--host", "0.0.0.0")  # the phone comes over the network; the kiosk's screen over loopback
    live.start()
    live.phone_url = live.url.replace("127.0.0.1", lan_address())
    yield live
    live.stop()


def answer_up_to_check(worker: Resident) -> None:
    """The residents' own question pages, answered on the worker's phone, up to the check page."""
    page = worker.page
    for _ in range(10):
        path = worker.path
        if path.startswith("/request/questions/"):
            options = page.locator(".options button")
            if options.count():
                worker.tap(options.first)
            else:
                page.locator("[name=answer]").fill("3号楼 2单元 门口")
                worker.tap(page.locator("main form button.button--primary"))
        elif path == "/request/about-you":
            for field, text in (("#name", "王秀兰"), ("#address", "3-2-501")):
                if page.locator(field).count():
                    page.locator(field).fill(text)
            worker.tap(page.locator("main form button.button--primary"))
        elif path == "/request/contact":
            worker.tap(page.locator("button[name=contact][value=centre]"))
        elif path == "/request/check":
            return
        else:
            raise AssertionError(f"unexpected page {path}")
    raise AssertionError("never reached the check page")


def audit_rows(kiosk) -> list[tuple]:
    db = sqlite3.connect(kiosk.database)
    return db.execute("SELECT a.actor, a.action, a.detail, r.ticket FROM audit a JOIN requests r ON r.id = a.request_id"
                      " ORDER BY a.id").fetchall()


def test_a_worker_fills_in_on_a_phone_and_the_resident_confirms_on_the_kiosk(browser, kiosk):
    phone = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", has_touch=True, is_mobile=True, bypass_csp=True)
    screen = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN", has_touch=True, bypass_csp=True)
    try:
        worker = Resident(phone.new_page(), kiosk.phone_url, js=True)
        on_phone = Auditor(worker, 24)
        resident = Resident(screen.new_page(), kiosk.url, js=True)
        on_screen = Auditor(resident, 28)
        resident.open("/")  # the kiosk's screen rests on the start page

        worker.open("/worker/assist")
        worker.page.locator("#login").fill("demo-worker")
        worker.page.locator("#password").fill(PASSWORD)
        worker.tap(worker.page.locator("main form button.button--primary"))
        assert worker.path == "/worker/assist"
        on_phone("assist: choose a service or a code")
        worker.page.locator("#entered").fill("12345")
        worker.tap_expecting_error(worker.page.locator("form[action='/worker/assist/continue'] button"))
        on_phone("assist: a wrong code")
        worker.tap(worker.page.locator("button[name=service][value=repairs]"))
        answer_up_to_check(worker)
        assert worker.page.locator("form[action='/request/check']").count() == 0  # not the resident's own save
        on_phone("check page, assisted")
        worker.tap(worker.page.locator("form[action='/worker/assist/show'] button"))
        assert worker.path == "/worker/assist/waiting"
        on_phone("waiting for the resident")

        resident.page.wait_for_url("**/confirm", timeout=10_000)  # the kiosk's screen opened it by itself
        resident.settle()
        assert resident.page.locator(".js-speech-play, .speech").count()  # Read aloud, as on every resident page
        on_screen("confirm on the kiosk")
        resident.tap(resident.page.locator(".assist-yes button"))
        assert resident.path.startswith("/receipt/")
        assert "由工作人员协助填写" in resident.page.locator("main").inner_text()
        assert "示范社工" not in resident.page.locator("main").inner_text()
        on_screen("receipt, filled in with help")
        ticket = resident.page.locator("#ticket-number").inner_text().strip()

        worker.page.wait_for_selector(".assist-waiting .ticket", timeout=5_000)  # the phone learns it was saved
        assert worker.page.locator(".assist-waiting .ticket").inner_text().strip() == ticket
        on_phone("saved, on the worker's phone")

        rows = [r for r in audit_rows(kiosk) if r[3] == ticket]
        assert [(actor, action) for actor, action, *_ in rows] == [
            ("worker:demo-worker", "request.filed_for_resident"), ("resident", "request.confirmed_by_resident")]
        assert all("王" not in detail for _a, _b, detail, _t in rows)

        # Not there: a phone call. Read back, how they said yes, and a second tap.
        worker.tap(worker.page.locator(".assist-waiting a.button--primary"))
        worker.tap(worker.page.locator("button[name=service][value=repairs]"))
        answer_up_to_check(worker)
        worker.tap(worker.page.locator("a[href='/worker/assist/verbal']"))
        on_phone("read it back")
        worker.tap(worker.page.locator("button[name=how][value=phone]"), expect_new_page=False)
        worker.page.wait_for_selector("button[name=sure]")
        assert rows == [r for r in audit_rows(kiosk) if r[3] == ticket] and len(audit_rows(kiosk)) == 2  # one tap saves nothing
        on_phone("verbal: are you sure")
        worker.tap(worker.page.locator("button[name=sure]"))
        assert worker.path.startswith("/receipt/")
        assert "由工作人员协助填写" in worker.page.locator("main").inner_text()
        second = worker.page.locator("#ticket-number").inner_text().strip()
        assert [(a, b, d) for a, b, d, t in audit_rows(kiosk) if t == second][1] == (
            "worker:demo-worker", "request.confirmed_verbally", '{"how": "phone"}')
    finally:
        phone.close()
        screen.close()
    problems = on_phone.problems + on_screen.problems
    assert on_phone.pages == 7 and on_screen.pages == 2
    assert not problems, "\n".join(problems)
