"""Refreshing the kiosk's catalogue from the county's ``/services.json`` and service definitions.

A county's catalogue adds to the kiosk's, never destroys it (issue 21). The county's texts (in the
county's language) replace that language's texts; translations into the other languages (and the
kiosk's own keys of a written question, such as choosing it from the address book) are kept where the
codes still match; new services, questions and answers appear in the county's language until
translated. What the county does not say leaves the kiosk's as it was:

- a service with no definition (``"metadata": false``, as most counties publish) keeps the kiosk's
  own questions;
- a definition that would remove or break a question the kiosk asks (drop it, change its datatype,
  drop an answer it offers) is refused for that service: the kiosk keeps its own questions for it;
- a service the kiosk offers that the county does not list stays offered (requests for it will be
  refused by the county, sync/refusals code ``no_service``, and wait in the workers' list).

What a refresh did (refused merges, services the county does not list, or why it failed) is kept as
a small report (:func:`last_refresh`, a note in ``meta`` through :mod:`core.counters`) that
:mod:`sync.health` shows workers. An empty or unusable county catalogue changes nothing. Hidden
services stay hidden unless the county lists them, never deleted, so old tickets keep their names. The county's
note service (:data:`sync.notes.NOTE_SERVICE`) is how notes go up, never a service shown to residents.
"""
from __future__ import annotations

import hashlib
import json

from sqlite_utils import Database

from core import counters
from core.catalogue import KIOSK_ONLY_KEYS, CatalogueError, export, load_catalogue
from core.clock import utc_now
from core.db import write_transaction

from .notes import NOTE_SERVICE
from .open311 import OK, Open311Client

DEFAULT_NEEDS = {"name": False, "address": False, "contact": ["centre", "phone"]}
MAX_REPORTED = 20  # changes kept per refused service, and services kept per list: the report stays small
REMOVED, DATATYPE, OPTION = "removed", "datatype", "option"  # what a refused definition would have done


