"""Worker pages in real Chromium: a worker logs in on a phone, sees the home page and logs out; and
every worker page passes axe (WCAG 2.x A, AA and AAA) and the kiosk's own size and target checks
(tests/test_accessibility.py's MEASURE) at phone and kiosk size, in the three languages.

The live kiosk's workers are made the way an administrator makes them: `flask workers add`.
"""
import subprocess
import sys

import pytest

from .browser import ROOT, Resident
from .conftest import KIOSK_SIZE, LOCALES, PHONE_SIZE, LiveKiosk
from .test_accessibility import Auditor

pytestmark = pytest.mark.browser

PASSWORDS = {"demo-worker": "worker-password-1", "demo-admin": "admin-password-1"}


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    # Many logins from one address in one test run: the login limits are tested on their own.
    live = LiveKiosk(tmp_path_factory.mktemp("workers") / "instance", KIOSK_WORKER_LOGIN_LIMIT="1000 per hour",
                     KIOSK_WORKER_LOGIN_CLIENT_LIMIT="1000 per hour")
    for name, role in (("demo-worker", "worker"), ("demo-admin", "admin")):
        added = subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "workers", "add", name, "--role", role,
                                "--display-name", "示范社工" if role == "worker" else "示范管理员", "--password-stdin"],
                               input=PASSWORDS[name] + "\n", env=live.env, cwd=ROOT, capture_output=True, text=True)
        assert added.returncode == 0, added.stderr
    live.start()
    yield live
    live.stop()


def log_in(worker: Resident, name: str, password: str | None = None, expect_error: bool = False) -> None:
    page = worker.page
    page.locator("#login").fill(name)
    page.locator("#password").fill(PASSWORDS[name] if password is None else password)
    button = page.locator("main form button.button--primary")
    if expect_error:
        worker.tap_expecting_error(button)
    else:
        worker.tap(button)


def call_from_the_kiosk(kiosk) -> None:
    """A resident taps "Ask a worker for help" on the kiosk's own screen (a browser on this box)."""
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode({"from": "/services/repairs"}).encode()
    with urllib.request.urlopen(urllib.request.Request(kiosk.url + "/help/call", data=body), timeout=10) as reply:
        assert reply.status == 200


def open_menu(worker: Resident) -> None:
    """On a phone the worker's menu is folded behind one Menu button: tap it open (at kiosk size it is open)."""
    toggle = worker.page.locator("summary.worker-nav__toggle")
    if toggle.is_visible() and not worker.page.locator("details.worker-nav__fold[open]").count():
        toggle.click()
        worker.page.wait_for_selector("details.worker-nav__fold[open]")


def log_out(worker: Resident) -> None:
    open_menu(worker)
    worker.tap(worker.page.locator("form.worker-nav__logout button"))


def test_a_worker_logs_in_on_a_phone_and_out_again(browser, kiosk):
    context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", has_touch=True, is_mobile=True)
    page = context.new_page()
    worker = Resident(page, kiosk.url, js=True)
    try:
        worker.open("/worker/")
        assert worker.path == "/worker/login?next=/worker/"
        assert page.locator("#login").get_attribute("autocomplete") == "username"
        log_in(worker, "demo-worker")
        assert worker.path == "/worker/"
        assert page.locator("h1").inner_text() == "示范社工，您好"
        assert page.get_by_role("link", name="审计记录").count() == 0  # not an administrator
        log_out(worker)
        assert worker.path == "/worker/login?out=1"
        assert page.locator(".notice").inner_text() == "您已退出登录。"
        page.go_back()
        worker.settle()
        assert page.url.startswith(kiosk.url + "/worker/login")  # Back shows nothing of the worker's pages
    finally:
        context.close()


