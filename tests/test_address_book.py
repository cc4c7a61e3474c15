"""The centre's address book: loaded from a CSV file, asked about level by level, chosen on big buttons
instead of written, with "not listed" falling back to the ordinary text field. A real SQLite file, the
Flask test client and the CLI runner; one Chromium test at kiosk size with touch and axe."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.support import Translations

from core import addresses, drafts, submissions
from core.actions.admin import load_address_book
from core.addresses import AddressBookError
from core.catalogue import DEMO_FILE, CatalogueError, KIOSK_ONLY_KEYS, get_service, validate_catalogue
from kiosk.db import get_db, keyring
from engines.speech.page_text import page_text
from sync.catalogue import refresh_catalogue
from sync.open311 import Open311Client, Reply
from sync.payload import open311_fields

from .conftest import KIOSK_SIZE, LOCALES, ROOT, LiveKiosk
from .flows import confirm, fill_service

HEADER = "estate,building,unit,flat\n"
SMALL = (HEADER + "幸福里小区,3,1,101\n幸福里小区,3,1,102\n幸福里小区,3,2,501\n幸福里小区,4,1,101\n"
         "光明花园,2,,301\n光明花园,2,,302\n")
CHOOSER = "/request/about-you/address"
WHERE = "/request/questions/where/address"


def load(app, text: str | bytes) -> dict:
    with app.app_context():
        return load_address_book(get_db(), text.encode() if isinstance(text, str) else text)


def translate(locale: str, message: str, **params) -> str:
    text = Translations.load(str(ROOT / "locales"), [locale], "messages").gettext(message)
    return text % params if params else text


def main_of(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.find("<main"):html.find("</main>")]


def buttons(response, name: str) -> list[str]:
    return re.findall(rf'<button type="submit" name="{name}" value="([^"]*)"', response.get_data(as_text=True))


def back_of(response) -> str:
    return re.search(r'<a href="([^"]*)" class="back-link"', response.get_data(as_text=True)).group(1).replace("&amp;", "&")


def back_pressed(client, response) -> str:
    """Where Back goes from a written question's page: a button of its form there (kiosk/resident/leaving.py),
    pressed with the form's hidden fields and nothing written."""
    html = response.get_data(as_text=True)
    action = re.search(r'formaction="([^"]*\?leave=back)"', html).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    return client.post(action, data=hidden).headers["Location"]


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def draft_of(app, client) -> drafts.Draft:
    with app.app_context():
        return drafts.load(get_db(), client.get_cookie("kiosk_draft").value)


def start_home_care(client, name: str = "王秀兰"):
    """home-care up to its about-you page; the name given there; returns the redirect to the chooser."""
    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "bathing"})
    client.post("/request/questions/often", data={"answer": "weekly"})
    return client.post("/request/about-you", data={"name": name})


# --- the file -----------------------------------------------------------------------------------------


def test_the_demo_book_loads_and_answers_level_by_level(app):
    with app.app_context():
        db = get_db()
        assert addresses.estates(db) == ["幸福里小区", "和平新村", "光明花园"]  # the book's own order
        assert addresses.buildings(db, "幸福里小区") == ["1", "2", "3", "4", "5", "6"]
        assert addresses.units(db, "幸福里小区", "3") == ["1", "2"]
        assert addresses.units(db, "光明花园", "2") == [""]  # a tower without 单元
        assert addresses.flats(db, "幸福里小区", "3", "2")[:4] == ["101", "102", "201", "202"]
        assert addresses.flats(db, "光明花园", "2", "")[-1] == "604"
        count = db.execute("SELECT COUNT(*) FROM address_book").fetchone()[0]
    assert 100 <= count <= 400


def test_a_good_file_in_any_column_order_with_chinese_headers_and_a_bom(app):
    text = "\ufeff室,单元,楼栋,小区\n101,1,10,幸福里小区\n101,1,9,幸福里小区\n\n102,,综合楼,幸福里小区\n"
    assert load(app, text) == {"addresses": 3, "estates": 1}
    with app.app_context():
        assert addresses.buildings(get_db(), "幸福里小区") == ["9", "10", "综合楼"]  # 9 before 10


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty"),
    ("estate,building,flat\n幸福里小区,3,501\n", "line 1: the header must name estate, building, unit and flat"),
    ("estate,bulding,unit,flat\n幸福里小区,3,2,501\n", "it has estate, bulding, unit, flat"),
    ("幸福里小区,3,2,501\n", "line 1: the header"),  # no header at all
    (HEADER + "幸福里小区,3,2,501\n幸福里小区,3,2,502\n幸福里小区,3,2,501\n", "line 4 repeats line 2: 幸福里小区 3 2 501"),
    (HEADER + "幸福里小区,3,2,501\n幸福里小区,,2,502\n", "line 3: no building"),
    (HEADER + "幸福里小区,3,2,501,extra\n", "line 2: 5 values, but the header names 4"),
    (HEADER + "光明花园,2,,301\n光明花园,2,1,302\n", "line 3: building 2 of 光明花园 has flats with and without a unit (see line 2)"),
    ("estate,building,unit,flat,estate_en\n幸福里小区,3,2,501,Xingfuli\n幸福里小区,3,2,502,Xingfu\n",
     "line 3: 幸福里小区 is called Xingfu here but Xingfuli on line 2"),
    (HEADER + "幸福里小区,3,2," + "5" * 41 + "\n", "line 2: the flat is longer than 40 characters"),
])
def test_a_bad_file_is_refused_naming_its_line_and_changes_nothing(app, content, message):
    with pytest.raises(AddressBookError, match=re.escape(message)):
        load(app, content)
    with app.app_context():
        assert len(addresses.estates(get_db())) == 3  # the demo book is still there, whole


