"""The on-screen keyboard in real Chromium, as the kiosk's touchscreen uses it: touch only, no keyboard.

Characters are written on the pad with real touch events (Chrome DevTools' Input.dispatchTouchEvent,
which the page receives as pointer events of type "touch"), stroke by stroke, from Make Me a Hanzi's
medians; keys and candidates are tapped. A listener counts key presses: there must be none.
"""
from __future__ import annotations

import pytest

from bench.hanzi_medians import medians

from .browser import ROOT, Resident
from .conftest import KIOSK_SIZE, PHONE_SIZE, LiveKiosk

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules/axe-core/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa", "wcag22aa"]
COUNT_KEYS = "window.__keys = 0; document.addEventListener('keydown', () => window.__keys++, true);"


@pytest.fixture(scope="module")
def kiosk_with_book(tmp_path_factory):
    live = LiveKiosk(tmp_path_factory.mktemp("book") / "instance", address_book=True).start()
    yield live
    live.stop()


def touch_context(browser, kiosk):
    """A kiosk-sized touchscreen that counts key presses: (resident, DevTools session), and its context."""
    context = browser.new_context(viewport=KIOSK_SIZE, has_touch=True, locale="zh-CN", bypass_csp=True)
    context.add_init_script(COUNT_KEYS)
    page = context.new_page()
    return (Resident(page, kiosk.url, js=True), context.new_cdp_session(page)), context


@pytest.fixture
def touchscreen(browser, live_kiosk):
    screen, context = touch_context(browser, live_kiosk)
    yield screen
    context.close()


@pytest.fixture
def touchscreen_with_book(browser, kiosk_with_book):
    screen, context = touch_context(browser, kiosk_with_book)
    yield screen
    context.close()


def write(page, cdp, character: str) -> list[str]:
    """Write ``character`` on the pad with a finger; return the candidates shown."""
    pad = page.locator(".keyboard__pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    side = min(box["width"], box["height"]) * 0.8
    left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
    for stroke in medians(character):
        points = [(left + x * side / 1024, top + y * side / 1024) for x, y in stroke]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
        for x, y in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function("n => document.querySelector('.keyboard').dataset.recognised === String(n)",
                           arg=len(medians(character)), timeout=10_000)
    return page.locator(".keyboard__candidate").all_inner_texts()


def pick(page, text: str) -> None:
    page.locator(".keyboard__candidate", has_text=text).first.tap()


def axe(page) -> list[str]:
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]]


def test_a_repair_request_by_touch_alone(touchscreen):
    resident, cdp = touchscreen
    page = resident.page
    resident.open("/services/repairs")
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)
    assert resident.path == "/request/questions/where"
    page.wait_for_selector(".keyboard .keyboard__pad")  # the question's field is ready to write in
    assert axe(page) == []
    field = page.locator("[name=answer]")
    for character in "幸福":
        candidates = write(page, cdp, character)
        assert character in candidates and len(candidates) == 10
        pick(page, character)
        assert page.locator(".keyboard__candidate").count() == 0  # the pad is clear for the next one
    assert field.input_value() == "幸福"
    page.locator(".keyboard__mode[data-mode=digits]").tap()
    for key in "3-2":
        page.locator(f".keyboard__key[data-key='{key}']").tap()
    assert axe(page) == []
    page.locator(".keyboard__delete").tap()
    page.locator(".keyboard__mode[data-mode=letters]").tap()
    assert axe(page) == []
    page.locator(".keyboard__shift").tap()
    page.locator(".keyboard__key[data-key=b]").tap()
    assert field.input_value() == "幸福3-B"
    page.locator(".keyboard__clear").tap()
    assert field.input_value() == ""
    page.locator(".keyboard__clear").tap()  # the same button, now Undo
    assert field.input_value() == "幸福3-B"
    page.locator(".keyboard__done").tap()
    assert page.locator(".keyboard").count() == 0
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)

    assert resident.path == "/request/contact"
    assert page.locator(".keyboard__modes").is_hidden()  # a phone number: only the keypad
    assert page.locator(".keyboard__keys--digits .keyboard__key").count() == 12
    for digit in "13800138000":
        page.locator(f".keyboard__key[data-key='{digit}']").tap()
    assert axe(page) == []
    assert page.locator("#phone").input_value() == "13800138000"
    page.locator(".keyboard__done").tap()
    resident.tap(page.get_by_role("button", name="请打这个电话联系我"))
    assert resident.path == "/request/check"
    check = page.locator("main").inner_text()
    assert "幸福3-B" in check and "138 0013 8000" in check
    resident.tap(page.locator("main form button.button--primary"))
    assert resident.path.startswith("/receipt/")
    assert page.evaluate("window.__keys") == 0  # not one key pressed on a keyboard