def _text(value, limit: int = 2000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _merge_attributes(county_attributes: list, local_attributes: list, locale: str) -> list:
    local = {a.get("code"): a for a in local_attributes}
    merged = []
    for i, a in enumerate(county_attributes, 1):
        if not isinstance(a, dict) or not isinstance(a.get("code"), str):
            continue
        mine = local.get(a["code"], {})
        my_values = {v.get("key"): v for v in mine.get("values", [])}
        attribute = {
            "code": a["code"], "datatype": a.get("datatype"), "required": bool(a.get("required")),
            "variable": bool(a.get("variable", True)), "order": a.get("order", i) if isinstance(a.get("order", i), int) else i,
            "description": {**mine.get("description", {}), locale: _text(a.get("description"))},
        }
        if a.get("datatype_description") or mine.get("datatype_description"):
            attribute["datatype_description"] = {**mine.get("datatype_description", {}), locale: _text(a.get("datatype_description"))}
        values = [v for v in a.get("values", []) if isinstance(v, dict) and isinstance(v.get("key"), (str, int))]
        if values:
            attribute["values"] = [{"key": str(v["key"]), "name": {**my_values.get(str(v["key"]), {}).get("name", {}),
                                                               locale: _text(v.get("name"), 200)}} for v in values]
        if attribute["datatype"] in ("string", "text") and mine.get("datatype") == attribute["datatype"]:
            # the kiosk's own keys (choosing the answer from the address book) are not the county's to drop
            attribute.update({key: mine[key] for key in KIOSK_ONLY_KEYS if key in mine})
        merged.append(attribute)
    return merged


def _breakage(county_attributes: list, local_attributes: list) -> list[dict]:
    """What taking the county's definition would remove or break of the questions the kiosk asks:
    ``[{"change": removed|datatype|option, "question": code, "option"?: key, "datatype"?: the county's}]``."""
    county = {a["code"]: a for a in county_attributes if isinstance(a, dict) and isinstance(a.get("code"), str)}
    found = []
    for mine in local_attributes:
        theirs = county.get(mine["code"])
        if theirs is None:
            found.append({"change": REMOVED, "question": mine["code"]})
        elif theirs.get("datatype") != mine["datatype"]:
            found.append({"change": DATATYPE, "question": mine["code"], "datatype": _text(theirs.get("datatype"), 40)})
        else:
            values = theirs.get("values") if isinstance(theirs.get("values"), list) else []
            keys = {str(v["key"]) for v in values if isinstance(v, dict) and isinstance(v.get("key"), (str, int))}
            found += [{"change": OPTION, "question": mine["code"], "option": v["key"]}
                      for v in mine.get("values", []) if v["key"] not in keys]
    return found[:MAX_REPORTED]


def last_refresh(db: Database) -> dict | None:
    """What the last refresh did, or None before the first: ``{at, error, refreshed_at, refused: {service
    code: [change…]}, unlisted: [service code…]}`` — ``error`` is why it failed (then the rest is what
    the last good refresh found), ``refreshed_at`` when one last went through."""
    text = counters.read_note(db, counters.CATALOGUE_REFRESH)
    try:
        found = json.loads(text) if text else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _note(db: Database, report: dict) -> None:
    counters.write_note(db, counters.CATALOGUE_REFRESH, json.dumps(report, ensure_ascii=False, separators=(",", ":")))


def refresh_catalogue(db: Database, client: Open311Client, county_locale: str = "zh_Hans_CN", now: str | None = None) -> dict:
    """Fetch the county's catalogue and merge it in; keep what happened for the health page.

    Returns counts with the codes of ``refused`` merges and ``unlisted`` services, or ``{"error": reason}``
    (the catalogue then unchanged)."""
    now = now or utc_now()
    refreshed = _refresh(db, client, county_locale, now)
    if "error" in refreshed:
        with write_transaction(db):
            before = last_refresh(db) or {}
            _note(db, {"at": now, "error": refreshed["error"][:300], "refreshed_at": before.get("refreshed_at"),
                       "refused": before.get("refused", {}), "unlisted": before.get("unlisted", [])})
    return refreshed


def _refresh(db: Database, client: Open311Client, county_locale: str, now: str) -> dict:
    listing = client.get_service_list()
    if listing.kind != OK or not isinstance(listing.data, list):
        return {"error": f"services.json: {listing.reason or 'not a list'}"}
    if not listing.data:  # more likely a misconfigured county than a county with nothing to offer
        return {"error": "services.json lists no services; the kiosk keeps its catalogue"}
    stored = export(db)
    local = {s["service_code"]: s for s in stored["services"]}
    groups = stored["groups"]
    group_by_name = {g["name"].get(county_locale): g["code"] for g in groups}
    services, refused = [], {}
    for entry in listing.data:
        if not isinstance(entry, dict) or not isinstance(entry.get("service_code"), str) or not entry["service_code"]:
            continue
        code = entry["service_code"][:100]
        if code == NOTE_SERVICE:  # how the kiosk sends notes up (sync/notes.py), not a service for residents
            continue
        mine = local.get(code)
        attributes = None  # the county defines no questions: the kiosk's own stay
        if entry.get("metadata"):
            definition = client.get_service_definition(code)
            if definition.kind != OK or not isinstance(definition.data, dict):
                return {"error": f"services/{code}.json: {definition.reason or 'not an object'}"}
            found = definition.data.get("attributes")
            attributes = found if isinstance(found, list) else []
        mine_attributes = mine["attributes"] if mine else []
        if attributes is None:
            merged = mine_attributes
        elif breakage := _breakage(attributes, mine_attributes):
            refused[code], merged = breakage, mine_attributes  # refused: the kiosk keeps its own questions
        else:
            merged = _merge_attributes(attributes, mine_attributes, county_locale)
        group_name = _text(entry.get("group"), 100) or "其他"
        if mine:
            group = mine["group"]
        elif group_name in group_by_name:
            group = group_by_name[group_name]
        else:
            group = "county-" + hashlib.sha1(group_name.encode()).hexdigest()[:8]
            groups.append({"code": group, "icon": "📋", "name": {county_locale: group_name}})
            group_by_name[group_name] = group
        texts = mine["texts"] if mine else {}
        texts[county_locale] = {**texts.get(county_locale, {}), "service_name": _text(entry.get("service_name"), 200) or code,
                                "description": _text(entry.get("description"))}
        services.append({
            "service_code": code, "group": group, "icon": mine["icon"] if mine else "📋",
            "type": _text(entry.get("type"), 20) or "batch", "keywords": _text(entry.get("keywords"), 500),
            "needs": mine["needs"] if mine else DEFAULT_NEEDS, "texts": texts,
            "attributes": merged,
        })
    listed = {s["service_code"] for s in services}
    # a service the kiosk offers and the county does not list stays offered, and workers are told
    unlisted = [s for s in stored["services"] if not s["hidden"] and s["service_code"] not in listed
                and s["service_code"] != NOTE_SERVICE]
    services += unlisted
    try:
        with write_transaction(db):
            counts = load_catalogue(db, {"groups": groups, "services": services})
            _note(db, {"at": now, "error": None, "refreshed_at": now,
                       "refused": dict(list(refused.items())[:MAX_REPORTED]),
                       "unlisted": [s["service_code"] for s in unlisted][:MAX_REPORTED]})
    except CatalogueError as exc:
        return {"error": f"the county's catalogue cannot be used: {exc}"}
    return {**counts, "refused": sorted(refused), "unlisted": [s["service_code"] for s in unlisted]}