def test_a_file_that_is_not_utf8_is_named_by_its_line(app):
    data = (HEADER + "幸福里小区,3,2,501\n").encode() + "和平新村,1,1,101\n".encode("gbk")
    with pytest.raises(AddressBookError, match="line 3 is not UTF-8 text; save the file as 'CSV UTF-8'"):
        load(app, data)


def test_loading_again_replaces_the_book_and_what_is_derived_from_it(app):
    with app.app_context():
        before = addresses.vocabulary(get_db())
    assert "和平新村" in before
    assert load(app, SMALL) == {"addresses": 6, "estates": 2}
    with app.app_context():
        db = get_db()
        assert addresses.estates(db) == ["幸福里小区", "光明花园"]
        assert "和平新村" not in addresses.vocabulary(db)
        assert load(app, SMALL) == {"addresses": 6, "estates": 2}  # the same file twice: still six
        assert db.execute("SELECT COUNT(*) FROM address_book").fetchone()[0] == 6
        assert load(app, HEADER) == {"addresses": 0, "estates": 0}
        assert addresses.is_empty(db)


def test_export_gives_back_a_file_that_loads_the_same_book(app):
    with app.app_context():
        db = get_db()
        exported = addresses.export_csv(db)
        assert exported.splitlines()[0] == "estate,building,unit,flat,estate_en,spot,spot_en,floors"
        before = list(db.query("SELECT estate, estate_latin, building, unit, flat FROM address_book ORDER BY position"))
        spots = list(db.query("SELECT estate, building, unit, spot, spot_latin, floors FROM address_spots ORDER BY position"))
        assert len(spots) > 50
        load_address_book(db, exported.encode())
        assert list(db.query("SELECT estate, estate_latin, building, unit, flat FROM address_book ORDER BY position")) == before
        assert list(db.query("SELECT estate, building, unit, spot, spot_latin, floors FROM address_spots ORDER BY position")) == spots
        load_address_book(db, SMALL.encode())  # a book without spots exports as it always did
        assert addresses.export_csv(db).splitlines()[0] == "estate,building,unit,flat"


# --- words -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale, full, no_unit, named, partial", [
    ("zh_Hans_CN", "幸福里小区3号楼2单元501室", "光明花园2号楼301室", "幸福里小区综合楼101室", "幸福里小区3号楼"),
    ("zh_Hant_TW", "幸福里小区3號樓2單元501室", "光明花园2號樓301室", "幸福里小区综合楼101室", "幸福里小区3號樓"),
    ("en", "Flat 501, Entrance 2, Building 3, Xingfuli", "Flat 301, Building 2, Guangming Garden",
     "Flat 101, 综合楼, Xingfuli", "Building 3, Xingfuli"),
])
def test_labels_are_written_as_residents_write_them(locale, full, no_unit, named, partial):
    assert addresses.label("幸福里小区", "3", "2", "501", locale, estate_latin="Xingfuli") == full
    assert addresses.label("光明花园", "2", "", "301", locale, estate_latin="Guangming Garden") == no_unit
    assert addresses.label("幸福里小区", "综合楼", "", "101", locale, estate_latin="Xingfuli") == named  # a name stays as written
    assert addresses.label("幸福里小区", "3", locale=locale, estate_latin="Xingfuli") == partial
    assert addresses.is_part_of(partial, full, locale)
    assert not addresses.is_part_of(addresses.label("幸福里小区", "13", locale=locale, estate_latin="Xingfuli"), full, locale)


def test_english_uses_the_estates_name_in_the_book_or_the_name_as_written(app):
    load(app, SMALL)
    with app.app_context():
        assert addresses.label_for(get_db(), ("幸福里小区", "3", "2", "501"), "en") == "Flat 501, Entrance 2, Building 3, 幸福里小区"
    load(app, addresses.DEMO_FILE.read_bytes())
    with app.app_context():
        assert addresses.label_for(get_db(), ("幸福里小区", "3", "2", "501"), "en") == "Flat 501, Entrance 2, Building 3, Xingfuli"
        assert addresses.label_for(get_db(), ("幸福里小区", "3", "2", "501"), "zh_Hant_TW") == "幸福里小区3號樓2單元501室"


def test_vocabulary_holds_the_estates_and_the_parts_as_written(app):
    load(app, SMALL)
    with app.app_context():
        words = addresses.vocabulary(get_db())
    assert {"幸福里小区", "光明花园", "号楼", "单元", "室", "3号楼", "3號樓", "2单元", "501室"} <= words
    assert "和平新村" not in words and "5号楼" not in words
    assert set("幸福里小区号楼单元室") <= set("".join(words))


def test_walk_passes_levels_with_one_choice_and_names_a_wrong_value(app):
    load(app, SMALL)
    with app.app_context():
        db = get_db()
        first = addresses.walk(db, [])
        assert (first.level, first.choices) == ("estate", ("幸福里小区", "光明花园"))
        tower = addresses.walk(db, ["光明花园", "2"])  # no 单元: straight to the flats
        assert (tower.path, tower.level, tower.asked) == (("光明花园", "2", ""), "flat", (0,))
        assert addresses.walk(db, ["光明花园"], depth="unit").complete  # one building, no unit: nothing left to ask
        four = addresses.walk(db, ["幸福里小区", "4"])  # one unit, one flat: a whole address
        assert four.complete and four.path == ("幸福里小区", "4", "1", "101")
        wrong = addresses.walk(db, ["幸福里小区", "9"])
        assert (wrong.invalid, wrong.path, wrong.level) == ("building", ("幸福里小区",), "building")
        load_address_book(db, (HEADER + "幸福里小区,3,,501\n").encode())
        only = addresses.walk(db, [])  # a book of one address still asks for one tap, on its flat
        assert (only.path, only.level, only.choices) == (("幸福里小区", "3", ""), "flat", ("501",))
        assert addresses.walk(db, ["幸福里小区", "3", "", "501"]).complete


