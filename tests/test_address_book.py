"""The centre's address book: loaded from a CSV file, asked about level by level, its addresses written
as residents write them; the CLI; the catalogue's key that opts a question in. A real SQLite file and
the CLI runner."""
from __future__ import annotations

import json
import re

import pytest

from core import addresses
from core.addresses import AddressBookError
from core.catalogue import DEMO_FILE, CatalogueError, get_service, validate_catalogue
from kiosk.db import get_db
from sync.catalogue import refresh_catalogue
from sync.open311 import Open311Client, Reply

from .conftest import ROOT

HEADER = "estate,building,unit,flat\n"
SMALL = (HEADER + "幸福里小区,3,1,101\n幸福里小区,3,1,102\n幸福里小区,3,2,501\n幸福里小区,4,1,101\n"
         "光明花园,2,,301\n光明花园,2,,302\n")


def load(app, text: str | bytes) -> dict:
    with app.app_context():
        return addresses.load_csv(get_db(), text.encode() if isinstance(text, str) else text)




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
        assert exported.splitlines()[0] == "estate,building,unit,flat,estate_en"
        before = list(db.query("SELECT estate, estate_latin, building, unit, flat FROM address_book ORDER BY position"))
        addresses.load_csv(db, exported.encode())
        assert list(db.query("SELECT estate, estate_latin, building, unit, flat FROM address_book ORDER BY position")) == before


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
        addresses.load_csv(db, (HEADER + "幸福里小区,3,,501\n").encode())
        only = addresses.walk(db, [])  # a book of one address still asks for one tap, on its flat
        assert (only.path, only.level, only.choices) == (("幸福里小区", "3", ""), "flat", ("501",))
        assert addresses.walk(db, ["幸福里小区", "3", "", "501"]).complete


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
