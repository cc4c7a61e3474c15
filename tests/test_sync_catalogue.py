"""The catalogue comes down from the county and adds, never destroys (issue 21, item 2): the county's
texts, services, questions and answers come in, the kiosk's translations stay; the kiosk's own
questions stay where the county publishes no definitions; a definition that would remove or break a
question is refused and shown on the health page; a service the county does not list stays offered
and workers are told; a refresh that fails changes nothing and says why."""
import json
import re
from html import unescape

import pytest

from core.catalogue import get_service, list_groups
from kiosk.db import get_db
from sync import refusals
from sync.catalogue import last_refresh

from .conftest import ROOT, LiveCounty
from .flows import fill_service
from .independent_county import IndependentCounty
from .sync_helpers import engine_for, save_requests, states
from .worker_helpers import add_accounts, log_in

pytestmark = pytest.mark.slow


def county_serving(tmp_path, catalogue_path) -> LiveCounty:
    """A reference county whose catalogue is the given file."""
    county = LiveCounty(tmp_path / "county")
    county.env["COUNTY_CATALOGUE"] = str(catalogue_path)
    return county.start()


def health_page(app) -> str:
    """The health page in English, as alice (a worker) sees it."""
    add_accounts(app)
    worker = app.test_client()
    assert log_in(worker, "alice").status_code == 302
    worker.post("/language", data={"locale": "en", "next": "/"})
    page = worker.get("/worker/health")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def card(html: str, key: str) -> str:
    """One figure's card of the health page, its tags taken out and its spaces made single."""
    start = html.index(f'id="figure-{key}"')
    end = html.find('<li class="health-figure ', start)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html[start:end if end != -1 else len(html)])).split())


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
            mediation = get_service(db, "mediation", "en")  # the county does not list it: still offered
            assert mediation.name == "Help with a neighbour dispute" and mediation.question("about")
            pets = get_service(db, "pet-permit", "en")
            assert pets.name == "养犬登记" and pets.question("size").option_name("big") == "大型犬"
            assert "宠物管理" in [g["name"] for g in list_groups(db, "zh_Hans_CN")]
            code, request_id = db.execute("SELECT check_code, id FROM requests").fetchone()
            assert last_refresh(db)["unlisted"] == ["mediation"] and last_refresh(db)["refused"] == {}
            refused = states(db)[request_id]  # sent for a service the county does not offer: readable
            assert refused["state"] == "quarantined" and refusals.recorded(refused["data"]).code == "no_service"
        assert not [e for e in report.errors if e.startswith("catalogue")], report.errors
        assert "养犬登记" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        status = client.get(f"/status/{tickets[0]}?c={code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Help with a neighbour dispute" in status  # an old ticket keeps its name
        assert "Help with a neighbour dispute" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        shown = card(health_page(app), "catalogue")
        assert "Services missing" in shown and "Needs a look" in shown
        assert "What to do: ask the county to add them" in shown
        assert ("The county does not list “Help with a neighbour dispute”: requests for it will be refused by the"
                " county and wait in Today's list.") in shown
    finally:
        county.stop()


def test_a_county_without_definitions_keeps_every_kiosk_question(app, client, tmp_path):
    """The county of issue 21 publishes no service definitions: every question of the kiosk is still
    there after the refresh, in every language, and the resident's pages still ask each one."""
    with app.app_context():
        before = {(s.code, locale): s for locale in ("zh_Hans_CN", "en")
                  for g in list_groups(get_db(), locale) for s in g["services"]}
    county = LiveCounty(tmp_path / "county", strict="no_service_definitions").start()
    try:
        with app.app_context():
            report = engine_for(app, county.url).run("nightly")
            db = get_db()
            after = {(s.code, locale): s for locale in ("zh_Hans_CN", "en")
                     for g in list_groups(db, locale) for s in g["services"]}
            assert last_refresh(db)["error"] is None
        assert not report.errors, report.errors
        assert after.keys() == before.keys()
        for key, service in before.items():
            assert after[key].questions == service.questions, key
        for (code, locale), service in after.items():
            if locale == "en":
                fill_service(app.test_client(), service)  # each question's page, in order, then contact
        client.post("/services/repairs")
        page = client.get("/request/questions/what", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "What is broken?" in page and "A lift" in page
        shown = card(health_page(app), "catalogue")
        assert "Up to date" in shown and "All right" in shown
    finally:
        county.stop()


def test_a_definition_that_drops_or_breaks_questions_is_refused_and_shown(app, tmp_path):
    county_catalogue = json.loads((ROOT / "county/catalogue.json").read_text(encoding="utf-8"))
    services = {s["service_code"]: s for s in county_catalogue["services"]}
    repairs = services["repairs"]
    repairs["attributes"] = [a for a in repairs["attributes"] if a["code"] != "danger"]  # a question dropped
    what = next(a for a in repairs["attributes"] if a["code"] == "what")
    what["values"] = [v for v in what["values"] if v["key"] != "lift"]  # an answer the kiosk offers, dropped
    details = next(a for a in services["mediation"]["attributes"] if a["code"] == "details")
    details["datatype"] = "number"  # a written question turned into a number
    home_care = services["home-care"]
    home_care["service_name"] = "居家养老上门服务（县）"  # a change that removes nothing: taken
    home_care["attributes"].append({"variable": True, "code": "floor", "datatype": "number", "required": False,
                                    "order": 9, "description": "住几楼？", "datatype_description": ""})
    path = tmp_path / "county-catalogue.json"
    path.write_text(json.dumps(county_catalogue, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        kept = {code: get_service(get_db(), code, "en").questions for code in ("repairs", "mediation")}
    county = county_serving(tmp_path, path)
    try:
        with app.app_context():
            engine_for(app, county.url).run("nightly")
            db = get_db()
            for code, questions in kept.items():  # refused: the kiosk keeps its own questions
                assert get_service(db, code, "en").questions == questions, code
            assert get_service(db, "repairs", "en").question("what").option_name("lift") == "A lift"
            care = get_service(db, "home-care", "zh_Hans_CN")
            assert care.name == "居家养老上门服务（县）" and care.question("floor").text == "住几楼？"  # added
            assert [q.code for q in care.questions] == ["help", "often", "floor"]
            refresh = last_refresh(db)
            assert sorted(refresh["refused"]) == ["mediation", "repairs"] and refresh["unlisted"] == []
        html = health_page(app)
        shown = card(html, "catalogue")
        assert "Changes refused" in shown and "Needs a look" in shown
        for sentence in ("“Report something broken”: the county's list would have removed the question “Is it"
                         " dangerous right now?”.",
                         "“Report something broken”: the county's list would have removed the answer “A lift” to"
                         " “What is broken?”.",
                         "The kiosk kept its own questions for “Report something broken”.",
                         "“Help with a neighbour dispute”: the county's list would have changed the kind of answer"
                         " “Anything else you want to tell us?” takes.",
                         "The kiosk kept its own questions for “Help with a neighbour dispute”."):
            assert sentence in shown, shown
        from .html_check import nu_problems

        problems = nu_problems({"health-refused": html}, tmp_path)  # the list of what was refused, valid HTML
        assert not problems, "\n".join(problems)
    finally:
        county.stop()


def test_an_independent_county_keeps_the_kiosk_whole_and_workers_told(app, client):
    """tests/independent_county.py lists five of the kiosk's seven services, with no definitions."""
    with app.app_context():
        before = {s.code: s.questions for g in list_groups(get_db(), "en") for s in g["services"]}
    with IndependentCounty() as county:
        with app.app_context():
            engine_for(app, county.url).run("nightly")
            db = get_db()
            after = {s.code: s.questions for g in list_groups(db, "en") for s in g["services"]}
            assert sorted(last_refresh(db)["unlisted"]) == ["disability-subsidy", "feedback", "mediation"]
    assert after.pop("streetlight") == ()  # the county's own service comes in, as the county has it
    assert after == before  # every service of the kiosk still offered, every question still asked
    assert "Complaints and suggestions" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    shown = card(health_page(app), "catalogue")
    for name in ("Help with a neighbour dispute", "Complaints and suggestions", "Disability allowance"):
        assert f"The county does not list “{name}”: requests for it will be refused" in shown, name


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
        with app.app_context():
            assert last_refresh(get_db())["error"] in [e.removeprefix("catalogue: ") for e in report.errors]
        shown = card(health_page(app), "catalogue")
        assert "Refresh failed" in shown and "the kiosk keeps the services and questions it had" in shown
        assert "lists no services" in shown or "unknown datatype" in shown  # why, in the engine's words
    finally:
        county.stop()


@pytest.mark.parametrize("report, judged", [
    (None, ("green", "not_refreshed")),
    ({"error": None, "refused": {}, "unlisted": []}, ("green", "ok")),
    ({"error": "services.json: HTTP 500", "refused": {}, "unlisted": []}, ("amber", "failed")),
    ({"error": None, "refused": {"repairs": [{"change": "removed", "question": "danger"}]}, "unlisted": []},
     ("amber", "refused")),
    ({"error": None, "refused": {}, "unlisted": ["mediation"]}, ("amber", "unlisted")),
], ids=["never", "ok", "failed", "refused", "unlisted"])
def test_the_catalogue_figure_verdicts(report, judged):
    from sync.health import judge_catalogue

    assert judge_catalogue(report) == judged
