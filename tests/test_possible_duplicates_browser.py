"""A worker settles a possible duplicate in real Chromium, by keys only (Tab, typing, Enter): the request's
page, with its county numbers, the words the county was sent and the home address kept on the kiosk,
passes axe (WCAG 2.x A, AA, AAA) and the kiosk's own size and target checks before and after."""
from __future__ import annotations

import subprocess
import sys

import pytest

from .browser import ROOT, Resident
from .conftest import PHONE_SIZE, LiveKiosk
from .test_accessibility import Auditor

pytestmark = pytest.mark.browser
PASSWORD = "worker-password-1"

#: A home-care request the county may hold twice (C000007, and the look-alike C000003), whose home address
#: the county was not sent: written into the live kiosk's database by its own save path and outbox.
PREPARE = """
from core import outbox
from core.actions import resident
from core.db import write_transaction
from core.wording import Centre
from kiosk import create_app
from kiosk.db import get_db
app = create_app()
with app.app_context():
    db = get_db()
    _, draft = resident.start_draft(db, "home-care", "zh_Hans_CN")
    draft.answers = {"help": "cleaning", "often": "weekly"}
    draft.personal = {"name": "王秀英", "address": "幸福路 12 号 501 室", "contact": "centre"}
    saved = resident.save_request(db, draft, "kiosk-1", Centre.from_config(app.config))
    with write_transaction(db):
        outbox.record(db, saved.id, outbox.IN_FLIGHT, attempt=1, withheld=["address"])
        outbox.record(db, saved.id, outbox.ACCEPTED, service_request_id="C000007", possible_duplicate=True,
                      candidates=["C000003"])
    print(saved.ticket)
"""


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    live = LiveKiosk(tmp_path_factory.mktemp("twice") / "instance")
    added = subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "workers", "add", "demo-worker",
                            "--display-name", "示范社工", "--password-stdin"],
                           input=PASSWORD + "\n", env=live.env, cwd=ROOT, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    live.start()
    yield live
    live.stop()


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element ``selector`` has the focus (as a keyboard user moves through a page)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_worker_settles_a_possible_duplicate_by_keys_only(browser, kiosk):
    made = subprocess.run([sys.executable, "-c", PREPARE], env=kiosk.env, cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    ticket = made.stdout.strip().splitlines()[-1]
    context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", bypass_csp=True)  # CSP would block axe
    page = context.new_page()
    worker = Resident(page, kiosk.url, js=True)
    audit = Auditor(worker, 24)
    try:
        worker.open(f"/worker/request/{ticket}")
        tab_to(page, "#login")
        page.keyboard.type("demo-worker")
        tab_to(page, "#password")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        worker.settle()
        assert worker.path == f"/worker/request/{ticket}"
        assert page.locator("#request-sent").get_attribute("lang") == "zh-Hans"
        assert "幸福路 12 号 501 室" in page.locator("#request-kept").inner_text()
        assert "C000007、C000003" in page.locator("#request-twice").inner_text()
        audit("a possible duplicate")
        button = "form:has(input[name=number][value=C000003]) button"
        tab_to(page, button)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        worker.settle()
        assert "C000003" in page.locator("#request-done").inner_text()
        assert page.locator("#request-twice").count() == 0
        assert "C000003" in page.locator(".summary-list").first.inner_text()
        audit("settled")
    finally:
        context.close()
    assert not audit.problems, "\n".join(audit.problems)
