"""Who may read what at the reference county: requests and tokens only with a valid key, the shipped
demo key only in demo mode, and what a keyed reader gets is a request's public fields — never a
resident's name, phone or home address, which the kiosk sends in fields Open311 keeps private."""
import base64
import json

import pytest
import requests

from core import drafts, submissions
from core.actions import resident
from kiosk.db import get_db

from .conftest import LiveCounty, county_query
from .sync_helpers import engine_for

pytestmark = pytest.mark.county_backends  # the same Open311 answers on SQLite and on PostgreSQL

KEY = "demo-kiosk-key"
RESIDENT = {"name": "王秀英", "address": "幸福路 12 号 3 单元 501", "phone": "13800138000", "contact": "phone"}
REPAIRS = {"service_code": "repairs", "address_string": "社区服务中心", "description": "楼道灯坏了",
           "attribute[what]": "light", "attribute[where]": "3号楼", "attribute[danger]": "no"}


def post(client, **form):
    return client.post("/requests.json", data={"api_key": KEY, **REPAIRS, **form})


def stored(app) -> int:
    return county_query(app.config, "SELECT COUNT(*) FROM requests")[0][0]


@pytest.mark.parametrize("path", ["/requests.json", "/requests/C000001.json", "/requests.json?service_request_id=C000001",
                                  "/requests.json?kiosk_uuid=u-1", "/tokens/t-1.json"])
def test_reads_of_requests_and_tokens_need_a_valid_key(county_app, path):
    client = county_app.test_client()
    post(client, **{"attribute[kiosk_uuid]": "u-1"})
    joiner = "&" if "?" in path else "?"
    anonymous = client.get(path)
    assert anonymous.status_code == 403 and anonymous.get_json() == [{"code": 403, "description": "api_key required"}]
    wrong = client.get(f"{path}{joiner}api_key=not-the-key")
    assert wrong.status_code == 403 and wrong.get_json()[0]["description"] == "api_key not accepted"
    keyed = client.get(f"{path}{joiner}api_key={KEY}")
    assert keyed.status_code in (200, 404) and keyed.get_json()[0].get("code") != 403  # the token is unknown: 404


def test_the_key_may_come_as_the_http_basic_password(county_app):
    client = county_app.test_client()
    post(client)

    def basic(password):
        return {"Authorization": "Basic " + base64.b64encode(f"kiosk:{password}".encode()).decode()}

    assert client.get("/requests.json", headers=basic(KEY)).status_code == 200
    assert client.get("/requests.json", headers=basic("guess")).status_code == 403


def test_the_service_list_and_definitions_stay_public(county_app):
    client = county_app.test_client()
    assert client.get("/services.json").status_code == 200
    assert client.get("/services/repairs.json").get_json()["service_code"] == "repairs"


def test_a_post_with_no_key_or_a_wrong_key_stores_nothing(county_app):
    client = county_app.test_client()
    assert post(client, api_key="").status_code == 403
    assert post(client, api_key="guess").status_code == 403
    assert stored(county_app) == 0


def test_the_demo_key_is_refused_outside_demo_mode_even_when_listed(county_app):
    county_app.config["DEMO"] = False
    client = county_app.test_client()
    assert county_app.config["API_KEYS"] == [KEY]  # the default list: the demo key, and it is refused
    assert post(client).status_code == 403 and stored(county_app) == 0
    assert client.get(f"/requests.json?api_key={KEY}").status_code == 403
    county_app.config["API_KEYS"] = [KEY, "county-own-key"]
    assert post(client, api_key="county-own-key").status_code == 200  # a county's own key works in any mode
    assert client.get("/requests.json?api_key=county-own-key").status_code == 200


@pytest.mark.slow
def test_the_served_county_refuses_the_demo_key_unless_started_with_demo(tmp_path, county_database_url):
    county = LiveCounty(tmp_path / "county", demo=False, database_url=county_database_url).start()
    try:
        refused = requests.post(county.url + "/requests.json", data={"api_key": KEY, **REPAIRS}, timeout=5)
        assert refused.status_code == 403 and county.requests() == []
        assert requests.get(county.url + "/requests.json", params={"api_key": KEY}, timeout=5).status_code == 403
        assert "Not in demo mode" in county.log.read_text()
    finally:
        county.stop()
    demo = LiveCounty(tmp_path / "county", database_url=county_database_url).start()  # same database, started with --demo
    try:
        assert requests.post(demo.url + "/requests.json", data={"api_key": KEY, **REPAIRS}, timeout=5).status_code == 200
    finally:
        demo.stop()


def test_services_about_a_person_publish_their_status_only(county_app):
    """Repairs of shared places show what is broken and where; a home-care request shows nothing but its status."""
    client = county_app.test_client()
    repair = post(client).get_json()[0]["service_request_id"]
    care = post(client, service_code="home-care", description="您最需要哪种帮助？ 助浴", **{"attribute[help]": "bathing",
                "attribute[often]": "weekly"}).get_json()[0]["service_request_id"]
    listed = {r["service_request_id"]: r for r in client.get(f"/requests.json?api_key={KEY}").get_json()}
    assert (listed[repair]["description"], listed[repair]["address"]) == ("楼道灯坏了", "社区服务中心")
    assert (listed[care]["description"], listed[care]["address"], listed[care]["status"]) == ("", "", "open")
    assert "助浴" not in client.get(f"/requests/{care}.json?api_key={KEY}").get_data(as_text=True)


@pytest.mark.slow
def test_what_the_kiosk_sends_the_county_keeps_and_publishes_none_of_the_residents_details(app, tmp_path, county_database_url):
    """A home-care request with a name, phone and home address goes through the real engine to a real county."""
    with app.app_context():
        db = get_db()
        _, draft = resident.start_draft(db, "home-care", "zh_Hans_CN")
        draft.answers, draft.personal = {"help": "cleaning", "often": "weekly"}, RESIDENT
        resident.save_request(db, draft, "kiosk-test")
    county = LiveCounty(tmp_path / "county", database_url=county_database_url).start()
    try:
        with app.app_context():
            assert engine_for(app, county.url).run().accepted == 1
        (last_name, phone, address, attributes), = county.query(  # the county keeps them, for its clerks
            "SELECT last_name, phone, address_string, attributes FROM requests")
        assert (last_name, phone, address) == (RESIDENT["name"], RESIDENT["phone"], "社区服务中心")
        assert json.loads(attributes)["home_address"] == RESIDENT["address"]

        published = requests.get(county.url + "/requests.json", params={"api_key": KEY}, timeout=5)
        assert published.status_code == 200 and len(published.json()) == 1
        for secret in (RESIDENT["name"], RESIDENT["phone"], RESIDENT["address"], "幸福路"):
            assert secret not in published.text

        clerk = county.clerk_session("clerk-1", county.add_clerk("clerk-1"))
        page = clerk.get(county.url + "/clerk", timeout=5).text
        assert all(RESIDENT[k] in page for k in ("name", "phone", "address"))
    finally:
        county.stop()