@pytest.mark.parametrize("size", [KIOSK_SIZE, PHONE_SIZE], ids=["kiosk", "phone"])
@pytest.mark.parametrize("locale", LOCALES)
def test_every_worker_page_is_accessible(browser, kiosk, locale, size):
    context = browser.new_context(viewport=size, bypass_csp=True)  # CSP would block injecting axe
    page = context.new_page()
    worker = Resident(page, kiosk.url, js=True)
    audit = Auditor(worker, 28 if size is KIOSK_SIZE else 24)
    try:
        worker.open("/worker/login")
        worker.choose_language(locale)
        if size is KIOSK_SIZE:  # the kiosk's own screen: its keyboard for the name, on letters; none for the password
            page.wait_for_selector(".keyboard")
            assert page.locator(".keyboard__mode[data-mode=letters]").get_attribute("aria-pressed") == "true"
            assert page.locator("#password").get_attribute("data-keys") is None
        audit("login")
        log_in(worker, "demo-admin", "not the password", expect_error=True)
        audit("login with an error")
        log_in(worker, "demo-admin")
        audit("home")
        call_from_the_kiosk(kiosk)
        open_menu(worker)
        audit("home, its menu open")
        worker.tap(page.locator(".worker-nav a[href='/worker/calls']"))
        page.wait_for_selector(".calls__call")
        audit("residents waiting")
        worker.tap(page.locator(".calls__call form button"), expect_new_page=False)
        page.wait_for_selector(".calls__note")
        audit("a call answered")
        open_menu(worker)
        worker.tap(page.locator(".worker-nav a[href='/worker/audit']"))
        audit("audit log")
        page.locator("#request").fill("Z9999")
        worker.tap_expecting_error(page.locator(".audit-filter > .actions button"))
        audit("audit log with an error")
        log_out(worker)
        audit("logged out")
        log_in(worker, "demo-worker")
        worker.open("/worker/audit")
        assert page.locator("h1").count() == 1
        audit("refused: for administrators")
        log_out(worker)
    finally:
        context.close()
    assert audit.pages == 10
    assert not audit.problems, "\n".join(audit.problems)


def test_a_call_at_the_kiosk_reaches_a_workers_phone_within_three_seconds_with_a_chime(browser, kiosk):
    """Two browsers: a worker's phone on the worker's list, the kiosk's screen where a resident asks for help."""
    import time

    phone = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", has_touch=True, is_mobile=True)
    screen = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN", has_touch=True)
    try:
        worker = Resident(phone.new_page(), kiosk.url, js=True)
        worker.open("/worker/calls")
        log_in(worker, "demo-worker")
        assert worker.path == "/worker/calls"
        chime_on = worker.page.locator(".js-chime-on")
        if chime_on.is_visible():  # a browser that plays sound only after a tap on the page asks for one
            chime_on.tap()
            assert chime_on.is_hidden()
        waiting_before = worker.page.locator(".calls__call").count()
        resident = Resident(screen.new_page(), kiosk.url, js=True)
        resident.open("/services/repairs")
        resident.tap(resident.page.locator("main form button.button--primary"))
        started = time.monotonic()
        resident.tap(resident.page.locator("footer button.button--help"))
        worker.page.wait_for_function("n => document.querySelectorAll('.calls__call').length > n",
                                      arg=waiting_before, timeout=3_000)
        took = time.monotonic() - started
        worker.page.wait_for_function("() => document.body.dataset.chimesHeard === '1'", timeout=3_000)
        assert worker.page.evaluate("document.body.dataset.chimes") == "1"
        assert "我们已经呼叫了工作人员" in resident.page.locator("main").inner_text()
        card = worker.page.locator(".calls__call").last.inner_text()
        assert "自助终端 kiosk-1" in card and "公共设施报修" in card
        print(f"the call showed on the worker's phone {took:.2f} s after the tap")
        worker.tap(worker.page.locator(".calls__call").last.locator("form button"), expect_new_page=False)
        resident.page.wait_for_selector("#help-state[data-state=answered]", timeout=3_000)
        assert "示范社工正在过来" in resident.page.locator("main").inner_text()
    finally:
        phone.close()
        screen.close()


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_the_residents_screen_names_the_worker_who_is_coming_within_two_seconds(browser, kiosk, js):
    """The kiosk's screen says "we have called a worker" until a worker taps "I am going" on their phone;
    then, by itself (htmx asking every second; without JavaScript the page's own refresh), who is coming."""
    import time

    from playwright.sync_api import expect

    phone = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", has_touch=True, is_mobile=True)
    screen = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN", has_touch=True, java_script_enabled=js)
    try:
        worker = Resident(phone.new_page(), kiosk.url, js=True)
        worker.open("/worker/calls")
        log_in(worker, "demo-worker")
        resident = Resident(screen.new_page(), kiosk.url, js=js)
        resident.open("/services/repairs")
        resident.tap(resident.page.locator("footer button.button--help"))
        main = resident.page.locator("main")
        assert "我们已经呼叫了工作人员" in main.inner_text() and "示范社工" not in main.inner_text()
        worker.page.wait_for_selector(".calls__call", timeout=5_000)
        resident.page.wait_for_timeout(2_500)  # the screen keeps asking (or refreshing): it still waits
        assert "我们已经呼叫了工作人员" in main.inner_text() and "正在过来" not in main.inner_text()
        if not js:
            assert resident.page.locator("meta[http-equiv=refresh]").count() == 1
        answer = worker.page.locator(".calls__call").last.locator("form button")
        answer.click()
        started = time.monotonic()
        expect(main).to_contain_text("示范社工正在过来", timeout=5_000)
        took = time.monotonic() - started
        print(f"{'with' if js else 'without'} JavaScript the screen named the worker {took:.2f} s after 'I am going'")
        assert "示范社工看到了您的呼叫" in main.inner_text() and "demo-worker" not in main.inner_text()
        assert took < 2.0 if js else took < 2.0 + 1.5  # without JavaScript: the next refresh (every 2 s) and its load
        if js:  # answered: the fragment asks no more
            asked = []
            resident.page.on("request", lambda r: asked.append(r.url) if "/help/state" in r.url else None)
            resident.page.wait_for_timeout(2_500)
            assert asked == [] and resident.page.locator("#help-state[data-hx-trigger]").count() == 0
        else:  # answered: no more refreshing
            assert resident.page.locator("meta[http-equiv=refresh]").count() == 0
    finally:
        phone.close()
        screen.close()


