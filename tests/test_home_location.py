"""Her home as the request's location (issue 21, item 3): only where the county locates a home visit by
the resident's address (``KIOSK_COUNTY_LOCATION=home``), only for a service that asks where she lives,
and only with her yes, asked on a page of its own. Without it, exactly today's request: the centre's place."""
from __future__ import annotations

import json

import pytest

from core import personal, submissions
from engines.speech.page_text import page_text
from core.catalogue import get_service
from kiosk.db import get_db
from kiosk.voice_cli import prompt_pages
from sync.process import make_engine

from .conftest import KIOSK_SIZE, LOCALES, LiveKiosk
from .flows import answer_for, confirm
from .html_check import nu_problems
from .test_accessibility import AXE, MEASURE, TAGS
from .test_sent_as_confirmed import Recording

HOME = "3号楼2单元501室"
CENTRE = {"LOCATION": "幸福里社区服务中心", "CENTRE_LAT": "31.2304", "CENTRE_LONG": "121.4737"}
PUBLIC = "/request/about-you/address/public"


def walk_to_consent(client, service) -> object:
    """Start the service and answer up to where she lives; the reply to the about-you page."""
    response = client.post(f"/services/{service.code}")
    for question in service.questions:
        response = client.post(response.headers["Location"], data={"answer": answer_for(question)})
    assert response.headers["Location"] == "/request/about-you"
    return client.post("/request/about-you", data={"name": "王秀兰", "address": HOME})


def send(app, county) -> dict:
    """One sync run against the county; what it holds of the one request."""
    app.config.update(COUNTY_URL=county.url)
    with app.app_context():
        engine = make_engine(app.config, get_db())
        engine.client.transport = sent = Recording(timeout=5)
        assert engine.run("manual", ignore_backoff=True).accepted == 1
    (post,) = [p for p in sent.posts if "description" in p]
    (row,) = county.query("SELECT address_string, description, attributes FROM requests")
    return {"address": row[0], "lat": post.get("lat"), "long": post.get("long"), "description": row[1],
            "attributes": json.loads(row[2] or "{}")}


@pytest.mark.slow
@pytest.mark.parametrize("code", ["home-care", "meal-errand"])
def test_with_her_yes_the_county_holds_her_address_as_the_location(app, client, county, code):
    app.config.update(COUNTY_LOCATION="home", **CENTRE)
    with app.app_context():
        service = get_service(get_db(), code, "zh_Hans_CN")
    response = walk_to_consent(client, service)
    assert response.headers["Location"] == PUBLIC  # asked next, on a page of its own
    page = client.get(PUBLIC).get_data(as_text=True)
    assert "公开" in page and 'value="yes"' in page and 'value="no"' in page and "option--selected" not in page
    assert 'href="/request/about-you/address"' in page  # Back: where she lives
    spoken = page_text(page, "mandarin")  # Read aloud says what the page shows: the question, why, both answers
    assert all(words in spoken for words in ("可以在县平台公开的诉求列表上显示您的地址吗？", "上门的工作人员就能找到您家",
                                             "是，公开我的地址", "否，不公开"))
    with app.app_context():  # and `flask voice build` pre-renders it with every other page's prompt
        assert spoken in [page_text(html, "mandarin") for html in prompt_pages(app, "zh_Hans_CN")]
    assert client.post(PUBLIC, data={"answer": "yes"}).headers["Location"] == "/request/contact"
    assert f'href="{PUBLIC}"' in client.get("/request/contact").get_data(as_text=True)  # Back from contact
    client.post("/request/contact", data={"contact": "centre"})
    check = client.get("/request/check").get_data(as_text=True)
    assert f'{PUBLIC}?return=check' in check and "是，公开我的地址" in check
    ticket, _ = confirm(client)
    with app.app_context():
        saved = submissions.by_ticket(get_db(), ticket)
        assert personal.load_for_request(get_db(), saved.id)[personal.ADDRESS_PUBLIC] == "yes"
    held = send(app, county)
    assert held["address"] == HOME
    assert not held["lat"] and not held["long"]  # the centre's point would show the wrong place: none sent
    assert ticket in held["description"] and HOME not in held["description"]  # the description as today