# --- the pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_where_you_live_is_chosen_level_by_level_and_saved_as_words(app, client, locale):
    client.post("/language", data={"locale": locale})
    response = start_home_care(client)
    assert response.status_code == 302 and response.headers["Location"] == CHOOSER
    estates = client.get(CHOOSER)
    assert estates.status_code == 200 and buttons(estates, "estate") == ["幸福里小区", "和平新村", "光明花园"]
    assert translate(locale, "Choose the estate.") in estates.get_data(as_text=True)
    assert 'class="privacy-notice"' in estates.get_data(as_text=True)  # where personal details are asked
    steps = [({"estate": "幸福里小区"}, "building"), ({"building": "3"}, "unit"), ({"unit": "2"}, "flat")]
    chosen: dict = {}
    for choice, next_level in steps:
        chosen.update(choice)
        response = client.post(CHOOSER, data=chosen)
        assert response.status_code == 302 and query(response.headers["Location"]) == chosen
        page = client.get(response.headers["Location"])
        assert buttons(page, next_level), next_level
    assert "501" in buttons(page, "flat")
    response = client.post(CHOOSER, data={**chosen, "flat": "501"})
    assert response.headers["Location"] == "/request/contact"
    expected = "幸福里小区3号楼2单元501室"  # kept in the centre's language whatever the screen showed: it goes to the county
    assert draft_of(app, client).personal == {"name": "王秀兰", "address": expected}
    client.post("/request/contact", data={"contact": "centre"})
    check = client.get("/request/check").get_data(as_text=True)
    shown = {"zh_Hans_CN": expected, "zh_Hant_TW": "幸福里小区3號樓2單元501室",
             "en": "Flat 501, Entrance 2, Building 3, Xingfuli"}[locale]  # her screen shows it in its own language
    assert shown in check and f'href="{CHOOSER}?return=check"' in check
    ticket, _ = confirm(client)
    with app.app_context():
        saved = submissions.by_ticket(get_db(), ticket)
        sealed = get_db().execute("SELECT data FROM request_personal WHERE request_id = ?", [saved.id]).fetchone()[0]
    assert json.loads(keyring(app).open(sealed, "request_personal.data"))["address"] == expected


def test_the_about_you_page_asks_only_the_name_when_the_address_is_chosen(client):
    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "bathing"})
    client.post("/request/questions/often", data={"answer": "weekly"})
    page = client.get("/request/about-you").get_data(as_text=True)
    assert 'id="name"' in page and 'id="address"' not in page
    refused = client.post("/request/about-you", data={"name": ""})
    assert refused.status_code == 422 and 'id="address"' not in refused.get_data(as_text=True)


def test_repairs_where_stops_at_the_entrance(app, client):
    load(app, SMALL)  # a book without shared spots: the entrance is the whole answer
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    response = client.get("/request/questions/where")
    assert response.status_code == 302 and response.headers["Location"] == WHERE
    client.post(WHERE, data={"estate": "幸福里小区"})
    client.post(WHERE, data={"estate": "幸福里小区", "building": "3"})
    response = client.post(WHERE, data={"estate": "幸福里小区", "building": "3", "unit": "2"})
    assert response.headers["Location"] == "/request/questions/danger"
    assert draft_of(app, client).answers["where"] == "幸福里小区3号楼2单元"
    # A tower without 单元: the building is the whole answer, one tap sooner.
    client.post(WHERE, data={"estate": "光明花园"})
    response = client.post(WHERE, data={"estate": "光明花园", "building": "2"})
    assert response.headers["Location"] == "/request/questions/danger"
    assert draft_of(app, client).answers["where"] == "光明花园2号楼"


def test_levels_with_one_choice_are_not_asked(app, client):
    load(app, HEADER + "幸福里小区,3,,501\n幸福里小区,3,,502\n幸福里小区,4,,101\n")
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    page = client.get(WHERE)
    assert buttons(page, "estate") == [] and buttons(page, "building") == ["3", "4"]  # one estate: not asked
    assert back_of(page) == "/request/questions/what"  # Back skips the level that was never shown
    response = client.post(WHERE, data={"estate": "幸福里小区", "building": "4"})
    assert response.headers["Location"] == "/request/questions/danger"
    assert draft_of(app, client).answers["where"] == "幸福里小区4号楼"
    other = app.test_client()
    start_home_care(other)
    page = other.get(f"{CHOOSER}?estate=幸福里小区&building=3")
    assert buttons(page, "flat") == ["501", "502"]  # no unit level between building and flat
    assert other.post(CHOOSER, data={"estate": "幸福里小区", "building": "4"}).headers["Location"] == "/request/contact"
    assert draft_of(app, other).personal["address"] == "幸福里小区4号楼101室"


