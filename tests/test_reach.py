"""The box's screen within a seated resident's reach (issue 24, item 3): with ``KIOSK_REACH=seated``
the essential controls (Home, language, text size, Read aloud, Voice settings, Ask a worker for help)
lie in the rows of a 1080×1920 portrait screen that are 380–1220 mm above the floor (core/reach.py:
a 27-inch panel, 598 mm tall, its bottom edge at 900 mm), on the start page, a service page, a question
page and the receipt, with JavaScript and without, at normal and largest text; nothing of the page's
main button is under them; axe finds nothing. Without the setting the page is as before, and a phone
(375×667) sees no change with it.

``SCREENSHOT_DIR=<folder>`` keeps a picture of each page measured.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core import config, reach

from .browser import Resident
from .conftest import KIOSK_SIZE, PHONE_SIZE, LiveKiosk
from .test_accessibility import Auditor

BAND = reach.band(900, 598, 1220)

#: Each essential control in the bar, and where it is without it (the same element, moved).
CONTROLS = {
    "Home": "button[name=why][value=home]",
    "简体中文": "button[name=locale][value=zh_Hans_CN]",
    "繁體中文": "button[name=locale][value=zh_Hant_TW]",
    "English": "button[name=locale][value=en]",
    "A": "button[name=size][value='0']",
    "A+": "button[name=size][value='1']",
    "A++": "button[name=size][value='2']",
    "Voice settings": ".speech__settings",  # a link, or on a question page a button of its form (kiosk/resident/leaving.py)
    "Ask a worker for help": ".button--help",
}
READ_ALOUD = {True: ".js-speech-play", False: "#speech-audio"}  # without JavaScript the audio's own controls


def test_the_band_of_a_27_inch_portrait_screen_900_mm_up():
    """1220 mm is 320 mm above the picture's bottom edge: 320 / (598 / 1920) = 1027.4 px, so rows 893 to
    1920 are within reach and the top 893 px (the header's place) are not."""
    assert BAND == (893, 1920)
    assert reach.band(900, 598, 1120) == (1214, 1920)  # reach over a deep obstruction
    assert reach.band(300, 598, 1220) == (0, 1663)  # a screen so low that its bottom is under 380 mm
    assert reach.check(900, 598, 1220) == BAND


def test_the_setting_is_off_by_default_and_a_mounting_the_bar_cannot_fit_stops_the_kiosk(tmp_path):
    assert config.load(str(tmp_path), {})["REACH"] == 0
    on = config.load(str(tmp_path), {"KIOSK_REACH": "seated"})
    assert (on["REACH"], on["REACH_BAND"]) == (1220, BAND)
    assert config.load(str(tmp_path), {"KIOSK_REACH": "1120"})["REACH_BAND"] == (1214, 1920)
    for env, words in (({"KIOSK_REACH": "low"}, "not off, seated"),
                       ({"KIOSK_REACH": "seated", "KIOSK_SCREEN_BOTTOM_MM": "1100"}, "the bar needs"),
                       ({"KIOSK_REACH": "seated", "KIOSK_SCREEN_BOTTOM_MM": "300"}, "below the lowest reach")):
        with pytest.raises(ValueError, match=words):
            config.load(str(tmp_path), env)


def test_a_phone_never_gets_the_bar(app, client):
    """The bar is for the box's own screen: a phone on the Wi-Fi gets the page as it always was."""
    phone = {"REMOTE_ADDR": "192.168.1.23"}
    before = client.get("/services/mediation", environ_base=phone).get_data(as_text=True)
    app.config["REACH"] = 1220
    with_setting = client.get("/services/mediation", environ_base=phone).get_data(as_text=True)
    assert with_setting == before and 'class="site-header"' in before and "reach-bar" not in before
    on_the_box = client.get("/services/mediation").get_data(as_text=True)
    assert on_the_box.count('class="site-header"') == 1 and "reach-bar" in on_the_box
    assert on_the_box.index("</main>") < on_the_box.index('class="site-header"')  # in the bar, after the page


@pytest.fixture(scope="module")
def seated(tmp_path_factory):
    live = LiveKiosk(tmp_path_factory.mktemp("reach") / "instance", KIOSK_REACH="seated").start()
    yield live
    live.stop()


def picture(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        size = page.viewport_size
        page.screenshot(path=str(Path(folder) / f"{name}-{size['width']}x{size['height']}.png"))


def post(page, base: str, path: str, **data) -> None:
    """A step of the form as the page would send it (the walk to the pages measured, not what is measured)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.request.get(base + path).text())
    assert page.request.post(base + path, form={"csrf_token": token.group(1) if token else "", **data}).ok, path


def box(locator) -> dict:
    return locator.evaluate("e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, "
                            "left: r.left, right: r.right, scrolled: window.scrollY}; }")


def out_of_reach(page, js: bool) -> list[str]:
    """Every essential control not wholly inside the band (as the page loaded), or under something else."""
    problems = []
    top, bottom = BAND
    for name, selector in {**CONTROLS, "Read aloud": READ_ALOUD[js]}.items():
        found = page.locator(selector)
        if not found.count():
            problems.append(f"{name}: not on the page")
            continue
        r = box(found.first)
        if not (r["top"] >= top and r["bottom"] <= bottom and r["left"] >= 0 and r["right"] <= 1080):
            problems.append(f"{name}: {r}")
    return problems


def main_buttons_clear(page, selectors, as_loaded: bool = True) -> list[str]:
    """The page's main button(s): inside the screen as loaded (or, with the on-screen keyboard open, as the
    page stands: it moves up just enough), and not under the bar."""
    problems = []
    bar = box(page.locator(".reach-bar"))
    for selector in selectors:
        button = page.locator(selector).first
        r = box(button)
        if not (r["top"] >= 0 and r["bottom"] <= bar["top"] and (r["scrolled"] == 0 or not as_loaded)):
            problems.append(f"{selector}: {r}, bar at {bar['top']}")
        if not button.evaluate("e => { const r = e.getBoundingClientRect(); "
                               "return e.contains(document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2)); }"):
            problems.append(f"{selector}: something lies over it")
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_the_essential_controls_are_within_a_seated_residents_reach(browser, seated, js):
    context = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN", java_script_enabled=js)
    page = context.new_page()
    resident = Resident(page, seated.url, js=js)
    problems: list[str] = []
    tag = "reach-on" + ("" if js else "-nojs")
    try:
        resident.open("/")
        problems += [f"start: {p}" for p in out_of_reach(page, js)]
        picture(page, f"start-{tag}")
        resident.open("/services/mediation")
        problems += [f"service: {p}" for p in out_of_reach(page, js)]
        problems += [f"service: {p}" for p in main_buttons_clear(page, ["main form button.button--primary"])]
        picture(page, f"service-{tag}")
        post(page, seated.url, "/services/mediation")
        post(page, seated.url, "/request/questions/about", answer="noise")
        resident.open("/request/questions/details")
        problems += [f"question: {p}" for p in out_of_reach(page, js)]
        if js:  # the box's own screen: the on-screen keyboard is open under the field, which stays in view
            page.locator(".keyboard").wait_for()
            assert box(page.locator("#answer-details"))["top"] >= 0
        problems += [f"question: {p}" for p in main_buttons_clear(page, ["main form button.button--primary"], as_loaded=not js)]
        picture(page, f"question-{tag}")
        post(page, seated.url, "/request/questions/details", answer="楼上每晚很吵")
        post(page, seated.url, "/request/contact", contact="centre")
        resident.open("/request/check")
        resident.tap(page.locator("main form button.button--primary"))
        assert resident.path.startswith("/receipt/"), resident.path
        problems += [f"receipt: {p}" for p in out_of_reach(page, js)]
        problems += [f"receipt: {p}" for p in main_buttons_clear(page, ["#ticket-number", "main .receipt-actions .button:visible"])]
        picture(page, f"receipt-{tag}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()


@pytest.mark.browser
def test_at_the_largest_text_the_bar_still_fits_the_band_and_axe_finds_nothing(browser, seated):
    context = browser.new_context(viewport=KIOSK_SIZE, locale="en", bypass_csp=True)  # CSP would block injecting axe
    page = context.new_page()
    resident = Resident(page, seated.url, js=True)
    audit = Auditor(resident, 28)
    problems: list[str] = []

    def audit_at_the_end(name: str) -> None:
        """axe and the kiosk's own rules, scrolled to the page's end: there the bar is in its own place, under
        everything (higher up, the page scrolls beneath it and out again, never hidden for good)."""
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        audit(name)
    try:
        for size in (0, 2):
            resident.open("/")
            resident.choose_text_size(size)
            problems += [f"start A{'+' * size}: {p}" for p in out_of_reach(page, True)]
            bar = box(page.locator(".reach-bar"))
            assert bar["bottom"] - bar["top"] <= reach.BAR_PX, bar  # what core/reach.py lets a mounting leave for it
            audit_at_the_end(f"start A{'+' * size}")
            resident.open("/services/mediation")
            problems += [f"service A{'+' * size}: {p}" for p in out_of_reach(page, True)]
            problems += [f"service A{'+' * size}: {p}" for p in main_buttons_clear(page, ["main form button.button--primary"])]
            audit_at_the_end(f"service A{'+' * size}")
            picture(page, f"service-reach-on-text{size}")
        resident.choose_text_size(0)
        resident.open("/status")
        audit_at_the_end("status look-up")
        problems += audit.problems
        assert not problems, "\n".join(problems)
    finally:
        context.close()


@pytest.mark.browser
def test_without_the_setting_the_header_is_on_top_and_a_phone_sees_no_change(browser, seated, live_kiosk):
    """Off (the default): the header at the top of the screen as always, Read aloud at the top of the page,
    no bar. On, at 375×667: the whole page is the same picture, pixel for pixel."""
    context = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN")
    page = context.new_page()
    try:
        for path in ("/", "/services/mediation"):
            page.goto(live_kiosk.url + path)
            assert not page.locator(".reach-bar").count()
            assert box(page.locator(".site-header"))["top"] == 0
            assert box(page.locator(CONTROLS["Home"]))["bottom"] < BAND[0]  # the reason for the setting
            assert box(page.locator("main .speech"))["top"] < 300
        picture(page, "service-reach-off")
    finally:
        context.close()
    for path in ("/", "/services/mediation"):
        shots = []
        for kiosk in (live_kiosk, seated):
            context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN")
            page = context.new_page()
            page.goto(kiosk.url + path)
            Resident(page, kiosk.url, js=True).settle()
            shots.append(page.screenshot(full_page=True))
            picture(page, f"{path.strip('/').replace('/', '-') or 'start'}-phone-{'on' if kiosk is seated else 'off'}")
            context.close()
        assert shots[0] == shots[1], path