@pytest.mark.slow
def test_with_her_no_the_county_holds_the_centres_place(app, client, county):
    app.config.update(COUNTY_LOCATION="home", **CENTRE)
    with app.app_context():
        service = get_service(get_db(), "home-care", "zh_Hans_CN")
    walk_to_consent(client, service)
    assert client.post(PUBLIC, data={"answer": "maybe"}).status_code == 422  # neither: asked again
    client.post(PUBLIC, data={"answer": "yes"})
    client.post("/request/contact", data={"contact": "centre"})
    # she changes her mind from the check page: the page shows her answer, and back to the check page
    page = client.get(f"{PUBLIC}?return=check").get_data(as_text=True)
    assert "option--selected" in page and 'href="/request/check"' in page
    assert client.post(PUBLIC, data={"answer": "no", "return": "check"}).headers["Location"] == "/request/check"
    assert "否，不公开" in client.get("/request/check").get_data(as_text=True)
    confirm(client)
    held = send(app, county)
    assert (held["address"], str(held["lat"]), str(held["long"])) == (CENTRE["LOCATION"], "31.2304", "121.4737")
    assert held["attributes"].get("home_address") == HOME  # private, as today


@pytest.mark.slow
def test_without_the_setting_no_question_and_todays_request(app, client, county):
    app.config.update(**CENTRE)  # KIOSK_COUNTY_LOCATION: either, the default
    with app.app_context():
        service = get_service(get_db(), "home-care", "zh_Hans_CN")
    assert walk_to_consent(client, service).headers["Location"] == "/request/contact"
    assert client.get(PUBLIC).headers["Location"] == "/request/contact"  # no such page here
    client.post("/request/contact", data={"contact": "centre"})
    assert PUBLIC not in client.get("/request/check").get_data(as_text=True)
    confirm(client)
    held = send(app, county)
    assert (held["address"], str(held["lat"]), str(held["long"])) == (CENTRE["LOCATION"], "31.2304", "121.4737")


def test_a_service_that_does_not_ask_where_she_lives_never_asks(app, client):
    app.config.update(COUNTY_LOCATION="home")
    with app.app_context():
        service = get_service(get_db(), "pension-cert", "zh_Hans_CN")  # needs her name, not her address
    response = client.post(f"/services/{service.code}")
    for question in service.questions:
        response = client.post(response.headers["Location"], data={"answer": answer_for(question)})
    assert client.post("/request/about-you", data={"name": "王秀兰"}).headers["Location"] == "/request/contact"


def test_the_consent_page_is_valid_html_in_every_language(app, tmp_path):
    app.config.update(COUNTY_LOCATION="home")
    pages = {}
    for locale in LOCALES:
        client = app.test_client()
        client.post("/language", data={"locale": locale})
        with app.app_context():
            walk_to_consent(client, get_service(get_db(), "home-care", locale))
        shown, refused = client.get(PUBLIC), client.post(PUBLIC, data={})
        assert (shown.status_code, refused.status_code) == (200, 422)
        pages[f"{locale}-home-public"], pages[f"{locale}-home-public-error"] = (
            shown.get_data(as_text=True), refused.get_data(as_text=True))
        client.post(PUBLIC, data={"answer": "no"})
        client.post("/request/contact", data={"contact": "centre"})
        pages[f"{locale}-check-with-home-public"] = client.get("/request/check").get_data(as_text=True)
    assert nu_problems(pages, tmp_path) == []


@pytest.fixture(scope="module")
def home_kiosk(tmp_path_factory):
    live = LiveKiosk(tmp_path_factory.mktemp("home") / "instance", KIOSK_COUNTY_LOCATION="home").start()
    yield live
    live.stop()


@pytest.mark.browser
def test_the_consent_page_by_keys_alone_with_axe(browser, home_kiosk):
    """Tab to Yes or No and press Enter; zero axe violations (WCAG 2.x A, AA, AAA) and the kiosk's own rules."""
    from .browser import Resident

    context = browser.new_context(viewport=KIOSK_SIZE, bypass_csp=True)
    page = context.new_page()
    try:
        resident = Resident(page, home_kiosk.url, js=True)
        resident.open("/services/home-care")
        resident.tap(page.locator("main form button.button--primary"))
        while "/request/questions/" in page.url:
            resident.tap(page.locator(".options button").first)
        page.locator("#name").fill("王秀兰")
        page.locator("#address").fill(HOME)
        resident.tap(page.locator("main form button.button--primary"))
        assert page.url.endswith(PUBLIC)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        assert [v["id"] for v in result["violations"]] == []
        assert page.evaluate(MEASURE, 28) == []  # text 28 px, line height 1.5, targets 64 px and 8 px apart
        for _ in range(40):  # Tab through the page until the "No" button has the focus
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.value") == "no":
                break
        else:
            pytest.fail("Tab never reached No")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: url.endswith("/request/contact"))
        resident.settle()
        page.go_back()
        resident.settle()
        assert "option--selected" in page.locator("button[value=no]").get_attribute("class")
    finally:
        context.close()