def test_back_walks_back_one_level_at_a_time(client):
    start_home_care(client)
    flat_page = client.get(f"{CHOOSER}?estate=幸福里小区&building=3&unit=2")
    assert query(back_of(flat_page)) == {"estate": "幸福里小区", "building": "3"}
    unit_page = client.get(back_of(flat_page))
    assert buttons(unit_page, "unit") == ["1", "2"]
    assert query(back_of(unit_page)) == {"estate": "幸福里小区"}
    building_page = client.get(back_of(unit_page))
    assert buttons(building_page, "building")
    assert back_of(building_page) == CHOOSER
    assert back_of(client.get(CHOOSER)) == "/request/about-you"  # the name, asked on its own page before
    tower = client.get(f"{CHOOSER}?estate=光明花园&building=2&unit=")
    assert query(back_of(tower)) == {"estate": "光明花园"}  # past the unit level that was never shown
    returning = client.get(f"{CHOOSER}?return=check")
    assert back_of(returning) == "/request/check"


def test_not_listed_goes_to_the_ordinary_text_field(app, client):
    start_home_care(client)
    page = client.get(f"{CHOOSER}?estate=幸福里小区&building=3")
    link = re.search(r'<a class="button button--secondary" href="([^"]*)">', main_of(page)).group(1).replace("&amp;", "&")
    assert urlsplit(link).path == "/request/about-you"
    assert query(link) == {"estate": "幸福里小区", "building": "3", "write": "1"}
    written = client.get(link)
    html = written.get_data(as_text=True)
    assert 'id="address"' in html and 'id="name"' in html  # the page as it was before there was a book
    assert 'value="幸福里小区3号楼"' in html  # what was chosen is written already: only the rest to add
    assert query(back_of(written)) == {"estate": "幸福里小区", "building": "3"}  # Back: the level that was left
    refused = client.post(link, data={"name": "王秀兰", "address": ""})
    assert refused.status_code == 422 and query(back_of(refused)) == {"estate": "幸福里小区", "building": "3"}
    response = client.post("/request/about-you", data={"name": "王秀兰", "address": "幸福里小区3号楼 地下室", "write": "1"})
    assert response.headers["Location"] == "/request/contact"
    assert draft_of(app, client).personal["address"] == "幸福里小区3号楼 地下室"
    forged = client.get("/request/about-you?write=1&estate=幸福里小区&building=99").get_data(as_text=True)
    assert 'value="幸福里小区"' in forged  # only what the book has is written in for the resident
    # the repairs question: the same way out
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    page = client.get(WHERE).get_data(as_text=True)
    assert 'href="/request/questions/where?write=1"' in page
    written = client.get("/request/questions/where?write=1").get_data(as_text=True)
    assert 'name="answer"' in written and 'value=""' in written
    assert client.post("/request/questions/where", data={"answer": "小区门口"}).headers["Location"] == "/request/questions/danger"


