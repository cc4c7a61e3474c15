"""The county's bounded surface: a body too large is refused before it is read (413), a field too long
or a form of the wrong shape with an Open311 error (400), and in every case nothing is stored; the
longest request a kiosk can make still fits."""
import json

import pytest

from core import drafts, submissions
from core.actions import resident
from core.catalogue import DEMO_FILE
from core.actions.admin import load_catalogue
from core.crypto import Keyring, new_key
from core.db import connect, migrate
from county import limits
from core.wording import Centre, Place
from sync.payload import open311_fields

from .conftest import county_query

pytestmark = pytest.mark.county_backends  # the same refusals on SQLite and on PostgreSQL

REPAIRS = {"api_key": "demo-kiosk-key", "service_code": "repairs", "address_string": "社区服务中心",
           "description": "楼道灯坏了", "attribute[what]": "light", "attribute[where]": "3号楼", "attribute[danger]": "no"}


def stored(app) -> int:
    return county_query(app.config, "SELECT COUNT(*) FROM requests")[0][0]


def test_a_20_mb_field_is_refused_before_it_is_read(county_app):
    answer = county_app.test_client().post("/requests.json", data={**REPAIRS, "description": "x" * (20 * 1024 * 1024)})
    assert answer.status_code == 413
    assert answer.get_json() == [{"code": 413, "description": "request too large: at most 262144 bytes"}]
    assert stored(county_app) == 0


@pytest.mark.parametrize("field, value", [
    ("description", "x" * 4001),                       # Open311's own limit is 4,000 characters
    ("last_name", "王" * 101),
    ("first_name", "x" * 101),
    ("phone", "1" * 51),
    ("address_string", "x" * 501),
    ("email", "x" * 255),
    ("anything_else", "x" * 4001),
    ("attribute[where]", "x" * 2001),
    ("attribute[home_address]", "x" * 2001),
    ("attribute[" + "c" * 101 + "]", "x"),
    ("attribute[]", "x"),
    ("lat", "north"),
    ("lat", "nan"),
    ("long", "181"),
    ("description", "楼道灯\x00坏了"),                  # PostgreSQL cannot hold a NUL: refused on both
    ("attribute[where]", "3号楼\x00"),
])
def test_a_field_too_long_or_malformed_is_an_open311_error_and_nothing_is_stored(county_app, field, value):
    answer = county_app.test_client().post("/requests.json", data={**REPAIRS, field: value})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()[0]["code"] == 400 and answer.get_json()[0]["description"]
    assert stored(county_app) == 0


def test_a_nul_in_a_status_query_is_an_open311_error(county_app):
    answer = county_app.test_client().get("/requests.json", query_string={"service_request_id": "C1\x00"})
    assert answer.status_code == 400 and answer.get_json()[0]["code"] == 400


def test_too_many_attributes_or_list_values_are_refused(county_app):
    client = county_app.test_client()
    many = {f"attribute[extra{i}]": "x" for i in range(limits.MAX_ATTRIBUTES)}
    assert client.post("/requests.json", data={**REPAIRS, **many}).status_code == 400
    long_list = {"attribute[extra][]": [str(i) for i in range(limits.MAX_LIST_VALUES + 1)]}
    assert client.post("/requests.json", data={**REPAIRS, **long_list}).status_code == 400
    assert stored(county_app) == 0


def test_fields_at_their_limits_are_accepted(county_app):
    at_limit = {"description": "灯" * 4000, "last_name": "王" * 100, "phone": "1" * 50, "address_string": "x" * 500,
                "attribute[where]": "x" * 2000, "lat": "31.2", "long": "121.5"}
    assert county_app.test_client().post("/requests.json", data={**REPAIRS, **at_limit}).status_code == 200
    assert stored(county_app) == 1


