"""One language at the county (issue 19, item 9): a resident who switches the screen to English part-way
sends the county what the centre reads — chosen options and places from the address book in the
centre's language (``KIOSK_DEFAULT_LOCALE``) — and what she typed as she typed it. Walked with the test
client, sent by the sync service's own engine (:func:`sync.process.make_engine`, its settings as the
worker reads them) to the reference county running as a real process; read back from the county's database."""
from __future__ import annotations

import json
import re
import sqlite3

from core import addresses, submissions
from kiosk.db import get_db
from sync.payload import open311_fields
from sync.process import make_engine

from .flows import confirm

EN = {"Accept-Language": "en"}


def english(client) -> None:
    assert client.post("/language", data={"locale": "en"}).status_code == 302


def held_by_county(county) -> dict[str, dict]:
    """What the county stored of each request, by service code."""
    with sqlite3.connect(county.database) as db:
        rows = db.execute("SELECT service_code, description, last_name, attributes FROM requests ORDER BY id").fetchall()
    return {code: {"description": description, "last_name": last_name, "attributes": json.loads(attributes)}
            for code, description, last_name, attributes in rows}


def test_a_resident_who_switches_to_english_sends_the_centres_language_and_her_own_words(app, client, county):
    # home-care: the first answer on the Chinese screen, then English: an option, her name typed, her home chosen
    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "cleaning"})
    english(client)
    client.post("/request/questions/often", data={"answer": "weekly"})
    assert client.post("/request/about-you", data={"name": "Wang Xiuying"}).headers["Location"] == "/request/about-you/address"
    chooser = client.get("/request/about-you/address?estate=幸福里小区&building=1&unit=1").get_data(as_text=True)
    assert "Flat 101" in chooser and "Xingfuli" in chooser  # the screen speaks English
    assert client.post("/request/about-you/address", data={"estate": "幸福里小区", "building": "1", "unit": "1",
                                                            "flat": "101"}).headers["Location"] == "/request/contact"
    client.post("/request/contact", data={"contact": "centre"})
    again = client.get("/request/about-you/address?return=check").get_data(as_text=True)  # "Change", on English pages
    assert re.findall(r'value="([^"]*)" class="button option option--selected"', again) == ["幸福里小区"]  # her choice is marked
    confirm(client)

    # repairs, all in English: options, and the place chosen from the book down to its shared spot and floor
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    spot = {"estate": "幸福里小区", "building": "1", "unit": "1", "spot": "楼道"}
    assert "Stairway" in client.get("/request/questions/where/address", query_string=spot).get_data(as_text=True)
    assert client.post("/request/questions/where/address", data={**spot, "floor": "3"}
                       ).headers["Location"] == "/request/questions/danger"
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    check = client.get("/request/check", headers=EN).get_data(as_text=True)
    assert "A stairway light" in check  # the options on her screen stay in her language
    confirm(client)

    # feedback in English, with a message typed in English
    client.post("/services/feedback")
    client.post("/request/questions/kind", data={"answer": "suggestion"})
    client.post("/request/questions/about", data={"answer": "environment"})
    client.post("/request/questions/message", data={"answer": "Please fix the bench by the gate."})
    client.post("/request/contact", data={"contact": "centre"})
    confirm(client)

    app.config["COUNTY_URL"] = county.url  # the worker's own engine, with the settings it reads (zh_Hans_CN by default)
    with app.app_context():
        report = make_engine(app.config, get_db()).run("manual", ignore_backoff=True)
    assert report.accepted == 3, report

    held = held_by_county(county)
    assert held["home-care"]["description"].startswith("您最需要哪种帮助？ 打扫卫生\n多久一次？ 每周一次\n社区服务中心受理号：")
    assert held["home-care"]["attributes"]["home_address"] == "幸福里小区1号楼1单元101室"
    assert held["home-care"]["attributes"]["often"] == "weekly"  # the option's key, as before
    assert held["home-care"]["last_name"] == "Wang Xiuying"  # typed: as typed
    assert held["repairs"]["description"].startswith("什么坏了？ 楼道灯\n在哪里？ 幸福里小区1号楼1单元 楼道 3楼\n现在有危险吗？ 没有危险\n")
    assert held["feedback"]["description"].startswith("是投诉、建议，还是表扬？ 建议\n是关于什么的？ 小区环境\n"
                                                      "请说说具体情况 Please fix the bench by the gate.\n社区服务中心受理号：")


