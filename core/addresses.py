"""The centre's address book: 小区 → 楼栋 → 单元 → 室, so a resident chooses an address instead of writing it.

Owns ``address_book`` and its counter in ``meta``. A book comes from a CSV file (``flask addresses
load``; the demo book ships beside the demo catalogue) and replaces the stored one in one write
transaction: a bad file changes nothing, and the error names its line. Estate names are kept as
written: a Traditional-script page shows them as stored; English pages use the ``estate_en`` column
where the file gives one.

An address chosen from the book is stored as its :func:`label`, the words a resident would write
("幸福里小区3号楼2单元501室"), in the same place a written one goes, so nothing after the choice
needs to know how it was given. It is stored in the centre's language whatever the page's was
(``kiosk/resident/forms.py``): it goes to the county as stored, and the county reads one language.
A page in another language shows it in its own words: :func:`relabel` finds the book's place again from them.

A book may also name the shared places of a building or an entrance — *spots* (楼道, 电梯, 单元门, 屋顶,
地下室…), each optionally with the floors asked after it — so a repair can say where in the building
it is: "幸福里小区1号楼1单元 楼道 3楼". A spot is a line with a ``spot`` and no ``flat``; the known
names (:data:`SPOT_NAMES`) are written in each language, others as written or by ``spot_en``.
"""
from __future__ import annotations

import csv
import io
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from . import counters
from .db import require_transaction

DEMO_FILE = Path(__file__).with_name("demo_addresses.csv")
LEVELS = ("estate", "building", "unit", "flat")
OPTIONAL_COLUMNS = ("estate_en", "spot", "spot_en", "floors")
SPOT_LEVELS = ("spot", "floor")  # asked after a place's last level, for a question that asks where something is
# The shared places a centre's book is likely to name, in each language (keyed by either Chinese script).
# Any other name is shown as written, or by the line's spot_en on English pages.
_SPOTS = [("楼道", "樓道", "Stairway"), ("楼梯", "樓梯", "Stairs"), ("电梯", "電梯", "Lift"), ("单元门", "單元門", "Entrance door"),
          ("门禁", "門禁", "Door entry phone"), ("屋顶", "屋頂", "Roof"), ("地下室", "地下室", "Basement"),
          ("楼层", "樓層", "Landing"), ("大门", "大門", "Main gate"), ("车棚", "車棚", "Bicycle shed"),
          ("信箱", "信箱", "Letterboxes"), ("垃圾房", "垃圾房", "Bin room"), ("水箱", "水箱", "Water tank"),
          ("外墙", "外牆", "Outside wall"), ("停车场", "停車場", "Car park"), ("花园", "花園", "Garden")]
SPOT_NAMES = {name: {"zh_Hans_CN": simplified, "zh_Hant_TW": traditional, "en": english}
              for simplified, traditional, english in _SPOTS for name in (simplified, traditional)}
MAX_FLOORS = 200
# Headers a centre's own spreadsheet may use instead of the English names.
HEADER_ALIASES = {"小区": "estate", "小區": "estate", "楼栋": "building", "樓棟": "building", "楼号": "building",
                  "樓號": "building", "单元": "unit", "單元": "unit", "室": "flat", "房号": "flat", "房號": "flat",
                  "地点": "spot", "地點": "spot", "楼层": "floors", "樓層": "floors"}