def test_a_value_not_in_the_book_is_refused_politely_and_nothing_is_lost(app, client):
    start_home_care(client)
    client.post(CHOOSER, data={"estate": "幸福里小区", "building": "3", "unit": "2", "flat": "501"})
    response = client.post(CHOOSER, data={"estate": "不存在小区"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'href="#address-choice"' in html
    assert translate("zh_Hans_CN", "Please choose from the list, or write it instead.") in html
    assert buttons(response, "estate") == ["幸福里小区", "和平新村", "光明花园"]  # asked again
    response = client.post(CHOOSER, data={"estate": "幸福里小区", "building": "99"})
    assert response.status_code == 422 and buttons(response, "building")[0] == "1"
    assert translate("zh_Hans_CN", "You chose: %(address)s", address="幸福里小区") in response.get_data(as_text=True)
    assert draft_of(app, client).personal["address"] == "幸福里小区3号楼2单元501室"  # the earlier answer stays
    moved = client.get(f"{CHOOSER}?estate=幸福里小区&building=99")  # a link to a level the book has not: the nearest one
    assert moved.status_code == 302 and query(moved.headers["Location"]) == {"estate": "幸福里小区"}
    assert client.post(WHERE, data={"estate": "x"}).status_code == 404  # home-care asks no "where"


def test_change_on_the_check_page_leads_back_to_the_chooser_with_the_answer_marked(client):
    start_home_care(client)
    client.post(CHOOSER, data={"estate": "和平新村", "building": "2", "unit": "3", "flat": "402"})
    client.post("/request/contact", data={"contact": "centre"})
    response = client.get(f"{CHOOSER}?return=check")
    selected = re.findall(r'value="([^"]*)" class="button option option--selected"', response.get_data(as_text=True))
    assert selected == ["和平新村"] and 'name="return" value="check"' in response.get_data(as_text=True)
    response = client.post(CHOOSER, data={"estate": "和平新村", "return": "check"})
    assert query(response.headers["Location"]) == {"estate": "和平新村", "return": "check"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.findall(r'value="([^"]*)" class="button option option--selected"', page) == ["2"]
    response = client.post(CHOOSER, data={"estate": "和平新村", "building": "2", "unit": "1", "flat": "101", "return": "check"})
    assert response.headers["Location"] == "/request/check"
    assert "和平新村2号楼1单元101室" in client.get("/request/check").get_data(as_text=True)
    name_change = client.post("/request/about-you", data={"name": "王秀英", "return": "check"})
    assert name_change.headers["Location"] == "/request/check"  # changing the name does not ask the address again


def test_an_empty_book_means_writing_as_before(app, client):
    load(app, HEADER)
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    page = client.get("/request/questions/where")
    assert page.status_code == 200 and 'name="answer"' in page.get_data(as_text=True)
    assert client.get(WHERE).headers["Location"] == "/request/questions/where?write=1"
    start_home_care(client)
    page = client.get("/request/about-you").get_data(as_text=True)
    assert 'id="address"' in page and "write=1" not in page
    check_link = client.get(f"{CHOOSER}?return=check")
    assert urlsplit(check_link.headers["Location"]).path == "/request/about-you"
    assert query(check_link.headers["Location"]) == {"return": "check", "write": "1"}


def test_choice_pages_read_the_choices_aloud(app, client):
    client.post("/language", data={"locale": "zh_Hans_CN"})
    start_home_care(client)
    words = page_text(client.get(f"{CHOOSER}?estate=幸福里小区").get_data(as_text=True), "mandarin")
    assert words.startswith("居家养老上门服务 第 3 步，共 5 步。 您的住址。 已选：幸福里小区。 请选楼号。 1号楼。 2号楼。")
    assert "6号楼。 列表里没有，我来写。" in words
    client.post("/language", data={"locale": "en"})
    words = page_text(client.get(f"{CHOOSER}?estate=幸福里小区&building=3").get_data(as_text=True), "english")
    assert "You chose: Building 3, Xingfuli. Choose the entrance. Entrance 1. Entrance 2. Not listed — write it instead." in words


def test_choice_pages_are_valid_html(app, tmp_path):
    from .html_check import nu_problems

    found = {}
    for locale in LOCALES:
        client = app.test_client()
        client.post("/language", data={"locale": locale})
        start_home_care(client)
        pages = {"estates": client.get(CHOOSER), "flats": client.get(f"{CHOOSER}?estate=光明花园&building=2&unit="),
                 "error": client.post(CHOOSER, data={"estate": "nowhere"}), "write": client.get("/request/about-you?write=1&estate=光明花园")}
        found.update({f"{locale}-{name}": response.get_data(as_text=True) for name, response in pages.items()})
        client.post("/services/repairs")
        client.post("/request/questions/what", data={"answer": "light"})
        place = "estate=幸福里小区&building=1&unit=1"
        pages = {"spots": client.get(f"{WHERE}?{place}"), "floors": client.get(f"{WHERE}?{place}&spot=楼道"),
                 "other": client.get(f"/request/questions/where?{place}&write=1&other=1")}
        found.update({f"{locale}-{name}": response.get_data(as_text=True) for name, response in pages.items()})
    problems = nu_problems(found, tmp_path)
    assert not problems, "\n".join(problems)


# --- the command line --------------------------------------------------------------------------------


def test_cli_loads_the_demo_book_a_file_and_exports(app, runner, tmp_path):
    result = runner.invoke(args=["addresses", "load"])
    assert result.exit_code == 0 and "Loaded 336 addresses in 3 estates" in result.output
    path = tmp_path / "book.csv"
    path.write_text(SMALL, encoding="utf-8")
    result = runner.invoke(args=["addresses", "load", str(path)])
    assert result.exit_code == 0 and "Loaded 6 addresses in 2 estates" in result.output
    exported = runner.invoke(args=["addresses", "export"])
    assert exported.exit_code == 0 and exported.output == SMALL
    path.write_bytes((HEADER + "幸福里小区,3,2,501\n").encode() + "和平新村,1,1,101\n".encode("gbk"))
    refused = runner.invoke(args=["addresses", "load", str(path)])
    assert refused.exit_code == 1 and "line 3 is not UTF-8 text" in refused.output and str(path) in refused.output
    assert runner.invoke(args=["addresses", "export"]).output == SMALL  # the bad file changed nothing
    for command in ("load", "export"):
        assert runner.invoke(args=["addresses", command, "--help"]).output.count("\n") > 2


# --- the catalogue and the county --------------------------------------------------------------------


def test_only_written_questions_opt_in_and_the_key_is_checked():
    catalogue = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    where = next(a for s in catalogue["services"] if s["service_code"] == "repairs" for a in s["attributes"] if a["code"] == "where")
    assert (where["choose_from"], where["choose_down_to"]) == ("address_book", "unit")
    for key, value in (("choose_from", "phone_book"), ("choose_down_to", "floor")):
        broken = json.loads(json.dumps(catalogue))
        next(a for s in broken["services"] if s["service_code"] == "repairs" for a in s["attributes"] if a["code"] == "where")[key] = value
        with pytest.raises(CatalogueError, match=key):
            validate_catalogue(broken)
    listed = json.loads(json.dumps(catalogue))
    next(a for s in listed["services"] if s["service_code"] == "repairs" for a in s["attributes"] if a["code"] == "what")["choose_from"] = "address_book"
    with pytest.raises(CatalogueError, match="needs a written question"):
        validate_catalogue(listed)


def test_the_county_payload_keeps_its_shape(app, client):
    """An address chosen from the book travels as the same words a written one would; the kiosk's key stays home."""
    with app.app_context():
        repairs = get_service(get_db(), "repairs", "zh_Hans_CN")
    fill_service(client, repairs)  # written
    written_ticket, _ = confirm(client)
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    client.post(WHERE, data={"estate": "幸福里小区", "building": "3", "unit": "2", "spot": "楼道", "floor": "3"})
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    chosen_ticket, _ = confirm(client)
    with app.app_context():
        db = get_db()
        written, chosen = (open311_fields(db, saved, submissions.wording_of(db, saved.id))
                           for saved in (submissions.by_ticket(db, written_ticket), submissions.by_ticket(db, chosen_ticket)))
    assert set(chosen) == set(written)
    assert chosen["attribute[where]"] == "幸福里小区3号楼2单元 楼道 3楼"
    assert "在哪里？ 幸福里小区3号楼2单元 楼道 3楼" in chosen["description"]
    assert not any(key in name or key in str(value) for key in (*KIOSK_ONLY_KEYS, "address_book") for name, value in chosen.items())


# --- shared spots: where in the building a repair is ----------------------------------------------------

SPOTS = ("estate,building,unit,flat,estate_en,spot,spot_en,floors\n"
         "幸福里小区,1,1,101,Xingfuli\n幸福里小区,1,1,301\n幸福里小区,1,2,101\n光明花园,2,,301\n"
         "幸福里小区,1,1,,,楼道,,1-6\n幸福里小区,1,1,,,电梯\n幸福里小区,1,1,,,自行车房,Bike room\n光明花园,2,,,,楼层,,\"B1,1-3\"\n")


def test_spot_lines_load_beside_flats_and_old_files_still_load(app):
    assert load(app, SPOTS) == {"addresses": 4, "estates": 2, "spots": 4}
    with app.app_context():
        db = get_db()
        assert addresses.spots(db, ["幸福里小区", "1", "1"]) == ["楼道", "电梯", "自行车房"]
        assert addresses.spots(db, ["幸福里小区", "1", "2"]) == [] and addresses.spots(db, ["幸福里小区", "1", "1", "101"]) == []
        assert addresses.spot_floors(db, ["幸福里小区", "1", "1"], "楼道") == ["1", "2", "3", "4", "5", "6"]
        assert addresses.spot_floors(db, ["光明花园", "2", ""], "楼层") == ["B1", "1", "2", "3"]
        assert addresses.flats(db, "幸福里小区", "1", "1") == ["101", "301"]  # a spot is never a flat
        assert {"楼道", "樓道", "3楼", "3樓", "电梯"} <= addresses.vocabulary(db)  # handwriting knows them
    assert load(app, SMALL) == {"addresses": 6, "estates": 2}  # a file of four columns, as before


@pytest.mark.parametrize("content, message", [
    ("estate,building,unit,flat,spot\n幸福里小区,1,1,101,楼道\n", "line 2: a line names a flat or a shared spot"),
    ("estate,building,unit,flat,spot,floors\n幸福里小区,1,1,,楼道,一至六\n", "line 2: the floors '一至六'"),
    ("estate,building,unit,flat,spot,floors\n幸福里小区,1,1,,楼道,6-1\n", "do not go up"),
    ("estate,building,unit,flat,floors\n幸福里小区,1,1,101,1-6\n", "line 2: spot_en and floors belong to a line with a spot"),
    ("estate,building,unit,flat,spot\n幸福里小区,1,1,101\n幸福里小区,1,,,楼道\n", "line 3: building 1 of 幸福里小区 has flats with and without a unit"),
    ("estate,building,unit,flat,spot\n幸福里小区,1,1,,楼道\n幸福里小区,1,1,,楼道\n", "line 3 repeats line 2"),
    ("estate,building,unit,flat\n幸福里小区,1,1,101,x\n", "line 2: 5 values, but the header names 4"),
])
def test_a_bad_spot_line_is_refused_naming_its_line(app, content, message):
    with pytest.raises(AddressBookError, match=re.escape(message)):
        load(app, content)


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "zh_Hant_TW", "en"])
def test_a_repair_says_the_shared_spot_and_its_floor_in_words(app, client, locale):
    """小区 → 楼栋 → 单元 → 楼道 → 3楼: one tap a page, each page's Back one step, the words on the check page.
    The pages speak the resident's language; the place is kept in the centre's (it goes to the county as kept)."""
    stairway, lift, named = "幸福里小区1号楼1单元 楼道 3楼", "幸福里小区1号楼1单元 电梯", "幸福里小区1号楼1单元 自行车房"
    load(app, SPOTS)
    client.post("/language", data={"locale": locale})
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    response = client.post(WHERE, data={"estate": "幸福里小区"})
    assert buttons(client.get(response.headers["Location"]), "unit") == ["1", "2"]  # building 1 is the only one
    response = client.post(WHERE, data={"estate": "幸福里小区", "building": "1", "unit": "1"})
    assert response.status_code == 302 and query(response.headers["Location"]) == {"estate": "幸福里小区", "building": "1", "unit": "1"}
    spot_page = client.get(response.headers["Location"])
    html = spot_page.get_data(as_text=True)
    assert buttons(spot_page, "spot") == ["楼道", "电梯", "自行车房"]
    assert translate(locale, "Which shared place is it?") in html
    assert translate(locale, "Other — write what it is") in html
    shown = re.findall(r'<span class="button__text">([^<]*)</span>', main_of(spot_page))
    assert shown[:3] == {"zh_Hans_CN": ["楼道", "电梯", "自行车房"], "zh_Hant_TW": ["樓道", "電梯", "自行车房"],
                         "en": ["Stairway", "Lift", "Bike room"]}[locale]
    assert query(back_of(spot_page)) == {"estate": "幸福里小区", "building": "1"}  # Back: the entrances
    response = client.post(WHERE, data={"estate": "幸福里小区", "building": "1", "unit": "1", "spot": "楼道"})
    assert query(response.headers["Location"]) == {"estate": "幸福里小区", "building": "1", "unit": "1", "spot": "楼道"}
    floor_page = client.get(response.headers["Location"])
    assert buttons(floor_page, "floor") == ["1", "2", "3", "4", "5", "6"]
    assert translate(locale, "Which floor?") in floor_page.get_data(as_text=True)
    assert query(back_of(floor_page)) == {"estate": "幸福里小区", "building": "1", "unit": "1"}  # Back: the spots
    response = client.post(WHERE, data={"estate": "幸福里小区", "building": "1", "unit": "1", "spot": "楼道", "floor": "3"})
    assert response.headers["Location"] == "/request/questions/danger"
    assert draft_of(app, client).answers["where"] == stairway
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    assert {"zh_Hans_CN": stairway, "zh_Hant_TW": "幸福里小区1號樓1單元 樓道 3樓",
            "en": "Stairway, Floor 3, Entrance 1, Building 1, Xingfuli"}[locale] in client.get("/request/check").get_data(as_text=True)
    # Change: the chooser again, the earlier spot and floor marked
    again = client.get(f"{WHERE}?estate=幸福里小区&building=1&unit=1&return=check")
    assert re.findall(r'value="([^"]*)" class="button option option--selected"', again.get_data(as_text=True)) == ["楼道"]
    again = client.get(f"{WHERE}?estate=幸福里小区&building=1&unit=1&spot=楼道&return=check")
    assert re.findall(r'value="([^"]*)" class="button option option--selected"', again.get_data(as_text=True)) == ["3"]
    # a spot without floors is the whole answer
    response = client.post(WHERE, data={"estate": "幸福里小区", "building": "1", "unit": "1", "spot": "电梯", "return": "check"})
    assert response.headers["Location"] == "/request/check"
    assert draft_of(app, client).answers["where"] == lift
    client.post(WHERE, data={"estate": "幸福里小区", "building": "1", "unit": "1", "spot": "自行车房"})
    assert draft_of(app, client).answers["where"] == named  # a name the kiosk does not know: spot_en, or as written
    assert {"zh_Hans_CN": named, "zh_Hant_TW": "幸福里小区1號樓1單元 自行车房",
            "en": "Bike room, Entrance 1, Building 1, Xingfuli"}[locale] in client.get("/request/check").get_data(as_text=True)
    # an entrance without spots: the entrance is the whole answer, as before
    client.post(WHERE, data={"estate": "幸福里小区", "building": "1", "unit": "2"})
    assert draft_of(app, client).answers["where"] == "幸福里小区1号楼2单元"


def test_other_asks_what_it_is_in_the_same_answer(app, client):
    load(app, SPOTS)
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "other"})
    spot_page = client.get(f"{WHERE}?estate=幸福里小区&building=1&unit=1")
    link = re.search(r'<a class="button button--secondary" href="([^"]*)">', main_of(spot_page)).group(1).replace("&amp;", "&")
    assert query(link) == {"estate": "幸福里小区", "building": "1", "unit": "1", "write": "1", "other": "1"}
    written = client.get(link)
    html = written.get_data(as_text=True)
    assert 'value="幸福里小区1号楼1单元 "' in html  # the place already written: only what it is to add
    assert translate("zh_Hans_CN", "Write what it is after the place, for example: water tank") in html
    assert query(back_pressed(client, written)) == {"estate": "幸福里小区", "building": "1", "unit": "1"}  # Back: the spots
    assert "where" not in draft_of(app, client).answers  # the place written in for her is not her answer
    refused = client.post(link, data={"answer": ""})
    assert refused.status_code == 422
    assert translate("zh_Hans_CN", "Write what it is after the place, for example: water tank") in refused.get_data(as_text=True)
    response = client.post(link, data={"answer": "幸福里小区1号楼1单元 水箱"})
    assert response.headers["Location"] == "/request/questions/danger"
    assert draft_of(app, client).answers["where"] == "幸福里小区1号楼1单元 水箱"
    # "not listed" on the floor page keeps the spot written in
    floor_page = client.get(f"{WHERE}?estate=幸福里小区&building=1&unit=1&spot=楼道")
    link = re.search(r'<a class="button button--secondary" href="([^"]*)">', main_of(floor_page)).group(1).replace("&amp;", "&")
    assert 'value="幸福里小区1号楼1单元 楼道"' in client.get(link).get_data(as_text=True)


