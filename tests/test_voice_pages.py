"""Every resident page can read itself aloud: the page's own words become audio that Chromium can play,
in each language; the speech settings change the voice; nothing plays unless asked."""
import pytest

from engines.speech.page_text import page_text

from .browser import Resident, complete_service
from .conftest import KIOSK_SIZE, LOCALES

pytestmark = pytest.mark.browser


def test_page_text_is_what_main_shows(client):
    html = client.get("/services/repairs", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    text = page_text(html, "mandarin")
    assert text.startswith("公共设施报修")  # the Back link is for eyes and fingers, not read out
    assert "读给我听" not in text and "首页" not in text  # the speech panel and the header are not read
    assert "需要带什么" in text and "开始办理" in text


def test_check_page_reads_questions_and_answers_without_the_change_links(app, client):
    from .flows import fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db

    client.post("/language", data={"locale": "zh_Hans_CN"})
    with app.app_context():
        fill_service(client, get_service(get_db(), "home-care", "zh_Hans_CN"))
    text = page_text(client.get("/request/check").get_data(as_text=True), "mandarin")
    assert "您最需要哪种帮助？ 打扫卫生。 多久一次？ 只要一次。 您的姓名。 王秀兰。" in text
    assert "修改" not in text


def test_receipt_spells_the_ticket_and_pages_get_audio(app, client):
    from .flows import confirm, fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db

    with app.app_context():
        fill_service(client, get_service(get_db(), "repairs", "zh_Hans_CN"))
    ticket, code = confirm(client)
    html = client.get(f"/receipt/{ticket}").get_data(as_text=True)
    text = page_text(html, "mandarin")
    assert "，".join(ticket) in text and "，".join(code) in text
    src = html.split('id="speech-audio" controls preload="none" src="')[1].split('"')[0]
    assert src.startswith("/voice/")
    audio = client.get(src)
    assert audio.status_code == 200 and audio.headers["Cache-Control"] == "no-store"
    assert audio.mimetype in ("audio/ogg", "audio/wav") and len(audio.data) > 1000
    assert client.get("/voice/0123456789abcdef").status_code == 404


def test_prerendered_audio_is_cached_for_good_by_browsers(app, client, tmp_path):
    from kiosk.voice_views import cache_for

    html = client.get("/help", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    public = cache_for(app, private=False)
    text = page_text(html, "mandarin")
    existed = public.path(text, "mandarin").exists()
    path = public.get(text, "mandarin")  # as `flask voice build` would
    try:
        html = client.get("/help", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        src = html.split('id="speech-audio" controls preload="none" src="')[1].split('"')[0]
        assert src == f"/static/audio/{path.name}"
        reply = client.get(src)
        assert reply.status_code == 200 and "immutable" in reply.headers["Cache-Control"]
    finally:
        if not existed:
            path.unlink()


def test_speech_settings(client):
    client.post("/language", data={"locale": "zh_Hant_TW"})
    page = client.get("/speech?next=/help").get_data(as_text=True)
    assert 'value="mandarin" class="button option option--selected"' in page  # the script does not decide the speech
    response = client.post("/speech", data={"speech": "cantonese", "speed": "slow", "next": "/help"})
    assert response.headers["Location"].startswith("/speech?next=")
    page = client.get("/speech?next=/help").get_data(as_text=True)
    assert 'value="cantonese" class="button option option--selected"' in page
    assert 'value="slow" class="button option option--selected"' in page
    assert "data-autoplay" not in client.get("/help").get_data(as_text=True)
    client.post("/speech", data={"always": "on", "next": "/help"})
    assert "data-autoplay" in client.get("/help").get_data(as_text=True)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("locale", LOCALES)
def test_read_aloud_plays_on_start_question_and_receipt(browser, live_kiosk, locale, js):
    context = browser.new_context(viewport=KIOSK_SIZE, java_script_enabled=js)
    page = context.new_page()
    resident = Resident(page, live_kiosk.url, js)
    try:
        resident.open("/")
        resident.choose_language(locale)

        def audio_duration() -> float:
            page.wait_for_selector("#speech-audio", state="attached")
            if not js:  # no page scripts: the plain <audio controls> fallback must point at real audio
                assert page.locator("audio#speech-audio[controls]").is_visible()
                reply = page.request.get(live_kiosk.url + page.locator("#speech-audio").get_attribute("src"))
                assert reply.ok and reply.headers["content-type"] in ("audio/ogg", "audio/wav")
                return len(reply.body()) / 1000  # kB, a stand-in: the duration needs the media element
            assert page.evaluate("document.querySelector('#speech-audio').paused")  # never plays by itself
            page.evaluate("a => { a.preload = 'auto'; a.load(); }", page.query_selector("#speech-audio"))
            page.wait_for_function("() => { const a = document.querySelector('#speech-audio');"
                                   " return a.error || (isFinite(a.duration) && a.duration > 0); }", timeout=15_000)
            error = page.evaluate("(() => { const a = document.querySelector('#speech-audio'); return a.error && [a.error.code, a.currentSrc]; })()")
            assert not error, error
            return page.evaluate("document.querySelector('#speech-audio').duration")

        assert audio_duration() > 1                      # the start page
        if js:
            assert page.locator(".js-speech-play").is_visible()
        resident.open("/services/repairs")
        resident.tap(page.locator("main form button.button--primary"))
        assert audio_duration() > 0.5                    # a question page
        resident.open("/")
        receipt = complete_service(resident, "feedback", locale)
        assert receipt["ticket"]
        assert audio_duration() > 2                      # the receipt, with the ticket spelled out
    finally:
        context.close()
