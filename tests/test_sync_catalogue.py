"""The catalogue comes down from the county: its services and questions win, the kiosk's translations
stay, dropped services are hidden (old tickets keep their names)."""
import json

import pytest

from core.catalogue import get_service, list_groups
from kiosk.db import get_db

from .conftest import ROOT, LiveCounty
from .sync_helpers import engine_for, save_requests

pytestmark = pytest.mark.slow


def county_serving(tmp_path, catalogue_path) -> LiveCounty:
    """A reference county whose catalogue is the given file."""
    county = LiveCounty(tmp_path / "county")
    county.env["COUNTY_CATALOGUE"] = str(catalogue_path)
    return county.start()


def test_county_catalogue_is_merged_in(app, client, tmp_path):
    county_catalogue = json.loads((ROOT / "county/catalogue.json").read_text(encoding="utf-8"))
    services = [s for s in county_catalogue["services"] if s["service_code"] != "mediation"]
    repairs = next(s for s in services if s["service_code"] == "repairs")
    repairs["service_name"] = "公共设施报修（县统一）"
    repairs["attributes"][0]["values"].append({"key": "bench", "name": "长椅"})
    services.append({"service_code": "pet-permit", "service_name": "养犬登记", "description": "给家里的狗登记。",
                     "metadata": True, "type": "batch", "keywords": "", "group": "宠物管理",
                     "attributes": [{"variable": True, "code": "size", "datatype": "singlevaluelist", "required": True,
                                     "order": 1, "description": "狗多大？", "datatype_description": "",
                                     "values": [{"key": "small", "name": "小型犬"}, {"key": "big", "name": "大型犬"}]}]})
    path = tmp_path / "county-catalogue.json"
    path.write_text(json.dumps({"services": services}, ensure_ascii=False), encoding="utf-8")

    tickets = save_requests(app, 1, service="repairs")
    with app.app_context():
        db = get_db()
        db.execute("UPDATE requests SET service_code = 'mediation', answers = '{\"about\": \"noise\"}'")
        db.conn.commit()
    county = county_serving(tmp_path, path)
    try:
        with app.app_context():
            report = engine_for(app, county.url).run("nightly")
            db = get_db()
            assert get_service(db, "repairs", "zh_Hans_CN").name == "公共设施报修（县统一）"
            assert get_service(db, "repairs", "en").name == "Report something broken"  # translation kept
            what = get_service(db, "repairs", "en").question("what")
            assert what.option_name("lift") == "A lift" and what.option_name("bench") == "长椅"  # new answer, county's words
            assert get_service(db, "mediation", "en") is None
            assert get_service(db, "mediation", "en", include_hidden=True).name == "Help with a neighbour dispute"
            pets = get_service(db, "pet-permit", "en")
            assert pets.name == "养犬登记" and pets.question("size").option_name("big") == "大型犬"
            assert "宠物管理" in [g["name"] for g in list_groups(db, "zh_Hans_CN")]
            code = db.execute("SELECT check_code FROM requests").fetchone()[0]
        assert not [e for e in report.errors if e.startswith("catalogue")], report.errors
        assert "养犬登记" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        status = client.get(f"/status/{tickets[0]}?c={code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Help with a neighbour dispute" in status  # an old ticket of a dropped service keeps its name
    finally:
        county.stop()


@pytest.mark.parametrize("services", [
    [],  # an empty list would hide every service: refused
    [{"service_code": "x", "service_name": "X", "metadata": True, "group": "g",
      "attributes": [{"code": "a", "datatype": "colour", "description": "?"}]}],  # a datatype nobody knows
], ids=["empty", "unknown-datatype"])
def test_a_broken_county_catalogue_changes_nothing(app, tmp_path, services):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"services": services}))
    county = county_serving(tmp_path, path)
    try:
        with app.app_context():
            report = engine_for(app, county.url).run("nightly")
            assert get_service(get_db(), "repairs", "en") is not None
        assert any("catalogue" in e for e in report.errors)
    finally:
        county.stop()
