"""✍ beside 🎤 under a list's 其他, in real Chromium at kiosk size, by touch alone: the field is folded away
(no keyboard opened on a page of choices), opens with the on-screen keyboard under it, takes words typed on
that keyboard, and "Send what I wrote" answers 其他 with them (a new user's walk, issue 23: a hand-writer whose
fault was not listed could only speak it). The test-client version is tests/test_other_written.py."""
from __future__ import annotations

import pytest

from .test_keyboard_browser import pick, touch_context

pytestmark = pytest.mark.browser


def test_other_written_on_the_on_screen_keyboard_answers_other_with_the_words(browser, live_kiosk):
    (resident, _), context = touch_context(browser, live_kiosk)
    page = resident.page
    try:
        resident.open("/services/repairs")
        resident.tap(page.locator("main form button.button--primary"))
        assert resident.path == "/request/questions/what"
        field = page.locator("input[name=other_words]")
        assert not field.is_visible() and not page.locator(".keyboard").is_visible()  # a page of choices: no keyboard
        page.locator(".written-other__open").tap()
        page.locator(".keyboard").wait_for()  # opened on the fold's toggle event, a moment after the tap
        assert field.is_visible() and page.locator(".keyboard").is_visible()
        assert page.evaluate("document.activeElement.name") == "other_words"
        page.locator(".keyboard__mode[data-mode=pinyin]").tap()
        for letter in "loudao":
            page.locator(f".keyboard__key[data-key={letter}]").tap()
        page.wait_for_selector(".keyboard__candidate >> text=楼道")
        pick(page, "楼道")
        for letter in "men":
            page.locator(f".keyboard__key[data-key={letter}]").tap()
        page.wait_for_selector(".keyboard__candidate >> text=门")
        pick(page, "门")
        assert field.input_value() == "楼道门"
        resident.tap(page.locator("button[name=written_other]"))
        assert resident.path == "/request/questions/where"
        resident.open("/request/questions/what")  # back at the question: 其他 is her answer, her words beside it
        assert page.locator("button.option--selected[value=other]").count() == 1
        assert field.is_visible() and field.input_value() == "楼道门"
        assert page.evaluate("window.__keys") == 0  # touch alone
    finally:
        context.close()
