"""The reference county's strict mode (county/strict.py): each flag makes it behave as an independent
Open311 county did (issue 21), through the county's test client; the whole of it through a real HTTP
server started with ``python -m county.serve --strict``; the default stays the reference county."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from county import create_app as create_county
from county.strict import Strict

from .conftest import ROOT, LiveCounty, county_query

KEY = {"api_key": "demo-kiosk-key", "jurisdiction_id": "demo-county"}
# What the kiosk sends today: the centre as address_string, no coordinates, its answers and its own
# de-duplication keys as attributes.
KIOSK_FORM = {**KEY, "service_code": "repairs", "address_string": "幸福社区服务中心", "description": "楼道灯坏了",
              "attribute[what]": "light", "attribute[where]": "3号楼", "attribute[danger]": "no",
              "attribute[kiosk_uuid]": "u-1", "attribute[kiosk_hash]": "h-1"}
PLACE = {"lat": "31.2304", "long": "121.4737"}


def like(county_app, *flags: str):
    """The test client of a county with just these strict-mode flags ("a county like X")."""
    county_app.config["COUNTY_STRICT"] = Strict.of(*flags)
    return county_app.test_client()


def held(county_app) -> list:
    return county_query(county_app.config, "SELECT service_request_id, kiosk_uuid, description, updated_datetime, status"
                                           " FROM requests ORDER BY id")


# --- the setting --------------------------------------------------------------------------------------

def test_strict_is_one_setting_of_named_flags(county_app, monkeypatch, tmp_path):
    assert county_app.config["COUNTY_STRICT"] == Strict()  # the reference county unless told
    assert Strict.from_setting("1") == Strict.all() and Strict.all().on == tuple(n for n in Strict.names() if n != "text_errors")
    assert Strict.from_setting("location_required, own_error_format").on == ("location_required", "own_error_format")
    assert Strict.from_setting("0") == Strict.from_setting("") == Strict.from_setting(None) == Strict()
    monkeypatch.setenv("COUNTY_INSTANCE_PATH", str(tmp_path / "other"))
    monkeypatch.setenv("COUNTY_STRICT", "1")
    assert create_county({"TESTING": True, "DEMO": True}).config["COUNTY_STRICT"] == Strict.all()
    monkeypatch.setenv("COUNTY_STRICT", "location_required,no_such_thing")
    with pytest.raises(ValueError, match="no_such_thing"):  # a typo is not silently a milder county
        create_county({"TESTING": True, "DEMO": True})


# --- each flag ---------------------------------------------------------------------------------------

def test_reference_county_takes_what_the_kiosk_sends_today(county_app):
    client = county_app.test_client()
    assert client.post("/requests.json", data=KIOSK_FORM).status_code == 200
    assert client.post("/requests.json", data=KIOSK_FORM).json == [{"service_request_id": "C000001", "service_notice": "",
                                                                     "account_id": None}]  # de-duplicated
    assert [r[1] for r in held(county_app)] == ["u-1"]


def test_location_required_refuses_an_address_string_alone(county_app):
    client = like(county_app, "location_required")
    refused = client.post("/requests.json", data=KIOSK_FORM)
    assert refused.status_code == 400 and refused.json == [{"code": 400, "description": "lat and long are required"}]
    assert client.post("/requests.json", data={**KIOSK_FORM, "lat": "31.2304"}).status_code == 400  # both, not one
    assert held(county_app) == []
    assert client.post("/requests.json", data={**KIOSK_FORM, **PLACE}).status_code == 200


def test_missing_location_is_answered_500_like_a_breakdown(county_app):
    client = like(county_app, "location_required", "missing_location_5xx")
    for _ in range(3):  # every time, not once: it is a refusal dressed as a fault
        answer = client.post("/requests.json", data=KIOSK_FORM)
        assert answer.status_code == 500
    assert held(county_app) == []
    assert client.post("/requests.json", data={**KIOSK_FORM, **PLACE}).status_code == 200


def test_description_required_refuses_an_empty_one(county_app):
    client = like(county_app, "description_required")
    assert client.post("/requests.json", data={**KIOSK_FORM, "description": " "}).status_code == 400
    assert county_app.test_client().post("/requests.json", data={**KIOSK_FORM, "description": ""}).status_code == 400
    assert held(county_app) == []
    like(county_app)  # the reference county takes an empty description
    assert county_app.test_client().post("/requests.json", data={**KIOSK_FORM, "description": ""}).status_code == 200


def test_no_service_definitions(county_app):
    reference = county_app.test_client()
    assert reference.get("/services/repairs.json").status_code == 200
    assert all(s["metadata"] for s in reference.get("/services.json").json)

    client = like(county_app, "no_service_definitions")
    services = client.get("/services.json").json
    assert "repairs" in [s["service_code"] for s in services] and not any(s["metadata"] for s in services)
    assert client.get("/services/repairs.json").status_code == 404
    # Its services define no attributes: none is required (the reference county requires "what")
    bare = {k: v for k, v in KIOSK_FORM.items() if not k.startswith("attribute[")}
    assert client.post("/requests.json", data=bare).status_code == 200
    like(county_app)
    assert reference.post("/requests.json", data=bare).status_code == 400


def test_undefined_attributes_are_refused(county_app):
    client = like(county_app, "refuse_undefined_attributes")
    refused = client.post("/requests.json", data=KIOSK_FORM)  # kiosk_uuid is not one of "repairs"' attributes
    assert refused.status_code == 400 and "kiosk_hash" in refused.json[0]["description"]
    answers_only = {k: v for k, v in KIOSK_FORM.items() if "kiosk_" not in k}
    assert client.post("/requests.json", data=answers_only).status_code == 200  # what it defines it takes

    client = like(county_app, "refuse_undefined_attributes", "no_service_definitions")
    assert client.post("/requests.json", data=answers_only).status_code == 400  # defines none: takes none
    assert len(held(county_app)) == 1


def test_unknown_filters_are_ignored(county_app):
    client = county_app.test_client()
    for n in range(3):
        assert client.post("/requests.json", data={**KIOSK_FORM, "attribute[kiosk_uuid]": f"u-{n}",
                                                   "attribute[kiosk_hash]": f"h-{n}"}).status_code == 200
    asked = {**KEY, "kiosk_uuid": "u-1"}
    assert [r["service_request_id"] for r in client.get("/requests.json", query_string=asked).json] == ["C000002"]
    assert client.get("/requests.json", query_string={**KEY, "kiosk_uuid": "never-sent"}).json == []

    client = like(county_app, "unknown_filters_ignored")
    listed = client.get("/requests.json", query_string={**KEY, "kiosk_uuid": "never-sent"}).json
    assert [r["service_request_id"] for r in listed] == ["C000003", "C000002", "C000001"]  # the list, not "not held"


def test_nothing_de_duplicates_without_the_kiosk_uuid_extension(county_app):
    client = like(county_app, "no_kiosk_uuid_dedupe")
    first = client.post("/requests.json", data=KIOSK_FORM).json[0]["service_request_id"]
    again = client.post("/requests.json", data=KIOSK_FORM).json[0]["service_request_id"]
    assert first != again and len(held(county_app)) == 2


@pytest.mark.parametrize("flags, shape", [((), "open311"), (("own_error_format",), "object"),
                                          (("own_error_format", "text_errors"), "text")])
def test_errors_in_the_county_s_own_format(county_app, flags, shape):
    client = like(county_app, *flags)
    answers = {
        403: client.post("/requests.json", data={**KIOSK_FORM, "api_key": ""}),
        400: client.post("/requests.json", data={**KIOSK_FORM, "service_code": "no-such"}),
        404: client.get("/no-such-page.json"),
        405: client.delete("/requests.json"),
    }
    for status, answer in answers.items():
        assert answer.status_code == status
        if shape == "open311":
            assert answer.json[0]["code"] == status and answer.json[0]["description"]
        elif shape == "object":
            assert isinstance(answer.json, dict) and answer.json["error"]["code"] == status and answer.json["error"]["message"]
        else:
            assert answer.mimetype == "text/plain" and answer.text.startswith(f"Error {status}: ")


@pytest.mark.parametrize("flags, moves", [((), True), (("close_keeps_updated_datetime",), False)])
def test_closing_may_leave_updated_datetime_alone(county_app, flags, moves):
    from county.clerk import set_status
    from county.db import connect

    client = like(county_app, *flags)
    sid = client.post("/requests.json", data=KIOSK_FORM).json[0]["service_request_id"]
    conn = connect(county_app.config)
    with conn.transaction():
        conn.execute("UPDATE requests SET updated_datetime = '2026-01-01T08:00:00+00:00'")
    conn.close()
    with county_app.app_context():
        assert set_status(sid, "closed", "已修好")
    one = client.get(f"/requests/{sid}.json", query_string=KEY).json[0]
    assert one["status"] == "closed" and one["status_notes"] == "已修好"
    assert (one["updated_datetime"] != "2026-01-01T08:00:00+00:00") is moves


def test_no_notes_service(county_app):
    reference = county_app.test_client()
    sid = reference.post("/requests.json", data=KIOSK_FORM).json[0]["service_request_id"]
    note = {**KEY, "service_code": "kiosk_note", "address_string": "幸福社区服务中心", "description": "已告知居民",
            "attribute[note_of]": sid, "attribute[kind]": "follow_up"}
    assert "kiosk_note" in [s["service_code"] for s in reference.get("/services.json").json]

    client = like(county_app, "no_notes_service")
    assert "kiosk_note" not in [s["service_code"] for s in client.get("/services.json").json]
    refused = client.post("/requests.json", data=note)
    assert refused.status_code == 400 and "kiosk_note" in refused.json[0]["description"]
    assert len(held(county_app)) == 1
    like(county_app)
    assert reference.post("/requests.json", data=note).status_code == 200


def test_no_update_extension(county_app):
    """The reference county has FixMyStreet's update extension (county/api.py); a county without it
    answers 404 at ``servicerequestupdates``, to a post and to a read."""
    there = county_app.test_client().post("/servicerequestupdates.json", data=KEY)
    assert there.status_code == 400 and "service_request_id" in there.json[0]["description"]  # there: it asks for the fields
    client = like(county_app, "no_update_extension")
    assert client.post("/servicerequestupdates.json", data=KEY).status_code == 404
    assert client.get("/servicerequestupdates.json", query_string=KEY).status_code == 404


# --- the whole of it, as a server -----------------------------------------------------------------------

def test_a_strict_county_server(tmp_path):
    """``python -m county.serve --demo --strict``: a real HTTP server behaving as the county of issue 21."""
    county = LiveCounty(tmp_path / "county", strict="")
    county.args = ("--demo", "--strict")
    county.start()
    try:
        url = county.url
        first = requests.post(url + "/requests.json", data=KIOSK_FORM, timeout=5)  # no coordinates: 500
        assert first.status_code == 500 and "message" in first.json()["error"]
        located = requests.post(url + "/requests.json", data={**KIOSK_FORM, **PLACE}, timeout=5)
        assert located.status_code == 400 and "not defined" in located.json()["error"]["message"]
        plain = {k: v for k, v in KIOSK_FORM.items() if not k.startswith("attribute[")} | PLACE
        assert requests.post(url + "/requests.json", data={**plain, "description": ""}, timeout=5).status_code == 400
        sid = requests.post(url + "/requests.json", data=plain, timeout=5).json()[0]["service_request_id"]
        again = requests.post(url + "/requests.json", data=plain, timeout=5).json()[0]["service_request_id"]
        assert again != sid  # nothing de-duplicates

        services = requests.get(url + "/services.json", timeout=5).json()
        assert not any(s["metadata"] for s in services) and "kiosk_note" not in [s["service_code"] for s in services]
        assert requests.get(url + "/services/repairs.json", timeout=5).status_code == 404
        listed = requests.get(url + "/requests.json", params={**KEY, "kiosk_uuid": "u-1"}, timeout=5).json()
        assert sorted(r["service_request_id"] for r in listed) == sorted([sid, again])
        assert requests.post(url + "/servicerequestupdates.json", data=KEY, timeout=5).status_code == 404

        before = requests.get(f"{url}/requests/{sid}.json", params=KEY, timeout=5).json()[0]["updated_datetime"]
        time.sleep(1.1)  # the county keeps seconds: a moved time would differ
        env = {**county.env, "COUNTY_STRICT": "1"}  # the clerk's command runs the county as it is served
        subprocess.run([sys.executable, "-m", "flask", "--app", "county", "clerk", "set", sid, "--status", "closed",
                        "--notes", "已修好"], env=env, cwd=ROOT, check=True, capture_output=True)
        after = requests.get(f"{url}/requests/{sid}.json", params=KEY, timeout=5).json()[0]
        assert after["status"] == "closed" and after["updated_datetime"] == before
        assert [json.loads(r[0]) for r in county.query("SELECT attributes FROM requests")] == [{}, {}]
    finally:
        county.stop()
