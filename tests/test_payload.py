"""sync.payload: what a saved request looks like on the wire, on a real SQLite file."""
from __future__ import annotations

import json

from core import drafts, submissions
from core.actions import resident
from core.catalogue import DEMO_FILE
from core.actions.admin import load_catalogue
from core.crypto import Keyring, new_key
from core.db import connect, migrate
from core.wording import Centre, reference
from sync.payload import Place, open311_fields


def saved_request(tmp_path, catalogue: dict, service: str, answers: dict, personal: dict, locale: str = "zh_Hans_CN",
                  centre: Centre = Centre(), name: str = "k"):
    db = connect(tmp_path / f"{name}.sqlite3", keyring=Keyring([new_key()]))
    migrate(db)
    load_catalogue(db, catalogue)
    _, draft = resident.start_draft(db, service, locale)
    draft.answers, draft.personal = answers, personal
    return db, resident.save_request(db, draft, "kiosk-7", centre)


def sent(db, saved, attributes: str = "all") -> dict:
    """The fields the sync engine sends: the request's frozen wording, its answers and details."""
    return open311_fields(db, saved, submissions.wording_of(db, saved.id), attributes)


def test_fields_carry_answers_description_and_the_kiosks_own_attributes(tmp_path):
    catalogue = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    db, saved = saved_request(tmp_path, catalogue, "home-care", {"help": "cleaning", "often": "weekly"},
                              {"name": "王秀英", "address": "幸福路 12 号", "phone": "13800138000", "contact": "phone"})
    fields = sent(db, saved)
    assert fields["service_code"] == "home-care"
    assert fields["attribute[help]"] == "cleaning" and fields["attribute[often]"] == "weekly"
    # in the resident's words, ending with the centre's ticket (unique: a look-up can tell it from any other)
    assert fields["description"] == f"您最需要哪种帮助？ 打扫卫生\n多久一次？ 每周一次\n社区服务中心受理号：{reference(saved.ticket, saved.uuid)}"
    assert (fields["last_name"], fields["phone"]) == ("王秀英", "13800138000")  # fields Open311 keeps private
    # The home address goes only as a private attribute; the public location is the centre, never the flat.
    assert fields["attribute[home_address]"] == "幸福路 12 号" and fields["address_string"] == "社区服务中心"
    assert all("幸福路" not in fields[k] for k in ("address_string", "description"))
    assert fields["attribute[kiosk_uuid]"] == saved.uuid and fields["attribute[kiosk_hash]"] == saved.content_hash
    assert fields["attribute[kiosk_id]"] == "kiosk-7" and fields["attribute[kiosk_requested_at]"] == saved.requested_at


def test_no_personal_details_send_the_centre_and_no_name_phone_or_home_address(tmp_path):
    catalogue = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    db, saved = saved_request(tmp_path, catalogue, "repairs", {"what": "lift", "where": "2 号楼", "danger": "no"},
                              {"contact": "centre"})
    fields = sent(db, saved)
    assert fields["address_string"] == "社区服务中心" and "last_name" not in fields and "phone" not in fields
    assert "attribute[home_address]" not in fields
    assert fields["attribute[where]"] == "2 号楼" and fields["attribute[contact]"] == "centre"


def test_the_centres_coordinates_go_as_lat_and_long_and_never_a_homes(tmp_path):
    catalogue = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    db, saved = saved_request(tmp_path, catalogue, "home-care", {"help": "cleaning", "often": "weekly"},
                              {"name": "王秀英", "address": "幸福路 12 号", "contact": "centre"},
                              centre=Centre(Place("幸福里社区服务中心", "31.2304", "121.4737")))
    fields = sent(db, saved)
    assert (fields["address_string"], fields["lat"], fields["long"]) == ("幸福里社区服务中心", "31.2304", "121.4737")
    assert type(fields["address_string"]) is str and fields["attribute[home_address]"] == "幸福路 12 号"
    db, saved = saved_request(tmp_path, catalogue, "home-care", {"help": "cleaning", "often": "weekly"},
                              {"name": "王秀英", "address": "幸福路 12 号", "contact": "centre"},
                              centre=Centre(Place("幸福里社区服务中心")), name="k2")
    fields = sent(db, saved)  # no coordinates set: none sent
    assert "lat" not in fields and "long" not in fields and fields["address_string"] == "幸福里社区服务中心"


def test_the_description_follows_the_order_the_pages_asked_in(tmp_path):
    """A county may list attributes out of their Open311 ``order``: lines follow ``order``, as the pages do."""
    catalogue = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    repairs = next(s for s in catalogue["services"] if s["service_code"] == "repairs")
    repairs["attributes"].reverse()  # listed danger, where, what; asked what (1), where (2), danger (3)
    db, saved = saved_request(tmp_path, catalogue, "repairs", {"what": "lift", "where": "2 号楼", "danger": "no"},
                              {"contact": "centre"}, locale="en", centre=Centre(Place("centre"), "en"))
    lines = sent(db, saved)["description"].splitlines()  # a centre that reads English
    assert len(lines) == 4 and "2 号楼" in lines[1] and lines[3] == f"Community centre ticket: {reference(saved.ticket, saved.uuid)}"
    lines = lines[:3]
    assert [line.split()[0] for line in lines] == [a["description"]["en"].split()[0] for a in reversed(repairs["attributes"])]


def test_the_description_is_in_the_centres_language_whatever_the_resident_read(tmp_path):
    """Issue 19, item 9: a request answered on English pages is described in the centre's language; an
    option's key still travels as its attribute, what she wrote as written."""
    catalogue = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    db, saved = saved_request(tmp_path, catalogue, "feedback", {"kind": "praise", "about": "centre", "message": "Thank you!"},
                              {"contact": "centre"}, locale="en")
    fields = sent(db, saved)  # the default: zh_Hans_CN
    assert fields["description"] == ("是投诉、建议，还是表扬？ 表扬\n是关于什么的？ 社区服务中心\n请说说具体情况 Thank you!\n"
                                     f"社区服务中心受理号：{reference(saved.ticket, saved.uuid)}")
    assert fields["attribute[kind]"] == "praise" and fields["attribute[message]"] == "Thank you!"
    db, saved = saved_request(tmp_path, catalogue, "feedback", {"kind": "praise", "about": "centre", "message": "Thank you!"},
                              {"contact": "centre"}, locale="en", centre=Centre(Place("centre"), "en"), name="k2")
    assert sent(db, saved)["description"].startswith("Is it a complaint, a suggestion or praise? Praise")


def test_with_no_attributes_only_the_words_name_and_phone_go_and_the_home_address_stays(tmp_path):
    """A county that refuses attributes it does not define (KIOSK_COUNTY_ATTRIBUTES=none, or auto with a
    county that publishes no definitions): no attribute[…] at all; the description carries every answer."""
    catalogue = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    db, saved = saved_request(tmp_path, catalogue, "home-care", {"help": "cleaning", "often": "weekly"},
                              {"name": "王秀英", "address": "幸福路 12 号", "phone": "13800138000", "contact": "phone"})
    fields = sent(db, saved, "none")
    assert not [k for k in fields if k.startswith("attribute")]
    assert (fields["last_name"], fields["phone"]) == ("王秀英", "13800138000")
    assert "打扫卫生" in fields["description"] and "每周一次" in fields["description"]
    assert all("幸福路" not in str(v) for v in fields.values())  # the home address is sent nowhere