def test_a_spot_or_floor_not_in_the_book_is_refused_and_home_never_asks_spots(app, client):
    load(app, SPOTS)
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    place = {"estate": "幸福里小区", "building": "1", "unit": "1"}
    refused = client.post(WHERE, data={**place, "spot": "金库"})
    assert refused.status_code == 422 and buttons(refused, "spot") == ["楼道", "电梯", "自行车房"]
    refused = client.post(WHERE, data={**place, "spot": "楼道", "floor": "99"})
    assert refused.status_code == 422 and buttons(refused, "floor")[0] == "1"
    assert "where" not in draft_of(app, client).answers
    moved = client.get(f"{WHERE}?estate=幸福里小区&building=1&unit=1&spot=楼道&floor=99")
    assert query(moved.headers["Location"]) == {**place, "spot": "楼道"}
    moved = client.get(f"{WHERE}?estate=幸福里小区&building=1&unit=1&spot=金库")
    assert query(moved.headers["Location"]) == place
    # where you live: the flat is the answer; spots are never offered there
    start_home_care(client)
    response = client.post(CHOOSER, data={"estate": "幸福里小区", "building": "1", "unit": "1", "flat": "301", "spot": "楼道"})
    assert response.headers["Location"] == "/request/contact"
    assert draft_of(app, client).personal["address"] == "幸福里小区1号楼1单元301室"


