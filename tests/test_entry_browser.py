"""Entry pages that help a tremor (issue 19, item 12), in real Chromium at the kiosk's 1080×1920 and a
375×667 phone: the page's main button is seen without scrolling (with the on-screen keyboard open on the
kiosk), on the receipt too; "Done typing" moves on to the main button; once a phone number is typed the
big default choice is the one that uses it; numbers are shown in groups. And a field's limit is counted
while typing (item 11).

``SCREENSHOT_DIR=<folder>`` keeps a picture of each page measured.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .browser import Resident
from .conftest import KIOSK_SIZE, PHONE_SIZE

pytestmark = pytest.mark.browser
SIZES = pytest.mark.parametrize("size", [KIOSK_SIZE, PHONE_SIZE], ids=["kiosk", "phone"])


def seen_whole(page, locator, as_loaded: bool = True) -> dict:
    """The element's box, and whether all of it is inside the viewport: as the page loaded (not scrolled),
    or, after typing, as the page stands (the browser brings a field it types into into view)."""
    box = locator.evaluate("e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, "
                           "left: r.left, right: r.right, scrolled: window.scrollY}; }")
    view = page.viewport_size
    box["seen"] = (box["top"] >= 0 and box["bottom"] <= view["height"] and box["left"] >= 0
                   and box["right"] <= view["width"] and (box["scrolled"] == 0 or not as_loaded))
    return box


def picture(page, name: str, size: dict) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-{size['width']}x{size['height']}.png"))


def post(page, base: str, path: str, **data) -> None:
    """A step of the form as the page would send it (the walk to the pages measured, not what is measured)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.request.get(base + path).text())
    form = {"csrf_token": token.group(1) if token else "", **data}
    assert page.request.post(base + path, form=form).ok, path


@SIZES
def test_the_main_button_is_seen_without_scrolling_on_the_entry_pages_and_the_receipt(browser, live_kiosk, size):
    context = browser.new_context(viewport=size, locale="zh-CN")
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js=True)
    try:
        resident.open("/status")
        look_up = page.get_by_role("button", name="查询")
        assert seen_whole(page, look_up)["seen"], seen_whole(page, look_up)
        assert "386152" in page.locator("#entered-hint").inner_text()  # a six-digit check code in the example
        picture(page, "status-lookup", size)

        resident.open("/visit/resume")
        assert seen_whole(page, page.locator("main .button--primary"))["seen"]
        assert re.search(r"\d{6}", page.locator("#entered-hint").inner_text())

        post(page, live_kiosk.url, "/services/mediation")
        post(page, live_kiosk.url, "/request/questions/about", answer="noise")
        post(page, live_kiosk.url, "/request/questions/details", answer="楼上每晚很吵")
        resident.open("/request/contact")
        phone_button = page.locator(".js-contact-phone")
        assert "button--secondary" in phone_button.get_attribute("class")  # nothing typed: "at the centre" is big
        page.locator("#phone").click()
        keyboard = page.locator(".keyboard")
        if size == KIOSK_SIZE:  # the box's own screen: the keyboard is open under the field
            keyboard.wait_for()
            for digit in "13812345678":
                keyboard.locator(f".keyboard__key[data-key='{digit}']").click()
        else:
            assert not keyboard.count()  # a phone types with its own keyboard
            page.locator("#phone").fill("13812345678")
        assert "button--primary" in phone_button.get_attribute("class")
        assert "button--secondary" in page.locator(".js-contact-centre").get_attribute("class")
        assert seen_whole(page, phone_button, as_loaded=False)["seen"], seen_whole(page, phone_button, as_loaded=False)
        picture(page, "contact", size)
        if size == KIOSK_SIZE:
            keyboard.locator(".keyboard__done").click()  # "Done typing" moves on: to the button that sends it
            assert page.evaluate("document.activeElement.classList.contains('js-contact-phone')")
            page.keyboard.press("Enter")
        else:
            phone_button.click()
        page.wait_for_url("**/request/check")
        resident.settle()
        assert "138 1234 5678" in page.locator("main").inner_text()  # grouped as people read it out

        page.locator("main .button--primary").first.click()
        page.wait_for_url("**/receipt/*")
        resident.settle()
        for name in ("打印回执", "完成"):
            button = page.get_by_role("button", name=name)
            assert seen_whole(page, button)["seen"], (name, seen_whole(page, button))
        assert seen_whole(page, page.locator("#ticket-number"))["seen"]
        picture(page, "receipt", size)
    finally:
        context.close()


def test_a_fields_limit_is_counted_while_typing_and_never_cuts(browser, live_kiosk):
    context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN")
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js=True)
    try:
        post(page, live_kiosk.url, "/services/mediation")
        post(page, live_kiosk.url, "/request/questions/about", answer="noise")
        resident.open("/request/questions/details")
        limit = page.locator("#answer-details-limit")
        assert limit.inner_text() == "已写 0 字，最多 2000 字"
        page.locator("#answer-details").fill("楼上每晚很吵")
        assert limit.inner_text() == "已写 6 字，最多 2000 字"
        page.locator("#answer-details").fill("吵" * 2010)
        assert limit.inner_text() == "多了 10 字，请删减到 2000 字以内"
        page.get_by_role("button", name="继续").click()
        page.wait_for_selector(".error-summary")
        assert page.locator("#answer-details").input_value() == "吵" * 2010  # kept whole, not cut
    finally:
        context.close()


def test_with_the_keyboard_open_the_questions_main_button_stays_in_view(browser, live_kiosk):
    """On the box's own screen a text question, the handwriting pad and Continue are taller than 1920 px:
    the page moves up just enough, the question's label still at the top."""
    context = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN")
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js=True)
    try:
        post(page, live_kiosk.url, "/services/mediation")
        post(page, live_kiosk.url, "/request/questions/about", answer="noise")
        resident.open("/request/questions/details")
        page.locator(".keyboard").wait_for()
        for mode in ("write", "pinyin", "letters"):
            page.locator(f".keyboard__mode[data-mode={mode}]").click()
            button = page.get_by_role("button", name="继续")
            assert seen_whole(page, button, as_loaded=False)["seen"], (mode, seen_whole(page, button, as_loaded=False))
            assert seen_whole(page, page.locator("label[for=answer-details]"), as_loaded=False)["seen"], mode
        picture(page, "question-keyboard", KIOSK_SIZE)
    finally:
        context.close()
