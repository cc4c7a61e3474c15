"""Small things from trying the kiosk (issue 10, item 8), in real Chromium:

- "Read aloud" is there only when scripts run; without them the page's <audio controls> is;
- a receipt printed on an 80 mm roll carries the ticket, not the kiosk's controls.
"""
import shutil
import subprocess

import pytest

from .browser import Resident, complete_service
from .conftest import KIOSK_SIZE, PHONE_SIZE

pytestmark = pytest.mark.browser

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])


@JS
@pytest.mark.parametrize("size", [KIOSK_SIZE, PHONE_SIZE], ids=["kiosk", "phone"])
def test_read_aloud_button_only_when_scripts_run(browser, live_kiosk, size, js):
    context = browser.new_context(viewport=size, java_script_enabled=js, locale="zh-CN")
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js)
    try:
        for path in ("/", "/services/repairs"):
            resident.open(path)
            page.wait_for_selector("#speech-audio", state="attached")
            assert page.locator(".js-speech-play").is_visible() is js, path
            assert page.locator("#speech-audio").is_visible() is not js, path  # the fallback, or the button
            assert page.get_by_role("button", name="读给我听").count() == (1 if js else 0), path
    finally:
        context.close()


@JS
def test_a_printed_receipt_carries_no_controls(browser, live_kiosk, js, tmp_path):
    context = browser.new_context(viewport=PHONE_SIZE, java_script_enabled=js, locale="zh-CN")
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js)
    try:
        resident.open("/")
        receipt = complete_service(resident, "feedback", "zh_Hans_CN")
        page.emulate_media(media="print")
        for selector in ("button", "audio", "summary", "form", "a.button", ".speech", "#idle-dialog"):
            shown = [el for el in page.locator(selector).all() if el.is_visible()]
            assert not shown, f"{selector} printed: {[el.evaluate('e => e.outerHTML.slice(0, 80)') for el in shown]}"
        text = page.locator("body").inner_text()
        for control in ("读给我听", "声音设置", "首页", "语言和字号", "完成", "打印"):
            assert control not in text, control
        for kept in (receipt["ticket"], receipt["code"], "投诉建议", "接下来会怎样"):
            assert kept in text, kept
        assert page.locator("svg.qr").is_visible()

        pdf = tmp_path / "receipt.pdf"
        page.pdf(path=str(pdf), width="80mm")                # the thermal roll's width, any length
        assert shutil.which("pdftotext"), "poppler-utils is missing: `make test` installs it"
        printed = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                                 check=True).stdout
        for control in ("读给我听", "声音设置", "首页", "语言和字号", "完成"):
            assert control not in printed, control
        printed = printed.replace(" ", "")                    # letter-spaced numbers come out spaced
        assert receipt["ticket"] in printed and receipt["code"] in printed and "接下来会怎样" in printed
    finally:
        context.close()