MAX_ROWS = 50_000
MAX_PART = 40  # characters in one cell: a label stays well under the 200 of a written address
FALLBACK_LOCALE = "zh_Hans_CN"
# How each level is written after (Chinese) or before (English) a plain number such as 3 or 12A.
# A value that is not a plain number ("综合楼", "东区") is written as it stands.
_SUFFIXES = {
    "zh_Hans_CN": {"building": "号楼", "unit": "单元", "flat": "室"},
    "zh_Hant_TW": {"building": "號樓", "unit": "單元", "flat": "室"},
}
_SUFFIXES["zh_Hans_CN"]["floor"] = "楼"
_SUFFIXES["zh_Hant_TW"]["floor"] = "樓"
_ENGLISH = {"building": "Building {}", "unit": "Entrance {}", "flat": "Flat {}", "floor": "Floor {}"}
_FLOOR_RANGE = re.compile(r"(-?\d{1,3})\s*[-–~]\s*(-?\d{1,3})")
_PLAIN_NUMBER = re.compile(r"[0-9A-Za-z]{1,8}(-[0-9A-Za-z]{1,8})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


class AddressBookError(ValueError):
    """An address book file that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Walk:
    """Where a resident is in the book after some choices (see :func:`walk`).

    :param path: values fixed so far, level by level: chosen, or the only one there was.
    :param level: the level to ask next, or None when the path reaches the depth asked for.
    :param choices: that level's choices, in the book's order.
    :param asked: indexes of the levels in ``path`` that had more than one choice (where Back goes).
    :param invalid: the level whose given value is not in the book, if one was not.
    :param spot: the shared place chosen after the path (楼道), and ``floor`` its floor, when asked.
    """

    path: tuple[str, ...]
    level: str | None
    choices: tuple[str, ...] = ()
    asked: tuple[int, ...] = ()
    invalid: str | None = None
    spot: str = ""
    floor: str = ""

    @property
    def complete(self) -> bool:
        return self.level is None and self.invalid is None


# --- reading a file -------------------------------------------------------------------------------


def _cell(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", value)).split())


def _decode(data: bytes) -> str:
    """The file as text; the first line that is not UTF-8 is named."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for number, line in enumerate(data.split(b"\n"), 1):
        try:
            line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise AddressBookError(
                f"line {number} is not UTF-8 text; save the file as 'CSV UTF-8' and load it again") from None
    raise AddressBookError("the file is not UTF-8 text")  # pragma: no cover - a split never hides the bad byte


def _natural(value: str) -> tuple:
    """Sort key that puts 2 before 10 and 2A before 2B."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", value))


def read_csv(data: bytes) -> list[dict]:
    """Rows of an address book file, checked; raises :class:`AddressBookError` naming the line.

    The file is UTF-8 CSV with a header naming ``estate, building, unit, flat`` (or 小区, 楼栋, 单元,
    室), in any order, and optionally ``estate_en``. ``unit`` may be empty for a building that has
    no 单元, but then for every flat of that building. A repeated address is an error, as is an
    English name that differs between two lines of one estate.

    Optionally ``spot``, ``spot_en`` and ``floors`` (or 地点, 楼层): a line with a spot and no flat is a
    shared place of its building, or of its entrance where the building has 单元 ("楼道", floors
    "1-6" or "B1,1-18"). Empty cells at the end of a line may be left off, so a file's flat lines
    need no commas for the spot columns. Spot lines come back as dicts with a ``spot`` key.
    """
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header = next(reader, None)
    while header is not None and not any(c.strip() for c in header):
        header = next(reader, None)
    if header is None:
        raise AddressBookError("the file is empty; it needs a header line: estate,building,unit,flat")
    columns = [HEADER_ALIASES.get(_cell(c), _cell(c).lower()) for c in header]
    unknown = [c for c in columns if c not in LEVELS + OPTIONAL_COLUMNS]
    missing = [c for c in LEVELS if c not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise AddressBookError(
            f"line {reader.line_num}: the header must name estate, building, unit and flat once each "
            f"(and may add estate_en); it has {', '.join(columns) or 'nothing'}")
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    has_units: dict[tuple, tuple[bool, int]] = {}
    latin: dict[str, tuple[str, int]] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns) or (len(cells) < len(columns) and any(c.strip() for c in cells[len(columns):])):
            raise AddressBookError(f"line {line}: {len(cells)} values, but the header names {len(columns)}")
        row = {c: "" for c in OPTIONAL_COLUMNS} | {c: _cell(v) for c, v in zip(columns, cells)}
        if row["spot"] and row["flat"]:
            raise AddressBookError(f"line {line}: a line names a flat or a shared spot ({row['spot']}), not both")
        for level in ("estate", "building") if row["spot"] else ("estate", "building", "flat"):
            if not row[level]:
                raise AddressBookError(f"line {line}: no {level}")
        if not row["spot"] and (row["spot_en"] or row["floors"]):
            raise AddressBookError(f"line {line}: spot_en and floors belong to a line with a spot")
        try:
            floors(row["floors"])
        except ValueError as exc:
            raise AddressBookError(f"line {line}: {exc}") from None
        for column, value in row.items():
            if len(value) > MAX_PART:
                raise AddressBookError(f"line {line}: the {column} is longer than {MAX_PART} characters")
        key = tuple(row[level] for level in LEVELS) + (row["spot"],)
        if key in seen:
            raise AddressBookError(f"line {line} repeats line {seen[key]}: {' '.join(v for v in key if v)}")
        seen[key] = line
        building = (row["estate"], row["building"])
        with_unit = bool(row["unit"])
        first = has_units.setdefault(building, (with_unit, line))
        if first[0] != with_unit:
            raise AddressBookError(
                f"line {line}: building {row['building']} of {row['estate']} has flats with and without a unit "
                f"(see line {first[1]}); give every flat and spot of a building a unit, or none")
        name = row.get("estate_en", "")
        if name:
            known = latin.setdefault(row["estate"], (name, line))
            if known[0] != name:
                raise AddressBookError(f"line {line}: {row['estate']} is called {name} here but {known[0]} on line {known[1]}")
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise AddressBookError(f"line {line}: more than {MAX_ROWS} addresses")
    return [{"estate": r["estate"], "building": r["building"], "unit": r["unit"], "spot": r["spot"],
             "spot_latin": r["spot_en"], "floors": r["floors"], "position": i} if r["spot"] else
            {"estate": r["estate"], "estate_latin": latin.get(r["estate"], ("", 0))[0], "building": r["building"],
             "unit": r["unit"], "flat": r["flat"], "position": i} for i, r in enumerate(rows)]


def floors(text: str) -> list[str]:
    """The floors a spot line names, in order: "1-6" → 1…6; "B1,1-3" → B1, 1, 2, 3. ValueError if unreadable."""
    found: list[str] = []
    for item in (i.strip() for i in re.split(r"[,，、]", text) if i.strip()):
        ranged = _FLOOR_RANGE.fullmatch(item)
        if ranged:
            low, high = int(ranged[1]), int(ranged[2])
            if high < low or high - low >= MAX_FLOORS:
                raise ValueError(f"the floors {item!r} do not go up")
            found.extend(str(n) for n in range(low, high + 1))
        elif _PLAIN_NUMBER.fullmatch(item):
            found.append(item)
        else:
            raise ValueError(f"the floors {item!r} are not like 1-6 or B1,1-18")
    if len(found) != len(set(found)) or len(found) > MAX_FLOORS:
        raise ValueError(f"the floors {text!r} repeat a floor or are more than {MAX_FLOORS}")
    return found


# --- storing and exporting -------------------------------------------------------------------------


def load(db: Database, rows: list[dict]) -> dict[str, int]:
    """Replace the address book with ``rows`` (from :func:`read_csv`), in the caller's transaction."""
    require_transaction(db)
    places = [r for r in rows if "spot" not in r]
    spots = [r for r in rows if "spot" in r]
    db.execute("DELETE FROM address_book")
    db.execute("DELETE FROM address_spots")
    if places:
        db["address_book"].insert_all(places)
    if spots:
        db["address_spots"].insert_all(spots)
    counters.bump(db, counters.ADDRESS_BOOK)
    return {"addresses": len(places), "estates": len({r["estate"] for r in places}), **({"spots": len(spots)} if spots else {})}


def load_csv(db: Database, data: bytes) -> dict[str, int]:
    """Check an address book file and replace the stored book with it; nothing changes on an error."""
    return load(db, read_csv(data))


def export_csv(db: Database) -> str:
    """The stored book as a file :func:`load_csv` takes back (``estate_en`` only when a name has one)."""
    rows = list(db.query("SELECT estate, estate_latin, building, unit, flat FROM address_book ORDER BY position"))
    spots = list(db.query("SELECT estate, building, unit, spot, spot_latin, floors FROM address_spots ORDER BY position"))
    with_latin = any(r["estate_latin"] for r in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*LEVELS, *(("estate_en",) if with_latin or spots else ()), *(("spot", "spot_en", "floors") if spots else ())])
    for r in rows:
        writer.writerow([r["estate"], r["building"], r["unit"], r["flat"], *((r["estate_latin"],) if with_latin else ())])
    for r in spots:  # after the flats: a spot's English estate name is its flats'
        writer.writerow([r["estate"], r["building"], r["unit"], "", "", r["spot"], r["spot_latin"], r["floors"]])
    return out.getvalue()