def test_a_centre_that_reads_traditional_chinese_gets_it_whatever_the_screen_showed(app, client, county):
    app.config["DEFAULT_LOCALE"] = "zh_Hant_TW"
    client.post("/language", data={"locale": "zh_Hans_CN"})
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    english(client)
    client.post("/request/questions/where/address", data={"estate": "幸福里小区", "building": "1", "unit": "1",
                                                          "spot": "电梯"})
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    confirm(client)
    app.config["COUNTY_URL"] = county.url
    with app.app_context():
        assert make_engine(app.config, get_db()).run("manual", ignore_backoff=True).accepted == 1
    assert held_by_county(county)["repairs"]["description"].startswith("什麼壞了？ 樓道燈\n在哪裡？ 幸福里小区1號樓1單元 電梯\n"
                                                                       "現在有危險嗎？ 沒有危險\n社區服務中心受理號：A0001-")


def test_an_english_screen_shows_places_from_the_book_in_english_while_the_county_gets_the_centres_words(app, client):
    # All in English: the place of a repair (down to its spot and floor) and her home, both chosen from the book
    english(client)
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    assert client.post("/request/questions/where/address", data={"estate": "幸福里小区", "building": "1", "unit": "1",
                                                                 "spot": "楼道", "floor": "3"}).status_code == 302
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    check = client.get("/request/check").get_data(as_text=True)
    assert "Stairway, Floor 3, Entrance 1, Building 1, Xingfuli" in check  # the page's language
    assert "幸福里小区" not in check and "楼道" not in check
    ticket, _ = confirm(client)
    with app.app_context():
        saved = submissions.by_ticket(get_db(), ticket)
        assert saved.answers["where"] == "幸福里小区1号楼1单元 楼道 3楼"  # kept in the centre's words
        sent = open311_fields(get_db(), saved, submissions.wording_of(get_db(), saved.id))
    assert "在哪里？ 幸福里小区1号楼1单元 楼道 3楼" in sent["description"]  # the county reads one language
    receipt = client.get(f"/receipt/{ticket}").get_data(as_text=True)
    assert "Stairway, Floor 3, Entrance 1, Building 1, Xingfuli" in receipt and "楼道" not in receipt

    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "cleaning"})
    client.post("/request/questions/often", data={"answer": "weekly"})
    client.post("/request/about-you", data={"name": "Wang Xiuying"})
    client.post("/request/about-you/address", data={"estate": "幸福里小区", "building": "1", "unit": "1", "flat": "101"})
    client.post("/request/contact", data={"contact": "centre"})
    check = client.get("/request/check").get_data(as_text=True)
    assert "Flat 101, Entrance 1, Building 1, Xingfuli" in check and "101室" not in check
    ticket, _ = confirm(client)
    with app.app_context():
        sent = open311_fields(get_db(), submissions.by_ticket(get_db(), ticket),
                              submissions.wording_of(get_db(), submissions.by_ticket(get_db(), ticket).id))
    assert sent["attribute[home_address]"] == "幸福里小区1号楼1单元101室"

    # A place she writes is shown as written, in any language
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    client.post("/request/questions/where", data={"answer": "幸福里小区1号楼 车库门口"})
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    assert "幸福里小区1号楼 车库门口" in client.get("/request/check").get_data(as_text=True)


def test_a_place_from_the_book_reads_back_in_every_language(app):
    """:func:`core.addresses.relabel`: the stored words of a place, in each script; anything else untouched."""
    with app.app_context():
        db = get_db()
        assert addresses.relabel(db, "幸福里小区1号楼1单元101室", "zh_Hans_CN", "zh_Hant_TW") == "幸福里小区1號樓1單元101室"
        assert addresses.relabel(db, "幸福里小区1號樓1單元 電梯", "zh_Hant_TW", "en") == "Lift, Entrance 1, Building 1, Xingfuli"
        assert addresses.relabel(db, "Flat 101, Entrance 1, Building 1, Xingfuli", "en", "zh_Hans_CN") == "幸福里小区1号楼1单元101室"
        assert addresses.relabel(db, "幸福里小区1号楼", "zh_Hans_CN", "en") == "Building 1, Xingfuli"
        for written in ("幸福里小区1号楼1单元101室旁边", "3-2-501", "", "幸福里小区99号楼"):
            assert addresses.relabel(db, written, "zh_Hans_CN", "en") == written
