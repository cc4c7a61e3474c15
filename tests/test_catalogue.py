import json

import pytest

from core.catalogue import DEMO_FILE, CatalogueError, get_service, list_groups
from core.actions.admin import load_catalogue
from kiosk.db import get_db
from kiosk.i18n import LOCALES

DEMO = json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def test_demo_catalogue_has_at_least_seven_services_in_every_language():
    assert len(DEMO["services"]) >= 7
    for service in DEMO["services"]:
        assert set(service["texts"]) == set(LOCALES), service["service_code"]
        for locale, texts in service["texts"].items():
            for field in ("service_name", "description", "bring", "duration", "next_steps"):
                assert texts.get(field), (service["service_code"], locale, field)
        for attribute in service["attributes"]:
            assert set(attribute["description"]) == set(LOCALES)
            for value in attribute.get("values", []):
                assert set(value["name"]) == set(LOCALES)


def test_demo_services_fit_in_six_taps():
    """Start + one tap per question + about-you + contact + confirm must stay within six."""
    for service in DEMO["services"]:
        needs = service["needs"]
        taps = 1 + len(service["attributes"]) + (1 if needs.get("name") or needs.get("address") else 0) + 1 + 1
        assert taps <= 6, service["service_code"]


def test_services_are_localised(app):
    with app.app_context():
        db = get_db()
        assert get_service(db, "repairs", "zh_Hans_CN").name == "公共设施报修"
        assert get_service(db, "repairs", "zh_Hant_TW").name == "公共設施報修"
        repairs = get_service(db, "repairs", "en")
        assert repairs.name == "Report something broken"
        assert [q.code for q in repairs.questions] == ["what", "where", "danger"]
        assert repairs.question("what").option_name("lift") == "A lift"
        assert [g["code"] for g in list_groups(db, "en")] == ["elderly", "disability", "home", "voice"]


def test_a_service_the_county_drops_is_hidden_not_deleted(app):
    smaller = {**DEMO, "services": [s for s in DEMO["services"] if s["service_code"] != "mediation"]}
    with app.app_context():
        db = get_db()
        assert load_catalogue(db, smaller) == {"services": len(DEMO["services"]) - 1, "hidden": 1}
        assert get_service(db, "mediation", "en") is None
        assert get_service(db, "mediation", "en", include_hidden=True).name == "Help with a neighbour dispute"
        assert all(s.code != "mediation" for g in list_groups(db, "en") for s in g["services"])
        load_catalogue(db, DEMO)
        assert get_service(db, "mediation", "en") is not None


@pytest.mark.parametrize(
    "broken, message",
    [
        ({"services": "nope"}, "services"),
        ({"groups": [], "services": [{"service_code": "x", "group": "g"}]}, "unknown group"),
        ({"groups": [{"code": "g"}], "services": [{"service_code": "x", "group": "g", "texts": {"en": {}},
          "attributes": [{"code": "a", "datatype": "colour"}]}]}, "unknown datatype"),
        ({"groups": [{"code": "g"}], "services": [{"service_code": "x", "group": "g", "texts": {"en": {}},
          "attributes": [{"code": "a", "datatype": "singlevaluelist"}]}]}, "needs values"),
    ],
)
def test_broken_catalogues_are_refused(app, broken, message):
    with app.app_context(), pytest.raises(CatalogueError, match=message):
        load_catalogue(get_db(), broken)


def test_load_command(runner, tmp_path):
    result = runner.invoke(args=["catalogue", "load"])
    assert result.exit_code == 0 and "Loaded 7 services" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = runner.invoke(args=["catalogue", "load", str(bad)])
    assert result.exit_code != 0 and "bad.json" in result.output


def test_start_page_follows_a_catalogue_reload(app, client):
    headers = {"Accept-Language": "en"}
    assert "Help with a neighbour dispute" in client.get("/", headers=headers).get_data(as_text=True)
    smaller = {**DEMO, "services": [s for s in DEMO["services"] if s["service_code"] != "mediation"]}
    with app.app_context():
        load_catalogue(get_db(), smaller)
    assert "Help with a neighbour dispute" not in client.get("/", headers=headers).get_data(as_text=True)