# --- questions ---------------------------------------------------------------------------------------


def is_empty(db: Database) -> bool:
    """Whether there is no book (then residents write their address, as before there was one)."""
    return db.execute("SELECT 1 FROM address_book LIMIT 1").fetchone() is None


def flat_count(db: Database) -> int:
    """How many addresses the book holds."""
    return db.execute("SELECT COUNT(*) FROM address_book").fetchone()[0]


def estates(db: Database) -> list[str]:
    """Estate names in the order the book first lists them."""
    return [r[0] for r in db.execute("SELECT estate FROM address_book GROUP BY estate ORDER BY MIN(position)")]


def _distinct(db: Database, column: str, where: str, params: Sequence[str]) -> list[str]:
    values = [r[0] for r in db.execute(f"SELECT DISTINCT {column} FROM address_book WHERE {where}", list(params))]
    return sorted(values, key=_natural)


def buildings(db: Database, estate: str) -> list[str]:
    return _distinct(db, "building", "estate = ?", [estate])


def units(db: Database, estate: str, building: str) -> list[str]:
    """The building's units; ``[""]`` for a building without 单元."""
    return _distinct(db, "unit", "estate = ? AND building = ?", [estate, building])


def flats(db: Database, estate: str, building: str, unit: str) -> list[str]:
    return _distinct(db, "flat", "estate = ? AND building = ? AND unit = ?", [estate, building, unit])