def test_the_longest_request_a_kiosk_can_make_fits(county_app, tmp_path):
    """Feedback with a 2,000-character message (the kiosk's own cap), a 50-character name, a 200-character
    address and a phone, composed by the kiosk's own payload code, in the longest language (English)."""
    db = connect(tmp_path / "k.sqlite3", keyring=Keyring([new_key()]))
    migrate(db)
    load_catalogue(db, json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    _, draft = resident.start_draft(db, "feedback", "en")
    draft.answers = {"kind": "complaint", "about": "government", "message": "很" * 2000}
    draft.personal = {"name": "王" * 50, "address": "幸" * 200, "phone": "+861380013800", "contact": "phone"}
    saved = resident.save_request(db, draft, "kiosk-7", Centre(Place("社区服务中心"), "en"))
    fields = open311_fields(db, saved, submissions.wording_of(db, saved.id))
    answer = county_app.test_client().post("/requests.json", data={"api_key": "demo-kiosk-key", **fields})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_a_list_where_one_value_belongs_is_a_400_not_a_500(county_app):
    """Found by review: a singlevaluelist answer sent as a list made the county compare an unhashable list."""
    client = county_app.test_client()
    form = {k: v for k, v in REPAIRS.items() if k != "attribute[what]"}
    assert client.post("/requests.json", data={**form, "attribute[what][]": ["light", "lift"]}).status_code == 400
    assert stored(county_app) == 0


def test_a_kiosk_uuid_sent_as_a_list_is_a_400_not_a_500(county_app):
    """Found by review: a list cannot be bound as the UUID to look a request up by."""
    client = county_app.test_client()
    assert client.post("/requests.json", data={**REPAIRS, "attribute[kiosk_uuid][]": ["u-1", "u-2"]}).status_code == 400
    assert stored(county_app) == 0


def test_one_value_of_a_multivaluelist_without_brackets_is_a_list_of_one(county_app, tmp_path):
    catalogue = {"services": [{"service_code": "pick", "service_name": "Pick", "metadata": True, "type": "batch", "group": "g",
                               "attributes": [{"variable": True, "code": "what", "datatype": "multivaluelist", "required": True,
                                               "order": 1, "description": "?", "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}]}]}]}
    from county.db import connect as county_connect, load_catalogue as county_load

    path = tmp_path / "pick.json"
    path.write_text(json.dumps(catalogue))
    county_load(county_connect(county_app.config), str(path))
    client = county_app.test_client()
    form = {"api_key": "demo-kiosk-key", "service_code": "pick", "address_string": "x"}
    assert client.post("/requests.json", data={**form, "attribute[what]": "a"}).status_code == 200
    assert client.post("/requests.json", data={**form, "attribute[what]": "abc"}).status_code == 400  # not "a", "b", "c"


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "yesterday", "2026-13-01"])
def test_a_date_out_of_range_is_a_400_not_a_500(county_app, start):
    """Found by review: year 1 with an offset east of UTC overflowed when turned into UTC."""
    answer = county_app.test_client().get("/requests.json", query_string={"api_key": "demo-kiosk-key", "start_date": start})
    assert answer.status_code == 400 and answer.get_json()[0]["code"] == 400


@pytest.mark.parametrize("method, path", [("DELETE", "/requests.json"), ("PUT", "/services.json"), ("GET", "/nowhere.json")])
def test_a_wrong_method_or_path_answers_in_open311s_shape(county_app, method, path):
    answer = county_app.test_client().open(path, method=method)
    assert answer.status_code in (404, 405) and answer.get_json()[0]["code"] == answer.status_code


@pytest.mark.parametrize("method, path", [("GET", "/services.json"), ("GET", "/services/repairs.json"), ("POST", "/requests.json"),
                                          ("GET", "/requests.json"), ("GET", "/requests/C000001.json"), ("GET", "/tokens/t.json")])
def test_another_jurisdiction_is_a_404_and_the_description_says_so(county_app, method, path):
    """Found by the fuzz test (test_county_fuzz.py): a 404 for another county's jurisdiction_id, undocumented."""
    spec = county_app.test_client().get("/openapi.json").get_json()
    assert "404" in spec["paths"][path.replace("repairs", "{service_code}").replace("C000001", "{service_request_id}")
                                  .replace("/t.json", "/{token}.json")][method.lower()]["responses"]
    answer = county_app.test_client().open(path, method=method, query_string={"jurisdiction_id": "other-county"},
                                           data={**REPAIRS, "jurisdiction_id": "other-county"} if method == "POST" else None)
    assert answer.status_code == 404 and "other-county" in answer.get_json()[0]["description"]
    assert stored(county_app) == 0
