"""Two residents one after the other at the same screen (one Chromium context, as at the kiosk).

Resident A fills in home-care up to the check page and walks away — by the idle reset (Playwright's
clock, not real waiting), by tapping Home, or by going back to the start page another way (the
pages' ← links, the help page's "Back to the start"). Resident B then uses the same screen. B never sees A's
name, address or answers, Back and history included; A's answers open again with the code the
screen showed before it forgot them.
"""
from __future__ import annotations

import re

import pytest

from .browser import Resident
from .conftest import KIOSK_SIZE

pytestmark = pytest.mark.browser

NAME, ADDRESS = "王秀兰", "幸福路12号3-2-501"
PRIMARY = "main form button.button--primary"


def fill_home_care_to_check(resident: Resident) -> None:
    resident.open("/services/home-care")
    resident.tap(resident.page.locator(PRIMARY))
    resident.tap(resident.page.locator(".options button[value=bathing]"))
    resident.tap(resident.page.locator(".options button[value=weekly]"))
    resident.page.locator("#name").fill(NAME)
    resident.page.locator("#address").fill(ADDRESS)
    resident.tap(resident.page.locator(PRIMARY))
    resident.tap(resident.page.locator("button[name=contact][value=centre]"))
    assert resident.path == "/request/check" and NAME in resident.page.content()


def nothing_of_a_on(page) -> None:
    html = page.content()
    assert NAME not in html and ADDRESS not in html, page.url
    if "/services/" not in page.url:  # A's answer (bathing); the service's own description names it too
        assert "助浴" not in html, page.url


def b_uses_the_screen(resident: Resident) -> None:
    """B walks up: Back through the history, then starts the same service; nothing of A's shows."""
    page = resident.page
    nothing_of_a_on(page)
    for _ in range(8):  # Back, as far as the history goes
        if page.evaluate("history.length") <= 1:
            break
        before = page.url
        page.go_back()
        resident.settle()
        nothing_of_a_on(page)
        if page.url == before:
            break
    resident.open("/services/home-care")
    resident.tap(page.locator(PRIMARY))
    assert resident.path == "/request/questions/help"  # a fresh draft, not A's
    nothing_of_a_on(page)
    resident.open("/request/check")  # B's draft is empty: sent back to its first question
    assert resident.path == "/request/questions/help"
    nothing_of_a_on(page)


def resume_with(resident: Resident, code: str) -> None:
    resident.open("/visit/resume")
    resident.page.locator("#entered").fill(code)
    resident.tap(resident.page.locator(PRIMARY))
    assert resident.path == "/request/check"
    assert NAME in resident.page.content() and ADDRESS in resident.page.content()


@pytest.fixture
def screen(browser, live_kiosk):
    context = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN")
    page = context.new_page()
    page.clock.install()
    yield Resident(page, live_kiosk.url, js=True)
    context.close()


def code_from_the_leave_page(resident: Resident) -> str:
    """The code the leave page shows after Home (read there, then back to the answers)."""
    resident.open("/visit/leave")
    code = resident.page.locator("#resume-code").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code)
    resident.tap(resident.page.locator("main .actions a.button"))  # No, go back to my answers
    assert resident.path == "/request/check"
    return code


def test_the_idle_reset_forgets_a_and_keeps_her_answers_under_a_code(screen):
    page = screen.page
    fill_home_care_to_check(screen)
    code = code_from_the_leave_page(screen)
    page.clock.run_for(89_000)
    assert not page.locator("#idle-dialog").is_visible()
    page.clock.run_for(2_000)
    dialog = page.locator("#idle-dialog")
    dialog.wait_for(state="visible")
    assert "还需要继续吗？" in dialog.inner_text()
    assert code not in dialog.inner_text() and not re.search(r"\d{6}", dialog.inner_text())  # nobody may be there
    with page.expect_navigation():
        page.clock.run_for(31_000)
    screen.settle()
    assert screen.path == "/"
    b_uses_the_screen(screen)
    resume_with(screen, code)


def test_a_touch_answers_the_question_and_the_visit_goes_on(screen):
    page = screen.page
    fill_home_care_to_check(screen)
    page.clock.run_for(91_000)
    page.locator("#idle-dialog").wait_for(state="visible")
    page.locator(".js-idle-continue").click()
    assert not page.locator("#idle-dialog").is_visible()
    page.clock.run_for(60_000)  # less than the idle time again: nothing happens
    assert screen.path == "/request/check" and NAME in page.content()
    page.locator("main").click(position={"x": 5, "y": 5})  # any touch starts the quiet spell afresh
    page.clock.run_for(60_000)
    assert not page.locator("#idle-dialog").is_visible() and screen.path == "/request/check"


def test_finish_now_in_the_idle_question_ends_the_visit(screen):
    page = screen.page
    fill_home_care_to_check(screen)
    page.clock.run_for(91_000)
    page.locator("#idle-dialog").wait_for(state="visible")
    with page.expect_navigation():
        page.locator(".js-idle-finish").click()
    screen.settle()
    assert screen.path == "/"
    b_uses_the_screen(screen)


def test_home_shows_the_code_then_forgets_a(screen):
    page = screen.page
    fill_home_care_to_check(screen)
    screen.tap(page.locator("button[name=why][value=home]"))
    assert screen.path == "/visit/leave"
    code = page.locator("#resume-code").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code)
    screen.tap(page.locator("button[name=why][value=stop]"))
    assert screen.path == "/"
    b_uses_the_screen(screen)
    resume_with(screen, code)


def test_finish_forgets_the_receipt(screen):
    page = screen.page
    fill_home_care_to_check(screen)
    screen.tap(page.locator(PRIMARY))
    receipt = screen.path
    assert receipt.startswith("/receipt/")
    screen.tap(page.locator("form[action='/receipt/done'] button"))
    page.go_back()
    screen.settle()
    nothing_of_a_on(page)
    assert "王秀兰" not in page.content()
    screen.open(receipt)
    assert "A0" not in page.locator("main h1").inner_text()  # the receipt page is gone: "page not found"
    nothing_of_a_on(page)


def test_the_question_finishing_its_own_sentence_is_no_answer(screen):
    """The spoken question ends while the dialog is open: that must not count as the resident's touch."""
    page = screen.page
    fill_home_care_to_check(screen)
    page.clock.run_for(91_000)
    page.locator("#idle-dialog").wait_for(state="visible")
    page.evaluate("document.querySelector('.js-idle-audio').dispatchEvent(new Event('ended'))")
    assert page.locator("#idle-dialog").is_visible()
    with page.expect_navigation():
        page.clock.run_for(31_000)
    screen.settle()
    assert screen.path == "/"
    nothing_of_a_on(page)


def test_back_links_to_the_start_end_the_visit(screen):
    """A leaves by the pages' own ← links, all the way back to the start page, without Home."""
    page = screen.page
    fill_home_care_to_check(screen)
    for _ in range(8):
        screen.tap(page.locator("main .back-link"))
        if screen.path == "/":
            break
    assert screen.path == "/"
    b_uses_the_screen(screen)


def test_the_help_pages_way_back_to_the_start_ends_the_visit(screen):
    """A asks for help, then takes the help page's "Back to the start" (回到首页) instead of Home."""
    page = screen.page
    fill_home_care_to_check(screen)
    screen.tap(page.locator(".site-footer__help button"))
    assert screen.path.startswith("/help")
    screen.tap(page.locator("main .actions a[href='/']"))
    assert screen.path == "/"
    b_uses_the_screen(screen)