def choices(db: Database, path: Sequence[str]) -> list[str]:
    """The choices of the level after ``path`` (estates for an empty path)."""
    if not path:
        return estates(db)
    return [buildings, units, flats][len(path) - 1](db, *path)  # type: ignore[operator]


def _place(path: Sequence[str]) -> tuple[str, str, str] | None:
    """The (estate, building, unit) a path reaches, when it reaches a building; spots belong there."""
    return (path[0], path[1], path[2] if len(path) > 2 else "") if len(path) >= 2 else None


def spots(db: Database, path: Sequence[str]) -> list[str]:
    """The shared places of the building or entrance ``path`` reaches (none for a flat or an estate)."""
    place = _place(path)
    if place is None or len(path) > 3:
        return []
    return [r[0] for r in db.execute("SELECT spot FROM address_spots WHERE estate = ? AND building = ? AND unit = ?"
                                     " ORDER BY position", list(place))]


def spot_floors(db: Database, path: Sequence[str], spot: str) -> list[str]:
    """The floors asked after ``spot`` (none: the spot is the whole answer)."""
    place = _place(path)
    row = db.execute("SELECT floors FROM address_spots WHERE estate = ? AND building = ? AND unit = ? AND spot = ?",
                     [*place, spot]).fetchone() if place else None
    return floors(row[0]) if row else []


def spot_latin(db: Database, path: Sequence[str], spot: str) -> str:
    place = _place(path)
    row = db.execute("SELECT spot_latin FROM address_spots WHERE estate = ? AND building = ? AND unit = ? AND spot = ?",
                     [*place, spot]).fetchone() if place else None
    return row[0] if row else ""


def walk(db: Database, given: Sequence[str], depth: str = "flat", spot: str | None = None, floor: str | None = None,
         with_spots: bool = False) -> Walk:
    """Follow ``given`` values level by level, down to ``depth``, and say what to ask next.

    A level with only one choice (a building without 单元, an estate of one building) is filled in
    without asking. If the walk would end without asking anything at all, the deepest level with a
    name is asked anyway, with its one choice, so a resident always confirms an address with a tap.

    ``with_spots``: where the place reached has shared spots, they are asked next (level ``spot``),
    then the chosen spot's floors if it has any (level ``floor``); ``spot`` and ``floor`` are the
    values given for them.
    """
    base = _walk(db, given, depth)
    if not with_spots or base.invalid:
        return base
    full = base
    if base.level is not None and len(base.choices) == 1:  # the one-choice level asked only to have a tap
        full = _walk(db, (*base.path, base.choices[0]), depth)
    places = spots(db, full.path) if full.complete else []
    if not places:
        return base
    path, asked = full.path, base.asked
    if spot is None:
        return Walk(tuple(path), "spot", tuple(places), asked)
    if spot not in places:
        return Walk(tuple(path), "spot", tuple(places), asked, invalid="spot")
    levels = spot_floors(db, path, spot)
    if not levels:
        return Walk(tuple(path), None, (), asked, spot=spot)
    if floor is None:
        return Walk(tuple(path), "floor", tuple(levels), asked, spot=spot)
    if floor not in levels:
        return Walk(tuple(path), "floor", tuple(levels), asked, invalid="floor", spot=spot)
    return Walk(tuple(path), None, (), asked, spot=spot, floor=floor)


