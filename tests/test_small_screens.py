"""Small things from trying the kiosk (issue 10, item 8), in real Chromium:

- "Read aloud" is there only when scripts run; without them the page's <audio controls> is.
"""
import pytest

from .browser import Resident
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