class CountyCatalogue:
    """A transport that answers the county's catalogue calls with the reference county's catalogue."""

    def __init__(self):
        self.services = json.loads((ROOT / "county/catalogue.json").read_text(encoding="utf-8"))["services"]

    def request(self, method, url, *, params=None, data=None):
        if url.endswith("/services.json"):
            listing = [{k: v for k, v in s.items() if k != "attributes"} for s in self.services]
            return Reply(200, json.dumps(listing, ensure_ascii=False).encode())
        code = url.rsplit("/", 1)[1].removesuffix(".json")
        service = next(s for s in self.services if s["service_code"] == code)
        return Reply(200, json.dumps({"service_code": code, "attributes": service["attributes"]}, ensure_ascii=False).encode())


def test_a_catalogue_from_the_county_keeps_the_kiosks_own_key(app):
    with app.app_context():
        db = get_db()
        result = refresh_catalogue(db, Open311Client("http://county.test", "k", "demo-county", CountyCatalogue()))
        assert "error" not in result, result
        where = get_service(db, "repairs", "zh_Hans_CN").question("where")
        assert (where.choose_from, where.choose_down_to) == ("address_book", "unit")


# --- at the screen -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kiosk_with_a_book(tmp_path_factory):
    live = LiveKiosk(tmp_path_factory.mktemp("address-book") / "instance", address_book=True).start()
    yield live
    live.stop()