def _walk(db: Database, given: Sequence[str], depth: str = "flat") -> Walk:
    last = LEVELS.index(depth)
    path: list[str] = []
    asked: list[int] = []
    for index in range(last + 1):
        options = choices(db, path)
        if index < len(given):
            if given[index] not in options:
                return Walk(tuple(path), LEVELS[index], tuple(options), tuple(asked), invalid=LEVELS[index])
            path.append(given[index])
            if len(options) > 1:
                asked.append(index)
        elif len(options) == 1:
            path.append(options[0])
        else:
            return Walk(tuple(path), LEVELS[index], tuple(options), tuple(asked))
    if not asked and len(given) < len(path):
        named = max(i for i, value in enumerate(path) if value)
        if named >= len(given):
            return Walk(tuple(path[:named]), LEVELS[named], (path[named],), ())
    return Walk(tuple(path), None, (), tuple(asked))


def latin_name(db: Database, estate: str) -> str:
    """The estate's name for English pages, or "" when the book gives none."""
    row = db.execute("SELECT estate_latin FROM address_book WHERE estate = ? LIMIT 1", [estate]).fetchone()
    return row[0] if row else ""


# --- words -------------------------------------------------------------------------------------------


def _script(locale: str) -> str | None:
    """Which Chinese script a locale writes in, or None for English."""
    if locale.startswith("en"):
        return None
    return locale if locale in _SUFFIXES else FALLBACK_LOCALE


def part(level: str, value: str, locale: str, estate_latin: str = "") -> str:
    """One level as residents write it: "3号楼", "3號樓", "Building 3", "3楼", "Floor 3"; a name stays
    as written. A spot is written in the locale's words when it is a known one (:data:`SPOT_NAMES`),
    else by ``estate_latin`` (its ``spot_en``) on English pages, else as written."""
    if level == "estate":
        return (estate_latin or value) if _script(locale) is None else value
    if level == "spot":
        known = SPOT_NAMES.get(value)
        script = _script(locale)
        if script is None:
            return estate_latin or (known["en"] if known else value)
        return known[script] if known else value
    if not _PLAIN_NUMBER.fullmatch(value):
        return value
    script = _script(locale)
    return _ENGLISH[level].format(value) if script is None else value + _SUFFIXES[script][level]


def label(estate: str, building: str = "", unit: str = "", flat: str = "", locale: str = FALLBACK_LOCALE,
          estate_latin: str = "") -> str:
    """The address as residents write it: "幸福里小区3号楼2单元501室" or "Flat 501, Entrance 2, Building 3, Xingfuli".

    Empty levels are left out, so a partial address ("幸福里小区3号楼") and a building without 单元 read
    naturally too. English lists the smallest part first and uses ``estate_latin`` when given.
    """
    parts = [part(level, value, locale, estate_latin)
             for level, value in zip(LEVELS, (estate, building, unit, flat)) if value]
    if _script(locale) is None:
        return ", ".join(reversed(parts))
    return "".join(parts)


def with_spot(address: str, spot: str, floor: str, locale: str) -> str:
    """A place's label with a shared spot and its floor, both already in words:
    "幸福里小区1号楼1单元 楼道 3楼", "Stairway, Floor 3, Entrance 1, Building 1, Xingfuli"."""
    if not spot:
        return address
    if _script(locale) is None:
        return ", ".join(p for p in (spot, floor, address) if p)
    return " ".join(p for p in (address, spot, floor) if p)