def test_traditional_pages_offer_traditional_characters(touchscreen):
    resident, cdp = touchscreen
    page = resident.page
    resident.open("/")
    resident.choose_language("zh_Hant_TW")
    resident.open("/services/repairs")
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)
    candidates = write(page, cdp, "楼")
    assert "樓" in candidates and "楼" not in candidates
    pick(page, "樓")
    assert page.locator("[name=answer]").input_value() == "樓"


def test_a_slow_or_broken_recogniser_falls_back_to_the_keys(touchscreen):
    resident, cdp = touchscreen
    page = resident.page
    page.route("**/keyboard/handwriting", lambda route: route.abort())
    resident.open("/services/repairs")
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)
    pad = page.locator(".keyboard__pad")
    box = pad.bounding_box()
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": box["x"] + 50, "y": box["y"] + 200}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": box["x"] + 400, "y": box["y"] + 200}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_selector(".keyboard__mode[data-mode=pinyin][aria-pressed=true]")
    assert "请用按键" in page.locator(".keyboard__status").inner_text()
    assert page.locator(".keyboard__keys--letters").is_visible()


def test_a_phone_keeps_its_own_keyboard(browser, live_kiosk):
    context = browser.new_context(viewport=PHONE_SIZE, has_touch=True, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    try:
        resident = Resident(page, live_kiosk.url, js=True)
        resident.open("/services/repairs")
        resident.tap(page.locator("main form button.button--primary"))
        resident.tap(page.locator(".options button").first)
        field = page.locator("[name=answer]")
        field.tap()
        assert page.locator(".keyboard").count() == 0 and field.get_attribute("inputmode") is None
        field.fill("3号楼门口")
        resident.tap(page.locator("main form button.button--primary"))
        assert resident.path == "/request/questions/danger"
    finally:
        context.close()


def test_a_real_keyboard_puts_the_panel_away(touchscreen):
    resident, _ = touchscreen
    page = resident.page
    resident.open("/services/repairs")
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)
    assert page.locator(".keyboard").count() == 1
    page.locator("[name=answer]").press("A")
    assert page.locator(".keyboard").count() == 0
    assert page.locator("[name=answer]").input_value() == "A"


def test_home_care_by_touch_alone_writing_a_name_and_choosing_the_address(touchscreen_with_book):
    """The issue's walk: a name written by hand (王幸福), the address chosen from the book (estate,
    building, entrance, flat), a phone number on the keypad, the request saved — not one key pressed."""
    resident, cdp = touchscreen_with_book
    page = resident.page
    resident.open("/services/home-care")
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)
    resident.tap(page.locator(".options button").first)
    assert resident.path == "/request/about-you"
    for character in "王幸福":
        assert character in write(page, cdp, character)
        pick(page, character)
    assert page.locator("#name").input_value() == "王幸福"
    page.locator(".keyboard__done").tap()
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator("button[name=estate][value=幸福里小区]"))
    assert axe(page) == []
    resident.tap(page.get_by_role("button", name="3号楼"))
    resident.tap(page.get_by_role("button", name="2单元"))
    resident.tap(page.get_by_role("button", name="501室"))
    assert resident.path == "/request/contact"
    for digit in "13800138000":
        page.locator(f".keyboard__key[data-key='{digit}']").tap()
    page.locator(".keyboard__done").tap()
    resident.tap(page.get_by_role("button", name="请打这个电话联系我"))
    check = page.locator("main").inner_text()
    assert "王幸福" in check and "幸福里小区3号楼2单元501室" in check and "138 0013 8000" in check
    resident.tap(page.locator("main form button.button--primary"))
    assert resident.path.startswith("/receipt/")
    assert page.evaluate("window.__keys") == 0


