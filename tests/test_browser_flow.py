"""A resident completes every demo service in real Chromium: kiosk and phone size, JavaScript on and
off, in all three languages; the receipt's QR code decodes to the status page, which shows the ladder."""
import re
import pytest
from babel.support import Translations

from kiosk.receipts import phone_base
from kiosk.security import lan_address

from .browser import ROOT, SERVICES, Resident, complete_service, scan_qr
from .conftest import KIOSK_SIZE, LOCALES, PHONE_SIZE

pytestmark = pytest.mark.browser


def translate(locale: str, message: str) -> str:
    return Translations.load(str(ROOT / "locales"), [locale], "messages").gettext(message)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("size", [KIOSK_SIZE, PHONE_SIZE], ids=["kiosk", "phone"])
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("code", list(SERVICES))
def test_resident_completes_service(browser, live_kiosk, code, locale, size, js):
    context = browser.new_context(viewport=size, java_script_enabled=js, locale="zh-CN")
    try:
        page = context.new_page()
        resident = Resident(page, live_kiosk.url, js)
        resident.open("/")
        resident.choose_language(locale)
        receipt = complete_service(resident, code, locale)
        assert receipt["taps"] <= 6, f"{code} took {receipt['taps']} taps"
        assert page.locator("h1").first.inner_text().strip() == translate(locale, "Your request is saved")

        status_url = scan_qr(page)  # the QR carries a signed token, never the check code
        # the kiosk's own screen is opened at 127.0.0.1, which no phone can reach: the QR names the box's
        # address on its network instead (kiosk/receipts.phone_base), on the same port
        base = phone_base(live_kiosk.url + "/", lan_address()).rstrip("/")
        assert re.fullmatch(re.escape(f"{base}/status/{receipt['ticket']}?t=") + r"[A-Za-z0-9_-]{20,}", status_url)
        assert receipt["code"] not in status_url and ("127.0.0.1" not in status_url or lan_address() is None)

        resident.open(status_url[len(base):])
        current = page.locator("[aria-current=step]")
        assert translate(locale, "Saved on this kiosk") in current.inner_text()
        assert SERVICES[code]["texts"][locale]["service_name"] in page.locator("main").inner_text()
    finally:
        context.close()


def test_htmx_swaps_pages_without_a_full_reload(browser, live_kiosk):
    context = browser.new_context(viewport=KIOSK_SIZE)
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js=True)
    resident.open("/services/repairs")
    page.evaluate("window.stillHere = 'yes'")
    resident.tap(page.locator("main form button.button--primary"))
    resident.tap(page.locator(".options button").first)
    assert page.evaluate("window.stillHere") == "yes"  # same document: htmx swapped the body
    assert resident.path == "/request/questions/where"
    page.go_back()
    page.wait_for_url("**/request/questions/what")
    resident.settle()
    assert page.locator(".option--selected").count() == 1  # Back shows the answer given
    context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_keypad_looks_a_ticket_up(browser, live_kiosk, js):
    context = browser.new_context(viewport=KIOSK_SIZE, java_script_enabled=js)
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js)
    resident.open("/")
    resident.choose_language("en")
    receipt = complete_service(resident, "repairs", "en")
    resident.tap(page.locator("form[action='/receipt/done'] button"))
    resident.open("/status")
    if js:
        page.evaluate("window.stillHere = 'yes'")
    for typed, key in enumerate(receipt["ticket"] + receipt["code"], 1):
        page.locator(f".keypad button[value='{key}']").click()
        page.wait_for_function("n => { const e = document.querySelector('#entered'); return !!e && e.value.replace(' ', '').length === n; }", arg=typed)
        resident.settle()
    assert page.locator("#entered").input_value() == f"{receipt['ticket']} {receipt['code']}"  # apart, as on the receipt
    if js:
        assert page.evaluate("window.stillHere") == "yes"  # keys swapped only the entry
    resident.tap(page.locator("main form button.button--primary"))
    assert resident.path == f"/status/{receipt['ticket']}?visit=1"  # neither the code nor a lasting token
    assert "Saved on this kiosk" in page.locator("[aria-current=step]").inner_text()
    context.close()