def label_for(db: Database, path: Sequence[str], locale: str, spot: str = "", floor: str = "") -> str:
    """:func:`label` of a path of the book (``estate, building, unit, flat``, or its first levels),
    with the estate's English name looked up; and the shared spot and floor chosen after it, if any."""
    if not path:
        return ""
    english = _script(locale) is None
    address = label(*path, locale=locale, estate_latin=latin_name(db, path[0]) if english else "")
    if not spot:
        return address
    return with_spot(address, part("spot", spot, locale, spot_latin(db, path, spot) if english else ""),
                     part("floor", floor, locale) if floor else "", locale)


def find(db: Database, text: str, locale: str) -> tuple[tuple[str, ...], str, str] | None:
    """The place of the book that :func:`label_for` writes as ``text`` in ``locale``, as ``(path, spot,
    floor)``; None when no place is written so (a written address, or a book loaded since).

    The way back from a stored choice to the book, so a page can show it in its own language
    (:func:`label_for` again) while the stored words, sent to the county, stay in the centre's. Followed
    level by level, keeping only the values whose label ``text`` starts with (ends with, in English),
    so it reads a few dozen rows, not the book."""
    if not text:
        return None

    def follow(path: tuple[str, ...]) -> tuple[tuple[str, ...], str, str] | None:
        if path:
            if label_for(db, path, locale) == text:
                return path, "", ""
            for spot in spots(db, path):
                for floor in ("", *spot_floors(db, path, spot)):
                    if label_for(db, path, locale, spot, floor) == text:
                        return path, spot, floor
        if len(path) == len(LEVELS):
            return None
        for value in choices(db, path):
            longer = (*path, value)
            if is_part_of(label_for(db, longer, locale), text, locale):
                found = follow(longer)
                if found:
                    return found
        return None

    return follow(())


def relabel(db: Database, text: str, stored_in: str, locale: str) -> str:
    """``text``, a place stored in ``stored_in``'s words, as ``locale`` writes it when it is a place of
    the book (:func:`find`); anything else (a written address) as it stands."""
    if not text or stored_in == locale:
        return text
    found = find(db, text, stored_in)
    if found is None:
        return text
    path, spot, floor = found
    return label_for(db, path, locale, spot, floor)


def is_part_of(partial: str, full: str, locale: str) -> bool:
    """Whether the address ``full`` lies within ``partial`` (both labels in ``locale``): to mark the
    resident's earlier choice when they come back to change it."""
    if not partial or not full:
        return False
    if _script(locale) is None:
        return full == partial or full.endswith(", " + partial)
    return full.startswith(partial)


_vocabulary_cache: dict[tuple, frozenset[str]] = {}
_vocabulary_lock = threading.Lock()


def vocabulary(db: Database) -> frozenset[str]:
    """The words of the book as residents write them, for the handwriting re-ranker.

    Estate names, each building, unit and flat with its suffix in both Chinese scripts ("3号楼",
    "3號樓", "2单元", "501室"), names as written ("综合楼"), and the suffixes themselves ("号楼", "单元",
    "室"). Characters, where wanted, are ``set("".join(vocabulary(db)))``. Kept per process until the
    next load.
    """
    counter = counters.value(db, counters.ADDRESS_BOOK)
    key = (db.execute("PRAGMA database_list").fetchone()[2], counter)
    known = _vocabulary_cache.get(key)
    if known is not None:
        return known
    words: set[str] = set()
    for suffixes in _SUFFIXES.values():
        words.update(suffixes.values())
    for row in db.query("SELECT DISTINCT estate, building, unit, flat FROM address_book"):
        words.add(row["estate"])
        for level in ("building", "unit", "flat"):
            if row[level]:
                words.update(part(level, row[level], script) for script in _SUFFIXES)
    for row in db.query("SELECT DISTINCT spot, floors FROM address_spots"):
        words.update(part("spot", row["spot"], script) for script in _SUFFIXES)
        words.update(part("floor", f, script) for f in floors(row["floors"]) for script in _SUFFIXES)
    result = frozenset(words)
    with _vocabulary_lock:
        if len(_vocabulary_cache) > 8:
            _vocabulary_cache.clear()
        _vocabulary_cache[key] = result
    return result