def answer_every_call(worker: Resident) -> None:
    """Leave no resident waiting (so the next call is a new one, with its chime)."""
    worker.open("/worker/calls")
    while (waiting := worker.page.locator(".calls__call").count()):
        worker.page.locator(".calls__call form button").first.click()
        worker.page.wait_for_function("n => document.querySelectorAll('.calls__call').length < n", arg=waiting)
    worker.settle()


def test_on_a_phone_the_menu_folds_and_a_call_and_i_am_going_are_on_the_first_screen(browser, kiosk):
    phone = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", has_touch=True, is_mobile=True)
    screen = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN")
    try:
        worker = Resident(phone.new_page(), kiosk.url, js=True)
        page = worker.page
        worker.open("/worker/")
        log_in(worker, "demo-worker")
        call_from_the_kiosk(kiosk)
        for path in ("/worker/", "/worker/calls"):
            worker.open(path)
            assert page.locator("summary.worker-nav__toggle").is_visible(), path  # one Menu button…
            assert page.locator(".worker-nav__link").first.is_hidden(), path  # …the menu folded behind it
            card = page.locator(".calls__call").first
            card.wait_for()
            for what, box in (("the call", card.bounding_box()), ("I am going", card.locator("form button").bounding_box())):
                assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE_SIZE["height"], (path, what, box)
            print(f"{path}: 'I am going' ends {box['y'] + box['height']:.0f} px down a {PHONE_SIZE['height']} px screen")
        open_menu(worker)
        assert page.locator(".worker-nav__link").first.is_visible()
        worker.tap(page.locator(".worker-nav a[href='/worker/worklist']"))
        assert worker.path == "/worker/worklist" and page.locator(".worker-nav__link").first.is_hidden()

        at_kiosk = Resident(screen.new_page(), kiosk.url, js=True)  # at kiosk size the menu is open, as before
        at_kiosk.open("/worker/")
        log_in(at_kiosk, "demo-admin")
        assert at_kiosk.page.locator("summary.worker-nav__toggle").is_hidden()
        assert at_kiosk.page.locator(".worker-nav__link").first.is_visible()
        assert at_kiosk.page.locator("form.worker-nav__logout button").is_visible()
        answer_every_call(worker)
    finally:
        phone.close()
        screen.close()


def test_one_tap_turns_the_chime_on_for_the_whole_login_not_each_page(browser, kiosk):
    from playwright.sync_api import expect

    phone = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", has_touch=True, is_mobile=True)
    try:
        worker = Resident(phone.new_page(), kiosk.url, js=True)
        page = worker.page
        worker.open("/worker/")
        log_in(worker, "demo-worker")
        answer_every_call(worker)
        worker.open("/worker/")
        chime_on = page.locator(".js-chime-on")
        expect(chime_on).to_be_visible()  # Chromium cannot say it will play sound untouched: it asks once
        chime_on.tap()
        expect(chime_on).to_be_hidden()
        worker.open("/worker/calls")  # a page loaded of its own, not swapped into the first
        page.wait_for_load_state("load")
        expect(chime_on).to_be_hidden()
        assert page.evaluate("document.body.dataset.chimeOn") == "1"
        call_from_the_kiosk(kiosk)
        page.wait_for_function("() => document.body.dataset.chimesHeard === '1'", timeout=5_000)  # no second tap
        page.reload()
        worker.settle()
        expect(chime_on).to_be_hidden()
        log_out(worker)
        log_in(worker, "demo-worker")
        expect(chime_on).to_be_visible()  # a new login: one tap again
        answer_every_call(worker)
    finally:
        phone.close()