def test_pinyin_by_touch(touchscreen):
    resident, _ = touchscreen
    page = resident.page
    resident.open("/services/repairs")
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)
    page.locator(".keyboard__mode[data-mode=pinyin]").tap()
    for letter in "loudao":
        page.locator(f".keyboard__key[data-key={letter}]").tap()
    assert page.locator(".keyboard__composing").inner_text() == "loudao"
    page.wait_for_selector(".keyboard__candidate >> text=楼道")
    assert axe(page) == []
    pick(page, "楼道")
    assert page.locator("[name=answer]").input_value() == "楼道"
    assert page.locator(".keyboard__composing").inner_text() == ""
    for letter in "deng":
        page.locator(f".keyboard__key[data-key={letter}]").tap()
    page.wait_for_selector(".keyboard__candidate >> text=灯")
    page.locator(".keyboard__space").tap()  # space takes the first candidate
    assert page.locator("[name=answer]").input_value() == "楼道灯"
    for letter in "huaile":  # two syllables in one go: the row offers them as one (issue 23)
        page.locator(f".keyboard__key[data-key={letter}]").tap()
    page.wait_for_selector(".keyboard__candidate >> text=坏了")
    page.locator(".keyboard__space").tap()
    assert page.locator("[name=answer]").input_value() == "楼道灯坏了"
    assert page.locator(".keyboard__composing").inner_text() == ""
    assert page.evaluate("window.__keys") == 0


@pytest.mark.parametrize("locale, written, typed", [("zh_Hans_CN", "楼", "灯"), ("zh_Hant_TW", "樓", "燈")])
def test_every_demo_service_by_touch_alone(touchscreen_with_book, locale, written, typed):
    """The issue's "done when": every demo service completed at the touchscreen by tapping, writing
    (one character by hand, one by pinyin) and choosing, in Simplified and in Traditional script."""
    from .browser import SERVICES

    resident, cdp = touchscreen_with_book
    page = resident.page
    primary = page.locator("main form button.button--primary")
    written_in = set()
    resident.open("/")
    resident.choose_language(locale)
    for code in SERVICES:
        resident.open(f"/services/{code}")
        resident.tap(primary)
        wrote = False
        for _ in range(15):
            path = resident.path
            if path.startswith("/receipt/"):
                break
            if page.locator(".keyboard").count() and page.locator("main [data-keys=text]").count():
                field = page.locator("main [data-keys=text]").first
                assert written in write(page, cdp, "楼")  # the recogniser is Simplified; the page is not
                pick(page, written)
                page.locator(".keyboard__mode[data-mode=pinyin]").tap()
                for letter in "deng":
                    page.locator(f".keyboard__key[data-key={letter}]").tap()
                page.wait_for_selector(f".keyboard__candidate >> text={typed}")
                pick(page, typed)
                assert field.input_value().endswith(written + typed)
                wrote = True
                written_in.add(code)
                page.locator(".keyboard__mode[data-mode=write]").tap()
                page.locator(".keyboard__done").tap()
                resident.tap(primary)
            elif page.locator("main .options button").count():
                resident.tap(page.locator("main .options button").first)
            elif path == "/request/contact":
                resident.tap(page.locator("button[value=centre]"))
            elif path == "/request/check":
                assert not wrote or written + typed in page.locator("main").inner_text()
                resident.tap(primary)
            else:
                raise AssertionError(f"{code}: nothing to tap on {path}")
        assert resident.path.startswith("/receipt/"), (code, resident.path)
    assert page.evaluate("window.__keys") == 0
    # names (pension, home care, meals, subsidy) and free text (mediation, feedback) were written
    assert written_in == {"pension-cert", "home-care", "meal-errand", "disability-subsidy", "mediation", "feedback"}


def test_with_every_page_read_keys_are_spoken_as_they_are_tapped(touchscreen):
    resident, _ = touchscreen
    page = resident.page
    resident.open("/speech?next=/")
    resident.tap(page.locator("button[name=always][value=on]"), expect_new_page=False)
    resident.open("/services/repairs")
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)
    assert page.locator(".keyboard").get_attribute("data-speak-keys") == "1"
    page.locator(".keyboard__mode[data-mode=digits]").tap()
    with page.expect_response(lambda r: "/keyboard/say?text=5" in r.url) as spoken:
        page.locator(".keyboard__key[data-key='5']").tap()
    assert spoken.value.status in (200, 206) and spoken.value.headers["content-type"].startswith("audio/")
    page.locator(".keyboard__key[data-key='6']").tap()
    with page.expect_response(lambda r: "/keyboard/say?text=56" in r.url):
        page.locator(".keyboard__read").tap()  # Read what I typed
