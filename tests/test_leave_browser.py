"""The "Stop here?" page (after Home in the middle of a request) in real Chromium at the kiosk's 1080×1920
and a 375×667 phone, in each language: both its buttons — "Yes, stop and go to the start" and "No, go back
to my answers" — are seen whole without scrolling (issue 19, item 8 re-test: at 375×667 they were at
642–739 px and 751–815 px, partly and wholly below the fold), and so is the resume code above them, in
English on a phone too (issue 19, item 12: it was at 561–641 px, under the buttons pinned from 450 px, until
the resident scrolled; Read aloud now comes after the choices on this page, and the page is a little tighter).

``SCREENSHOT_DIR=<folder>`` keeps a picture of each page measured.
"""
from __future__ import annotations

import pytest

from .browser import Resident
from .conftest import KIOSK_SIZE, PHONE_SIZE
from .test_accessibility import Auditor
from .test_entry_browser import picture, post, seen_whole

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", [KIOSK_SIZE, PHONE_SIZE], ids=["kiosk", "phone"])
def test_both_buttons_of_stop_here_are_seen_without_scrolling(browser, live_kiosk, size):
    for locale, stop, back in (("zh-CN", "是的，先不填，回到首页", "不，回去接着填"),
                               ("zh-TW", "是的，先不填，回到首頁", "不，回去接著填"),
                               ("en", "Yes, stop and go to the start", "No, go back to my answers")):
        context = browser.new_context(viewport=size, locale=locale, bypass_csp=True)  # axe is injected
        page = context.new_page()
        resident = Resident(page, live_kiosk.url, js=True)
        audit = Auditor(resident, 28 if size == KIOSK_SIZE else 24)  # text sizes, 64 px targets 8 px apart, axe
        try:
            post(page, live_kiosk.url, "/services/mediation")
            post(page, live_kiosk.url, "/request/questions/about", answer="noise")
            resident.open("/request/questions/details")
            resident.tap(page.locator(".site-header__home"))
            assert resident.path == "/visit/leave?back=/request/questions/details"  # No: back to the page she left
            assert page.locator("#resume-code").is_visible()
            picture(page, f"leave-{locale}", size)
            audit(f"Stop here? {locale}")
            assert not audit.problems, "\n".join(audit.problems)
            for name in (stop, back):
                button = page.get_by_role("button" if name == stop else "link", name=name)
                assert seen_whole(page, button)["seen"], (locale, name, seen_whole(page, button))
            code = page.locator("#resume-code")  # the code too, above them, and nothing drawn over it
            assert seen_whole(page, code)["seen"], (locale, seen_whole(page, code))
            assert code.evaluate("e => { const r = e.getBoundingClientRect(); return [r.top + 2, r.bottom - 2].every("
                                 "y => e.contains(document.elementFromPoint(r.left + 10, y))); }"), locale
            assert page.locator(".js-speech-play").count() == 1  # Read aloud is still on the page, after the choices
        finally:
            context.close()


def test_words_typed_then_back_or_help_are_in_the_field_when_she_comes_back(browser, live_kiosk):
    """A new user's walk (issue 23): 楼道 written into the field, then 返回, or 请工作人员帮忙 → 回到刚才那一页,
    and the field was empty. Now every way out sends the field first; Enter in a one-line field still
    means Continue (the ways out belong to the form too, and come first on the page)."""
    context = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN")
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js=True)
    try:
        resident.open("/services/feedback")
        resident.tap(page.locator("main form button[type=submit]").first)
        resident.tap(page.locator("button[name=answer][value=complaint]"))
        resident.tap(page.locator("button[name=answer][value=environment]"))
        field = page.locator("textarea[name=answer]")
        field.click()
        page.keyboard.type("楼道")
        resident.tap(page.locator(".back-link"))  # 返回
        assert resident.path == "/request/questions/about"
        resident.tap(page.locator("button[name=answer][value=environment]"))
        assert field.input_value() == "楼道"
        field.click()
        page.keyboard.press("End")
        page.keyboard.type("的灯")
        resident.tap(page.locator(".site-footer .button--help"))  # 请工作人员帮忙, on the kiosk's own screen: a call
        assert resident.path.startswith("/help")
        resident.tap(page.get_by_role("link", name="回到刚才那一页"))
        assert resident.path == "/request/questions/message" and field.input_value() == "楼道的灯"
        # a one-line field: Enter is Continue, not Home (the first of the form's buttons in the page's order)
        resident.open("/services/repairs")
        resident.tap(page.locator("main form button[type=submit]").first)
        resident.tap(page.locator("button[name=answer][value=light]"))
        resident.open("/request/questions/where?write=1")
        page.locator("[name=answer]").click()
        page.keyboard.type("三号楼")
        before = page.url
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: url != before)
        resident.settle()
        assert resident.path == "/request/questions/danger", resident.path
    finally:
        context.close()
