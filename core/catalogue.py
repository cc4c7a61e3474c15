"""The service catalogue: what a resident can ask for, and the questions each service asks.

Stored in Open311 GeoReport v2 service-definition shape (service_code, name, description, group,
keywords, attributes with datatype/required/order/values), with every text kept in every locale so
the kiosk can switch language without a network. Loading a catalogue replaces the services it
names; services it no longer names are hidden, never deleted, so old tickets keep their names.

Owns ``service_groups``, ``services`` and the catalogue counter in ``meta``. The sync engine refreshes
the catalogue from the county through :func:`export` and :func:`load_catalogue`; the web app's CLI is
in :mod:`kiosk.catalogue_cli`.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from . import counters
from .addresses import LEVELS as ADDRESS_LEVELS
from .clock import utc_now
from .db import require_transaction

DEMO_FILE = Path(__file__).with_name("demo_catalogue.json")
DATATYPES = {"string", "text", "number", "datetime", "singlevaluelist", "multivaluelist"}
# Keys of an attribute that only this kiosk reads, never the county's: a written question whose
# answer can be chosen from the centre's address book instead (``"choose_from": "address_book"``),
# and how deep the choice goes (``"choose_down_to"``: estate, building, unit or flat, the default).
KIOSK_ONLY_KEYS = ("choose_from", "choose_down_to")
CHOOSE_FROM = {"address_book"}
CONTACT_OPTIONS = ("centre", "phone", "none")
FALLBACK_LOCALE = "zh_Hans_CN"


class CatalogueError(ValueError):
    """A catalogue file that does not have the expected shape."""


@dataclass(frozen=True)
class Question:
    """One Open311 attribute, in one language."""

    code: str
    datatype: str
    required: bool
    order: int
    text: str
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()
    choose_from: str = ""            # "address_book": the answer may be chosen there instead of written
    choose_down_to: str = "flat"     # the deepest level of the book the choice goes to

    def option_name(self, key: str) -> str:
        return dict(self.options).get(key, key)


@dataclass(frozen=True)
class Service:
    """One service, in one language."""

    code: str
    group: str
    icon: str
    name: str
    description: str
    bring: str
    duration: str
    next_steps: str
    needs_name: bool
    needs_address: bool
    contact_options: tuple[str, ...]
    questions: tuple[Question, ...] = field(default=())
    hidden: bool = False

    @property
    def needs_details(self) -> bool:
        """Whether the "about you" page is shown (only for services that need a name or address)."""
        return self.needs_name or self.needs_address

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)


def pick(texts: dict, locale: str) -> str:
    """The text in ``locale``, else the fallback locale, else any; empty if there is none."""
    if not isinstance(texts, dict):
        return str(texts or "")
    return texts.get(locale) or texts.get(FALLBACK_LOCALE) or next(iter(texts.values()), "")


def _localise(row: dict, locale: str) -> Service:
    texts = json.loads(row["texts"])
    own = texts.get(locale) or texts.get(FALLBACK_LOCALE) or next(iter(texts.values()))
    needs = json.loads(row["needs"])
    questions = tuple(
        Question(
            code=a["code"],
            datatype=a["datatype"],
            required=bool(a.get("required")),
            order=int(a.get("order", i)),
            text=pick(a.get("description", {}), locale),
            hint=pick(a.get("datatype_description", {}), locale),
            options=tuple((v["key"], pick(v["name"], locale)) for v in a.get("values", [])),
            choose_from=a.get("choose_from", ""),
            choose_down_to=a.get("choose_down_to", "flat"),
        )
        for i, a in enumerate(json.loads(row["attributes"]), 1)
    )
    return Service(
        code=row["service_code"],
        group=row["group_code"],
        icon=row["icon"],
        name=own.get("service_name", row["service_code"]),
        description=own.get("description", ""),
        bring=own.get("bring", ""),
        duration=own.get("duration", ""),
        next_steps=own.get("next_steps", ""),
        needs_name=bool(needs.get("name")),
        needs_address=bool(needs.get("address")),
        contact_options=tuple(o for o in CONTACT_OPTIONS if o in needs.get("contact", ["centre"])),
        questions=tuple(sorted(questions, key=lambda q: q.order)),
        hidden=bool(row["hidden"]),
    )


# Everything derived from the catalogue, per database file, catalogue version and key: the localised
# services here, and whatever a caller derives from them (the web app's rendered start-page tiles).
# The catalogue changes only when one is loaded (which bumps the version), so after the first page
# each of these is a dict look-up, and a load makes every process build them afresh.
_cache: dict[tuple, object] = {}
_cache_lock = threading.Lock()
T = TypeVar("T")


def version(db: Database) -> tuple[str, int]:
    """Which catalogue this is: the database file and its catalogue counter (bumped on every load).

    The counter is read every time (another process may have loaded a catalogue); the file's name
    once per connection, which never changes file."""
    counter = counters.value(db, counters.CATALOGUE)
    name = getattr(db, "catalogue_file", None)
    if name is None:
        name = db.catalogue_file = db.execute("PRAGMA database_list").fetchone()[2]
    return name, counter


def cached(db: Database, key: tuple, build: Callable[[], T]) -> T:
    """``build()``, remembered in this process until the catalogue changes.

    :param key: what is built, e.g. ``("tiles", locale)``; the catalogue's version is added to it.
    """
    full_key = (*version(db), *key)
    try:
        return _cache[full_key]  # type: ignore[return-value]
    except KeyError:
        pass
    result = build()
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[full_key] = result
    return result


def _catalogue(db: Database, locale: str) -> tuple[list[dict], dict[str, Service]]:
    """``(groups with their visible services, every service by code)`` in ``locale``."""
    def build() -> tuple[list[dict], dict[str, Service]]:
        services = {row["service_code"]: _localise(row, locale) for row in db.query("SELECT * FROM services ORDER BY position")}
        groups = [
            {"code": g["code"], "icon": g["icon"], "name": pick(json.loads(g["names"]), locale),
             "services": [s for s in services.values() if s.group == g["code"] and not s.hidden]}
            for g in db.query("SELECT * FROM service_groups ORDER BY position")
        ]
        return [g for g in groups if g["services"]], services
    return cached(db, ("localised", locale), build)


def get_service(db: Database, code: str, locale: str, include_hidden: bool = False) -> Service | None:
    """The service with this code in ``locale``, or None (hidden services only when asked for)."""
    service = _catalogue(db, locale)[1].get(code)
    if service is None or (service.hidden and not include_hidden):
        return None
    return service


def list_groups(db: Database, locale: str) -> list[dict]:
    """Visible services grouped for the start page: ``[{code, icon, name, services: [Service]}]``."""
    return _catalogue(db, locale)[0]


def export(db: Database) -> dict:
    """The stored catalogue in the shape :func:`load_catalogue` takes, hidden services included.

    Texts stay in every locale: this is what the sync engine merges the county's catalogue into.
    Each service carries ``hidden``; :func:`load_catalogue` ignores it (what a catalogue names is
    offered), so leave hidden services out before loading an export back in.
    """
    groups = [{"code": g["code"], "icon": g["icon"], "name": json.loads(g["names"])}
              for g in db.query("SELECT * FROM service_groups ORDER BY position")]
    services = [
        {"service_code": s["service_code"], "group": s["group_code"], "icon": s["icon"], "type": s["type"],
         "keywords": s["keywords"], "needs": json.loads(s["needs"]), "texts": json.loads(s["texts"]),
         "attributes": json.loads(s["attributes"]), "hidden": bool(s["hidden"])}
        for s in db.query("SELECT * FROM services ORDER BY position")
    ]
    return {"groups": groups, "services": services}


def validate_catalogue(data: dict) -> None:
    """Raise :class:`CatalogueError` naming the first problem in a catalogue mapping."""
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise CatalogueError("catalogue must be an object with a 'services' list")
    group_codes = {g.get("code") for g in data.get("groups", [])}
    seen = set()
    for s in data["services"]:
        code = s.get("service_code")
        if not code or code in seen:
            raise CatalogueError(f"missing or repeated service_code: {code!r}")
        seen.add(code)
        if s.get("group") not in group_codes:
            raise CatalogueError(f"{code}: unknown group {s.get('group')!r}")
        if not isinstance(s.get("texts"), dict) or not s["texts"]:
            raise CatalogueError(f"{code}: no texts")
        for a in s.get("attributes", []):
            if a.get("datatype") not in DATATYPES:
                raise CatalogueError(f"{code}.{a.get('code')}: unknown datatype {a.get('datatype')!r}")
            if a["datatype"].endswith("valuelist") and not a.get("values"):
                raise CatalogueError(f"{code}.{a['code']}: a list question needs values")
            if "choose_from" in a and (a["choose_from"] not in CHOOSE_FROM or a["datatype"] not in ("string", "text")):
                raise CatalogueError(f"{code}.{a['code']}: choose_from {a['choose_from']!r} needs a written question "
                                     f"and one of {sorted(CHOOSE_FROM)}")
            if a.get("choose_down_to", "flat") not in ADDRESS_LEVELS:
                raise CatalogueError(f"{code}.{a['code']}: choose_down_to must be one of {', '.join(ADDRESS_LEVELS)}")


def load_catalogue(db: Database, data: dict) -> dict[str, int]:
    """Replace the catalogue with ``data`` in the caller's transaction; return counts of what changed."""
    require_transaction(db)
    validate_catalogue(data)
    now = utc_now()
    codes = [s["service_code"] for s in data["services"]]
    db["service_groups"].upsert_all(
        [
            {"code": g["code"], "position": i, "icon": g.get("icon", ""), "names": json.dumps(g["name"], ensure_ascii=False)}
            for i, g in enumerate(data.get("groups", []))
        ],
        pk="code",
    )
    db["services"].upsert_all(
        [
            {
                "service_code": s["service_code"],
                "group_code": s["group"],
                "position": i,
                "icon": s.get("icon", ""),
                "type": s.get("type", "batch"),
                "keywords": s.get("keywords", ""),
                "needs": json.dumps(s.get("needs", {"contact": ["centre"]})),
                "texts": json.dumps(s["texts"], ensure_ascii=False),
                "attributes": json.dumps(s.get("attributes", []), ensure_ascii=False),
                "hidden": 0,
                "updated_at": now,
            }
            for i, s in enumerate(data["services"])
        ],
        pk="service_code",
    )
    placeholders = ",".join("?" * len(codes))
    hidden = db.execute(
        f"UPDATE services SET hidden = 1, updated_at = ? WHERE hidden = 0 AND service_code NOT IN ({placeholders})",
        [now, *codes],
    ).rowcount
    counters.bump(db, counters.CATALOGUE)
    return {"services": len(codes), "hidden": hidden}
