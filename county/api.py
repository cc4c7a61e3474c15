"""The GeoReport v2 endpoints (JSON), plus one extension: ``kiosk_uuid`` as a filter on
``GET /requests.json``, which lets a kiosk ask "do you already have this request?" after an
ambiguous failure (Open311 itself has no idempotency key).

Posting and reading requests need a valid key (:mod:`county.keys`); the service list and
definitions do not. What a reader gets is a request's *public* fields as GeoReport v2 defines them
(:func:`_public`): never the submitter's name, phone, e-mail or any attribute (the kiosk sends a
resident's home address as one); and for services about a person (``"private": true`` in the
catalogue: care at home, pensions, allowances, disputes, complaints) not even the description or
the location: only the status. Clerks see everything, on the clerk page.

A service may say ``"files_under": "<attribute>"`` in the catalogue: each request for it is a note
about the request that attribute names (the kiosk's ``kiosk_note``: GeoReport v2 has no way to add
to a request), refused unless that request is held here, stored closed (there is nothing to do), and
shown to clerks under the request it is about.

And FixMyStreet's update extension (``servicerequestupdates``), the de-facto way to add a note to a
request: see the section at the end.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import socket
import time
from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, current_app, jsonify, request

from . import keys, limits, strict
from .db import get_db

bp = Blueprint("api", __name__)
MAX_RESULTS = 1000


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def now_iso() -> str:
    return _iso(datetime.now(timezone.utc))


def _w3c(value: str | None) -> str | None:
    """A W3C date-time from a query (``2026-01-01T00:00:00Z`` or with an offset) in storage form."""
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))  # ValueError: not a date-time
    return _iso(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))  # OverflowError: year 1 or 9999 with an offset


def error(status: int, description: str) -> Response:
    """An Open311 error body, ``[{"code": …, "description": …}]`` (in strict mode the county's own:
    :func:`county.strict.error_response`)."""
    return strict.error_response(status, description)


@bp.before_request
def _common_checks():
    faults = current_app.config["FAULTS"]
    if faults.slow_seconds:
        time.sleep(faults.slow_seconds)
    if any("\x00" in key or "\x00" in value for key, value in request.values.items(multi=True)):
        # No text field has a use for it, and PostgreSQL cannot store it: refused alike on both.
        return error(400, "a field contains the character U+0000 (NUL), which no field may hold")
    jurisdiction = request.values.get("jurisdiction_id")
    if jurisdiction and jurisdiction != current_app.config["JURISDICTION_ID"]:
        return error(404, f"jurisdiction_id {jurisdiction!r} is not served here")
    return None


@bp.get("/")
def index():
    """What this server is; also what a kiosk probes to know the county is reachable."""
    return jsonify({"name": "Reference county (Open311 GeoReport v2)", "jurisdiction_id": current_app.config["JURISDICTION_ID"],
                    "services": "/services.json", "openapi": "/openapi.json", "clerk": "/clerk"})


@bp.get("/openapi.json")
def openapi():
    return current_app.send_static_file("openapi.json") if current_app.static_folder else ("", 404)


def _services() -> list[dict]:
    """The services this county offers. In strict mode perhaps no notes service, and no definitions:
    then a service has no attributes at all (none published, none required, none known)."""
    flags = strict.mode()
    found = [json.loads(r["definition"]) for r in get_db().execute("SELECT definition FROM services ORDER BY position")]
    if flags.no_notes_service:
        found = [s for s in found if not s.get("files_under")]
    if flags.no_service_definitions:
        found = [{**s, "metadata": False, "attributes": []} for s in found]
    return found


@bp.get("/services.json")
def service_list():
    keys = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
    return jsonify([{k: s.get(k) for k in keys} for s in _services()])


@bp.get("/services/<service_code>.json")
def service_definition(service_code: str):
    if strict.mode().no_service_definitions:
        return error(404, f"no definition for service_code {service_code!r}")
    for s in _services():
        if s["service_code"] == service_code:
            return jsonify({"service_code": service_code, "attributes": s.get("attributes", [])})
    return error(404, f"service_code {service_code!r} not found")


def _attributes() -> dict[str, object]:
    """``attribute[code]=v`` → {code: v}; ``attribute[code][]=a&attribute[code][]=b`` → {code: [a, b]}."""
    found: dict[str, object] = {}
    for key in request.form:
        code = limits.attribute_code(key)
        if code is not None:
            found[code] = request.form.getlist(key) if key.endswith("[]") else request.form[key]
    return found


def _check_attributes(service: dict, attributes: dict) -> str | None:
    if strict.mode().refuse_undefined_attributes:
        undefined = sorted(set(attributes) - {a["code"] for a in service.get("attributes", [])})
        if undefined:
            return f"attribute {undefined[0]!r} is not defined for service {service['service_code']!r}"
    for name in ("kiosk_uuid", "kiosk_hash"):  # the de-duplication keys are one string each
        if not isinstance(attributes.get(name, ""), str):
            return f"attribute {name!r} takes one value"
    for a in service.get("attributes", []):
        value = attributes.get(a["code"])
        if a.get("required") and value in (None, "", []):
            return f"attribute {a['code']!r} is required"
        keys = {v["key"] for v in a.get("values", [])}
        datatype = a.get("datatype")
        if datatype == "multivaluelist" and isinstance(value, str):
            value = attributes[a["code"]] = [value]  # one value sent without the [] is still a list of one
        elif datatype != "multivaluelist" and isinstance(value, list):
            return f"attribute {a['code']!r} takes one value"
        if value and datatype == "singlevaluelist" and value not in keys:
            return f"attribute {a['code']!r}: {value!r} is not one of its values"
        if value and datatype == "multivaluelist" and not set(value) <= keys:
            return f"attribute {a['code']!r}: values not in its list"
    return None


def _check_filed_under(service: dict, attributes: dict) -> str | None:
    """A service with ``files_under`` (the kiosk's notes, ``kiosk_note``) files each request under the
    request its attribute names: that request must be here, and not itself filed under another."""
    under = service.get("files_under")
    if not under:
        return None
    parent = attributes.get(under)
    row = get_db().execute("SELECT service_code FROM requests WHERE service_request_id = ?", [parent]).fetchone() \
        if isinstance(parent, str) else None
    if row is None or any(s.get("files_under") for s in _services() if s["service_code"] == row["service_code"]):
        return f"attribute {under!r}: {parent!r} is not a request held here"
    return None


def _refused_at_the_door(form):
    """A post's first checks, for requests and updates alike: this kiosk's key, then the county's limits."""
    if not keys.accepted(keys.presented()):
        return keys.refusal()
    too_much = limits.problem(form)
    return error(400, too_much) if too_much else None


@bp.post("/requests.json")
def create_request():
    faults = current_app.config["FAULTS"]
    form = request.form
    refused = _refused_at_the_door(form)
    if refused:
        return refused
    if faults.roll(faults.error_rate):
        return error(500, "internal error (injected)")
    if faults.reject_text and any(faults.reject_text in v for v in form.values()):
        return error(400, f"request refused: it contains {faults.reject_text!r}")
    service = next((s for s in _services() if s["service_code"] == form.get("service_code")), None)
    if service is None:
        return error(400, f"service_code {form.get('service_code')!r} not found")
    flags = strict.mode()
    located = form.get("lat") and form.get("long") if flags.location_required \
        else form.get("address_string") or (form.get("lat") and form.get("long"))
    if not located:
        if flags.missing_location_5xx:  # a refusal that looks like a breakdown
            return error(500, "Internal Server Error")
        return error(400, "lat and long are required" if flags.location_required else "address_string or lat and long are required")
    if flags.description_required and not form.get("description", "").strip():
        return error(400, "description is required")
    attributes = _attributes()
    problem = _check_attributes(service, attributes) or _check_filed_under(service, attributes)
    if problem:
        return error(400, problem)

    kiosk_uuid, content_hash = attributes.get("kiosk_uuid"), attributes.get("kiosk_hash")
    conn = get_db()
    with conn.transaction():
        # The unique kiosk_uuid decides, not a look first: on PostgreSQL two posts of one request can
        # arrive at once (two threads, two servers); the second waits for the first, inserts nothing,
        # and is answered below with the first one's id.
        now = now_iso()
        inserted = conn.execute(
            "INSERT INTO requests (kiosk_uuid, content_hash, service_code, description, address_string, first_name,"
            " last_name, phone, attributes, status, requested_datetime, updated_datetime, api_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kiosk_uuid) DO NOTHING RETURNING id",
            [None if flags.no_kiosk_uuid_dedupe else kiosk_uuid, content_hash, service["service_code"], form.get("description", ""), form.get("address_string", ""),
             form.get("first_name", ""), form.get("last_name", ""), form.get("phone", ""),
             json.dumps(attributes, ensure_ascii=False), "closed" if service.get("files_under") else "open", now, now,
             form.get("api_key")],
        ).fetchall()  # all (one row or none): a statement left unfinished would hold SQLite's COMMIT up
        if not inserted:  # held already: the same request again is answered with its id; other content is refused
            existing = conn.execute("SELECT * FROM requests WHERE kiosk_uuid = ?", [kiosk_uuid]).fetchone()
            if existing["content_hash"] != content_hash:
                return error(409, "this kiosk_uuid was already used for a different request")
            conn.execute("UPDATE requests SET duplicate_posts = duplicate_posts + 1 WHERE id = ?", [existing["id"]])
            return _created(existing["service_request_id"], existing["token"])
        new_id = inserted[0]["id"]
        service_request_id = f"C{new_id:06d}"
        token = secrets.token_hex(8) if faults.token_mode else None
        conn.execute("UPDATE requests SET service_request_id = ?, token = ? WHERE id = ?", [service_request_id, token, new_id])
    # Stored. Now, perhaps, misbehave in the ways that leave a client unsure.
    if faults.roll(faults.drop_rate):
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
    if faults.roll(faults.timeout_rate):
        time.sleep(faults.timeout_seconds)
    if faults.malformed:
        return _malformed(faults.malformed)
    return _created(service_request_id, token)


def _created(service_request_id: str, token: str | None):
    if token:
        return jsonify([{"token": token, "service_notice": ""}])
    return jsonify([{"service_request_id": service_request_id, "service_notice": "", "account_id": None}])


def _malformed(kind: str) -> Response:
    if kind == "bad_json":
        return Response('[{"service_request_id": "C0', mimetype="application/json")
    if kind == "wrong_types":
        return Response('{"service_request_id": [1, {"x": null}]}', mimetype="application/json")
    if kind == "huge":
        chunk = "[" + " " * (1024 * 1024)
        return Response((chunk if i == 0 else " " * (1024 * 1024) for i in range(10)), mimetype="application/json")
    raise ValueError(kind)


def _public(row, services: dict[str, dict]) -> dict:
    """A request as GeoReport v2 publishes it: no name, phone, e-mail or attribute, ever; and for a
    service about a person, no description or location either (status, notes and dates only)."""
    service = services.get(row["service_code"], {})
    about_a_person = bool(service.get("private"))
    return {
        "service_request_id": row["service_request_id"], "status": row["status"], "status_notes": row["status_notes"],
        "service_name": service.get("service_name", ""), "service_code": row["service_code"],
        "description": "" if about_a_person else row["description"], "agency_responsible": row["agency_responsible"],
        "service_notice": "", "requested_datetime": row["requested_datetime"], "updated_datetime": row["updated_datetime"],
        "expected_datetime": None, "address": "" if about_a_person else row["address_string"], "address_id": None,
        "zipcode": None, "lat": None, "long": None, "media_url": None,
    }


def _published(rows) -> Response:
    services = {s["service_code"]: s for s in _services()}
    return jsonify([_public(r, services) for r in rows])


@bp.get("/requests.json")
@keys.key_required
def request_list():
    args = request.args
    conn = get_db()
    if args.get("service_request_id"):
        ids = [i.strip() for i in args["service_request_id"].split(",") if i.strip()][:MAX_RESULTS]
        rows = conn.execute(f"SELECT * FROM requests WHERE service_request_id IN ({','.join('?' * len(ids))})", ids).fetchall() \
            if ids else []  # "IN ()" is SQLite's alone
    elif args.get("kiosk_uuid") and not strict.mode().unknown_filters_ignored:
        rows = conn.execute("SELECT * FROM requests WHERE kiosk_uuid = ?", [args["kiosk_uuid"]]).fetchall()
    else:
        where, params = [], []
        try:
            start = _w3c(args.get("start_date")) or _iso(datetime.now(timezone.utc) - timedelta(days=90))
            end = _w3c(args.get("end_date"))
        except (ValueError, OverflowError):
            return error(400, "start_date and end_date must be W3C date-times, e.g. 2026-01-01T00:00:00Z")
        where.append("requested_datetime >= ?")
        params.append(start)
        if end:
            where.append("requested_datetime <= ?")
            params.append(end)
        if not args.get("service_code"):  # notes are filed under their requests, not listed beside them
            notes = [s["service_code"] for s in _services() if s.get("files_under")]
            if notes:
                where.append(f"service_code NOT IN ({','.join('?' * len(notes))})")
                params += notes
        for name, column in (("service_code", "service_code"), ("status", "status")):
            values = [v.strip() for v in args.get(name, "").split(",") if v.strip()]
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params += values
        sql = "SELECT * FROM requests WHERE " + " AND ".join(where) + " ORDER BY id DESC LIMIT ?"
        rows = conn.execute(sql, [*params, MAX_RESULTS]).fetchall()
    return _published(rows)


@bp.get("/requests/<service_request_id>.json")
@keys.key_required
def request_one(service_request_id: str):
    row = get_db().execute("SELECT * FROM requests WHERE service_request_id = ?", [service_request_id]).fetchone()
    if row is None:
        return error(404, f"service_request_id {service_request_id!r} not found")
    return _published([row])


@bp.get("/tokens/<token>.json")
@keys.key_required
def token(token: str):
    row = get_db().execute("SELECT service_request_id, token FROM requests WHERE token = ?", [token]).fetchone()
    if row is None:
        return error(404, f"token {token!r} not found")
    return jsonify([{"service_request_id": row["service_request_id"], "token": row["token"]}])


# --- FixMyStreet's update extension ------------------------------------------------------------------
# ``POST servicerequestupdates.json`` adds an update (a note) to a request held here; ``GET`` lists the
# updates of a time window. The fields are those mySociety's FixMyStreet sends (perllib/Open311.pm):
# service_request_id, update_id (the client's own id of the update), updated_datetime, status,
# description, first_name, last_name, email, media_url, with api_key and jurisdiction_id. The answer is
# ``[{"update_id": …}]``: here the client's own id, which is also what the list shows, so a client
# unsure whether its post arrived finds it there. The same update_id posted again with the same content
# is answered with it again (nothing is stored twice); with other content it is refused (409). An
# update never changes the request's status: a clerk reads it and decides. Strict mode's
# ``no_update_extension`` answers 404 to all of it (county/strict.py).

UPDATE_FIELDS = ("service_request_id", "update_id", "updated_datetime", "status", "description")
UPDATE_STATUSES = ("open", "closed")
MAX_UPDATE_DESCRIPTION = 4000


def _update_public(row, private: bool) -> dict:
    return {"update_id": row["update_id"], "service_request_id": row["service_request_id"], "status": row["status"],
            "updated_datetime": row["updated_datetime"], "description": "" if private else row["description"],
            "media_url": row["media_url"] or None}


@bp.post("/servicerequestupdates.json")
def create_update():
    form = request.form
    refused = _refused_at_the_door(form)
    if refused:
        return refused
    for name in UPDATE_FIELDS:
        if not form.get(name, "").strip():
            return error(400, f"{name} is required")
    if form["status"].lower() not in UPDATE_STATUSES:
        return error(400, f"status must be one of {', '.join(UPDATE_STATUSES)}")
    if len(form["description"]) > MAX_UPDATE_DESCRIPTION or len(form["update_id"]) > 100:
        return error(400, f"description is at most {MAX_UPDATE_DESCRIPTION} characters, update_id at most 100")
    try:
        updated = _w3c(form["updated_datetime"])
    except (ValueError, OverflowError):
        return error(400, "updated_datetime must be a W3C date-time, e.g. 2026-01-01T00:00:00Z")
    conn = get_db()
    held = conn.execute("SELECT service_code FROM requests WHERE service_request_id = ?", [form["service_request_id"]]).fetchone()
    if held is None or any(s.get("files_under") for s in _services() if s["service_code"] == held["service_code"]):
        return error(400, f"service_request_id {form['service_request_id']!r} is not a request held here")
    values = [form["update_id"], form["service_request_id"], form["status"].lower(), form["description"],
              form.get("first_name", ""), form.get("last_name", ""), form.get("email", ""), form.get("media_url", "")]
    content_hash = hashlib.sha256(json.dumps([*values[1:], updated], ensure_ascii=False).encode()).hexdigest()
    with conn.transaction():
        inserted = conn.execute(
            "INSERT INTO request_updates (update_id, service_request_id, status, description, first_name, last_name, email,"
            " media_url, content_hash, updated_datetime, received_datetime, api_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (update_id) DO NOTHING RETURNING id",
            [*values, content_hash, updated, now_iso(), form.get("api_key")]).fetchall()
        if not inserted:
            existing = conn.execute("SELECT id, content_hash FROM request_updates WHERE update_id = ?", [form["update_id"]]).fetchone()
            if existing["content_hash"] != content_hash:
                return error(409, "this update_id was already used for a different update")
            conn.execute("UPDATE request_updates SET duplicate_posts = duplicate_posts + 1 WHERE id = ?", [existing["id"]])
    faults = current_app.config["FAULTS"]
    if faults.roll(faults.drop_rate):  # stored; now, perhaps, leave the client unsure (as for requests)
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
    return jsonify([{"update_id": form["update_id"]}])


@bp.get("/servicerequestupdates.json")
@keys.key_required
def update_list():
    """The updates whose ``updated_datetime`` is in ``[start_date, end_date]`` (both, or neither: the last
    24 hours), oldest first; ``service_request_id`` narrows it to some requests."""
    args = request.args
    if bool(args.get("start_date")) != bool(args.get("end_date")):
        return error(400, "start_date and end_date go together")
    try:
        start = _w3c(args.get("start_date")) or _iso(datetime.now(timezone.utc) - timedelta(days=1))
        end = _w3c(args.get("end_date")) or now_iso()
    except (ValueError, OverflowError):
        return error(400, "start_date and end_date must be W3C date-times, e.g. 2026-01-01T00:00:00Z")
    where, params = ["updated_datetime >= ?", "updated_datetime <= ?"], [start, end]
    ids = [i.strip() for i in args.get("service_request_id", "").split(",") if i.strip()][:MAX_RESULTS]
    if ids:
        where.append(f"service_request_id IN ({','.join('?' * len(ids))})")
        params += ids
    conn = get_db()
    rows = conn.execute("SELECT * FROM request_updates WHERE " + " AND ".join(where) + " ORDER BY id LIMIT ?",
                        [*params, MAX_RESULTS]).fetchall()
    services = {s["service_code"]: s for s in _services()}
    codes = {r["service_request_id"]: r["service_code"] for r in conn.execute(
        f"SELECT service_request_id, service_code FROM requests WHERE service_request_id IN ({','.join('?' * len(rows))})",
        [r["service_request_id"] for r in rows]).fetchall()} if rows else {}
    return jsonify([_update_public(r, bool(services.get(codes.get(r["service_request_id"]), {}).get("private")))
                    for r in rows])
