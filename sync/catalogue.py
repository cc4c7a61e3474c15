"""Refreshing the kiosk's catalogue from the county's ``/services.json`` and service definitions.

The county decides which services exist and what each asks; the kiosk keeps its own translations.
So the county's texts (in the county's language) replace that language's texts, translations into
the other languages (and the kiosk's own keys of a written question, such as choosing it from the
address book) are kept where the codes still match, new services and answers appear in the
county's language until translated, and services the county no longer lists are hidden — never
deleted — so old tickets keep their names. The county's note service (:data:`sync.notes.NOTE_SERVICE`)
is how notes go up, never a service shown to residents.
"""
from __future__ import annotations

import hashlib

from sqlite_utils import Database

from core.catalogue import KIOSK_ONLY_KEYS, CatalogueError, export, load_catalogue
from core.db import write_transaction

from .notes import NOTE_SERVICE
from .open311 import OK, Open311Client

DEFAULT_NEEDS = {"name": False, "address": False, "contact": ["centre", "phone"]}


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


def refresh_catalogue(db: Database, client: Open311Client, county_locale: str = "zh_Hans_CN") -> dict:
    """Fetch the county's catalogue and merge it in. Returns counts, or ``{"error": reason}``."""
    listing = client.get_service_list()
    if listing.kind != OK or not isinstance(listing.data, list):
        return {"error": f"services.json: {listing.reason or 'not a list'}"}
    if not listing.data:  # more likely a misconfigured county than a county with nothing to offer
        return {"error": "services.json lists no services; the kiosk keeps its catalogue"}
    stored = export(db)
    local = {s["service_code"]: s for s in stored["services"]}
    groups = stored["groups"]
    group_by_name = {g["name"].get(county_locale): g["code"] for g in groups}
    services = []
    for entry in listing.data:
        if not isinstance(entry, dict) or not isinstance(entry.get("service_code"), str) or not entry["service_code"]:
            continue
        code = entry["service_code"][:100]
        if code == NOTE_SERVICE:  # how the kiosk sends notes up (sync/notes.py), not a service for residents
            continue
        mine = local.get(code)
        attributes = []
        if entry.get("metadata"):
            definition = client.get_service_definition(code)
            if definition.kind != OK or not isinstance(definition.data, dict):
                return {"error": f"services/{code}.json: {definition.reason or 'not an object'}"}
            attributes = definition.data.get("attributes") or []
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
            "attributes": _merge_attributes(attributes, mine["attributes"] if mine else [], county_locale),
        })
    try:
        with write_transaction(db):
            return load_catalogue(db, {"groups": groups, "services": services})
    except CatalogueError as exc:
        return {"error": f"the county's catalogue cannot be used: {exc}"}