def test_the_setting_is_checked_and_check_county_says_what_follows(app, runner, county, tmp_path):
    from core import config

    assert config.load(str(tmp_path), {"KIOSK_COUNTY_LOCATION": "home"})["COUNTY_LOCATION"] == "home"
    with pytest.raises(ValueError):
        config.load(str(tmp_path), {"KIOSK_COUNTY_LOCATION": "house"})
    app.config.update(COUNTY_URL=county.url, COUNTY_LOCATION="home", LOCATION=CENTRE["LOCATION"])
    out = runner.invoke(args=["sync", "check-county"]).output
    assert "ok     Location: The county locates a home visit by the resident's address" in out
    assert "asks her whether the county may show that address on its public list" in out
    from .worker_helpers import add_accounts, log_in  # and a worker reads it on the health page

    add_accounts(app)
    worker = app.test_client()
    log_in(worker, "alice")
    page = worker.get("/worker/health", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "幸福里社区服务中心; for a home visit, the resident&#39;s address where she said yes" in page


def test_a_worker_filling_in_for_her_asks_the_same_question(app):
    """Assisted filing (代办) walks the resident's own pages: the question comes after where she lives,
    her answer is read back on the worker's page, and her yes makes her home the request's location."""
    from .worker_helpers import add_accounts, log_in

    app.config.update(COUNTY_LOCATION="home", **CENTRE)
    add_accounts(app)
    worker = app.test_client()
    worker.environ_base.update({"REMOTE_ADDR": "192.168.1.23"})  # her phone on the centre's Wi-Fi
    log_in(worker, "alice", REMOTE_ADDR="192.168.1.23")
    worker.post("/language", data={"locale": "en"})
    with app.app_context():
        service = get_service(get_db(), "home-care", "zh_Hans_CN")
    response = worker.post("/worker/assist/start", data={"service": service.code})
    for question in service.questions:
        response = worker.post(response.headers["Location"], data={"answer": answer_for(question)})
    assert worker.post("/request/about-you", data={"name": "王秀兰", "address": HOME}).headers["Location"] == PUBLIC
    assert "May the county show your address" in worker.get(PUBLIC).get_data(as_text=True)
    worker.post(PUBLIC, data={"answer": "yes"})
    worker.post("/request/contact", data={"contact": "centre"})
    assert "Yes, show my address" in worker.get("/worker/assist/verbal").get_data(as_text=True)
    saved = worker.post("/worker/assist/verbal", data={"how": "phone", "sure": "yes"})
    ticket = saved.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        request_id = submissions.by_ticket(get_db(), ticket).id
        wording = submissions.wording_of(get_db(), request_id)
    assert (wording.address, wording.lat, wording.long) == (HOME, "", "")


def test_her_home_is_the_place_only_with_the_setting_and_her_yes():
    from core.wording import Centre, Place

    centre = Place(CENTRE["LOCATION"], CENTRE["CENTRE_LAT"], CENTRE["CENTRE_LONG"])
    yes = {"address": HOME, personal.ADDRESS_PUBLIC: "yes"}
    home = Centre(centre, home=True).place_for(yes)
    assert (str(home), home.lat, home.long) == (HOME, "", "")
    for setting, details in ((True, {"address": HOME, personal.ADDRESS_PUBLIC: "no"}), (True, {"address": HOME}),
                             (True, {personal.ADDRESS_PUBLIC: "yes"}), (True, None), (False, yes)):
        place = Centre(centre, home=setting).place_for(details)
        assert (str(place), place.lat, place.long) == (CENTRE["LOCATION"], "31.2304", "121.4737"), (setting, details)