@pytest.mark.browser
def test_a_resident_chooses_where_she_lives_by_touch(browser, kiosk_with_a_book):
    from .browser import Resident
    from .test_accessibility import AXE, MEASURE, TAGS

    context = browser.new_context(viewport=KIOSK_SIZE, has_touch=True, locale="zh-CN", bypass_csp=True)  # CSP blocks injecting axe
    page = context.new_page()
    resident = Resident(page, kiosk_with_a_book.url, js=True)
    problems = []

    def audit(name: str) -> None:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        problems.extend(f"{name}: axe {v['id']}: {v['help']}" for v in result["violations"])
        problems.extend(f"{name}: {p}" for p in page.evaluate(MEASURE, 28))

    def tap(locator) -> None:
        before = page.url
        locator.tap()
        page.wait_for_url(lambda url: url != before, timeout=10_000)
        resident.settle()

    try:
        resident.open("/services/home-care")
        tap(page.locator("main form button.button--primary"))
        tap(page.locator(".options button").first)
        tap(page.locator(".options button").first)
        page.locator("#name").fill("王秀兰")
        tap(page.locator("main form button.button--primary"))
        assert resident.path == CHOOSER
        audit("estates")
        tap(page.locator("button[name=estate][value=幸福里小区]"))
        tap(page.get_by_role("button", name="3号楼"))
        tap(page.get_by_role("button", name="2单元"))
        audit("flats")
        assert page.locator(".choice-list__so-far").inner_text() == "已选：幸福里小区3号楼2单元"
        tap(page.get_by_role("button", name="501室"))
        assert resident.path == "/request/contact"
        tap(page.locator("button[value=centre]"))
        assert "幸福里小区3号楼2单元501室" in page.locator("main").inner_text()
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_a_resident_says_the_broken_lamp_is_on_the_third_floor_by_touch(browser, kiosk_with_a_book, tmp_path):
    """小区 → 楼栋 → 单元 → 楼道 → 3楼 at kiosk size: one tap a page, no typing, axe clean, each page fits."""
    from .browser import Resident
    from .test_accessibility import AXE, MEASURE, TAGS

    context = browser.new_context(viewport=KIOSK_SIZE, has_touch=True, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    resident = Resident(page, kiosk_with_a_book.url, js=True)
    problems, taps = [], []
    shots = tmp_path  # looked at, and kept as docs/screenshots/repair-spot-kiosk.png and repair-floor-kiosk.png

    def audit(name: str) -> None:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        problems.extend(f"{name}: axe {v['id']}: {v['help']}" for v in result["violations"])
        problems.extend(f"{name}: {p}" for p in page.evaluate(MEASURE, 28))

    def tap(locator) -> None:
        before = page.url
        box = locator.bounding_box()
        assert box and box["y"] + box["height"] <= KIOSK_SIZE["height"], f"{locator} is below the fold"
        locator.tap()
        taps.append(before)
        page.wait_for_url(lambda url: url != before, timeout=10_000)
        resident.settle()

    try:
        resident.open("/services/repairs")
        tap(page.locator("main form button.button--primary"))  # Start
        tap(page.get_by_role("button", name="楼道灯"))
        assert resident.path == WHERE
        tap(page.locator("button[name=estate][value=幸福里小区]"))
        tap(page.get_by_role("button", name="1号楼"))
        tap(page.get_by_role("button", name="1单元"))
        assert page.locator(".choice-list__so-far").inner_text() == "已选：幸福里小区1号楼1单元"
        assert [b.inner_text() for b in page.locator("button[name=spot]").all()] == ["楼道", "电梯", "单元门", "屋顶", "地下室"]
        assert page.locator(".choice-list__other").inner_text().strip().endswith("其他（写下是什么）")
        audit("spots")
        page.screenshot(path=str(shots / "repair-spot-kiosk.png"))
        tap(page.get_by_role("button", name="楼道"))
        assert page.locator(".choice-list__so-far").inner_text() == "已选：幸福里小区1号楼1单元 楼道"
        audit("floors")
        page.screenshot(path=str(shots / "repair-floor-kiosk.png"))
        tap(page.get_by_role("button", name="3楼"))
        assert resident.path == "/request/questions/danger"
        tap(page.get_by_role("button", name="没有危险"))
        tap(page.locator("button[value=centre]"))
        assert resident.path == "/request/check"
        assert "幸福里小区1号楼1单元 楼道 3楼" in page.locator("main").inner_text()
    finally:
        context.close()
    # Start, what, danger, contact: four; estate, building, unit, spot, floor: five levels of the place
    assert len(taps) == 9, taps
    assert not problems, "\n".join(problems)
