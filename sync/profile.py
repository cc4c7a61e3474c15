"""A county profile: what this Open311 county supports, probed and kept, instead of assumed.

Sync was written against the reference county, which agrees with the kiosk on everything. A county
nobody here wrote may publish no service definitions, ignore query filters it does not know (so a look-up
by ``kiosk_uuid`` brings back other requests), have no way to add a note to a request, need coordinates,
and answer errors in its own format. :func:`probe` asks the county, with a handful of bounded, read-only
requests (GET only: nothing is ever created at a county by probing it), and records:

- its service list, and which of the kiosk's services it lists;
- whether it publishes service definitions (the questions of a service), and whether they define
  attributes (``attribute[…]`` a county stores rather than drops or refuses);
- whether it honours the ``kiosk_uuid`` look-up filter: asked for a UUID that cannot exist, a county
  that honours it answers ``[]``; one that ignores it answers with whatever requests it lists;
- whether it has the update extension mySociety's FixMyStreet uses (``GET servicerequestupdates.json``,
  ``POST servicerequestupdates``), and whether it lists the kiosk's own note service (``kiosk_note``,
  the reference county's way, :mod:`sync.notes`);
- the location it needs: GeoReport v2 publishes no such thing, so this comes from the county's own
  documentation, through ``KIOSK_COUNTY_LOCATION``;
- the format of its errors (an Open311 error list, another JSON shape, HTML, text), from its answer to
  a service that cannot exist.

:func:`findings` puts a profile into plain words, with what the kiosk will do about each gap, for
``flask sync check-county`` (``kiosk/sync_cli.py``) and ``docs/open311.md`` ("Connecting a county").

The profile is kept as a JSON file in the instance folder (:data:`PROFILE_FILE`), not a table: it is
what one county said at one moment, written whole by one command and read whole, rebuilt by asking
again, holds no resident's data, and needs no migration or table owner. A profile of another county
(its URL or jurisdiction changed since) is not used (:func:`load`).
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .notes import NOTE_SERVICE
from .open311 import MAX_BODY, Open311Client, Reply

PROFILE_FILE = "county_profile.json"
VERSION = 1
MAX_DEFINITIONS = 5        # service definitions read at most (the kiosk's services first)
MAX_REQUESTS = 12          # no probe makes more GETs than this (tests/test_county_profile.py holds it)

# The answers a probe can give for each thing it asks.
YES, NO, UNKNOWN = "yes", "no", "unknown"
HONOURED, IGNORED, REFUSED = "honoured", "ignored", "refused"
OPEN311, OTHER_JSON, HTML, TEXT, EMPTY = "open311", "json", "html", "text", "empty"


@dataclass
class Profile:
    endpoint: str
    jurisdiction_id: str
    probed_at: str
    reachable: bool = False
    key_refused: bool = False
    services: list[str] = field(default_factory=list)       # the codes the county lists
    kiosk_services: list[str] = field(default_factory=list)  # the kiosk's services (offered to residents)
    definitions: str = UNKNOWN     # yes (it publishes them) | no | unknown
    attributes: str = UNKNOWN      # yes (its definitions define attributes) | no | unknown
    uuid_lookup: str = UNKNOWN     # honoured | ignored | refused | unknown
    uuid_lookup_detail: str = ""
    updates: str = UNKNOWN         # the update extension (servicerequestupdates): yes | no | unknown
    note_service: bool = False     # lists kiosk_note (sync/notes.py)
    location: str = "either"       # what it needs: "either" (address or coordinates) | "coordinates" | "home"
    error_format: str = UNKNOWN    # open311 | json | html | text | empty | unknown
    error_status: int = 0
    error_sample: str = ""
    requests_made: int = 0
    unanswered: int = 0            # GETs that got no answer, or a 5xx (the county died or faltered mid-probe)
    version: int = VERSION

    @property
    def missing_services(self) -> list[str]:
        """The kiosk's services the county does not list."""
        listed = set(self.services)
        return [code for code in self.kiosk_services if code not in listed]

    def as_dict(self) -> dict:
        return asdict(self)


def _get(client: Open311Client, path: str, profile: Profile, keyed: bool = False, **params) -> Reply:
    """One bounded GET through the client's transport seam (its URL, jurisdiction and key)."""
    if profile.requests_made >= MAX_REQUESTS:
        return Reply(failure="unreachable")  # never reached: the probe's own bound
    profile.requests_made += 1
    if keyed:
        params["api_key"] = client.api_key
    reply = client.transport.request("GET", client._url(path), params=client._params(**params))
    if reply.failure or reply.status >= 500:
        profile.unanswered += 1
    return reply


def _json(reply: Reply) -> object | None:
    if reply.failure or len(reply.body) > MAX_BODY:
        return None
    try:
        return json.loads(reply.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def error_format(reply: Reply) -> str:
    """What shape a county's error body has: an Open311 error list, other JSON, HTML, plain text, nothing."""
    body = reply.body.strip()
    if not body:
        return EMPTY
    data = _json(reply)
    if isinstance(data, list) and data and all(isinstance(e, dict) and "description" in e for e in data):
        return OPEN311
    if data is not None:
        return OTHER_JSON
    return HTML if body[:200].lower().lstrip().startswith((b"<!doctype", b"<html", b"<?xml", b"<")) else TEXT


def probe(client: Open311Client, kiosk_services: list[str], location: str = "either",
          now: datetime | None = None) -> Profile:
    """Ask the county what it supports (at most :data:`MAX_REQUESTS` GETs; never a POST)."""
    now = now or datetime.now(timezone.utc)
    profile = Profile(client.endpoint, client.jurisdiction_id, now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      kiosk_services=list(kiosk_services), location=location)

    listing = _get(client, "services.json", profile)
    if listing.failure:
        return profile
    profile.reachable = True
    services = _json(listing) if listing.status == 200 else None
    entries = [s for s in services if isinstance(s, dict) and s.get("service_code")] if isinstance(services, list) else []
    profile.services = [str(s["service_code"]) for s in entries]
    profile.note_service = NOTE_SERVICE in profile.services

    # Service definitions: the kiosk's own services first (those are what residents use), then others.
    ours = [s for s in entries if str(s["service_code"]) in set(kiosk_services)]
    others = [s for s in entries if s not in ours and str(s["service_code"]) != NOTE_SERVICE]
    if entries and not any(s.get("metadata") for s in entries):
        profile.definitions, profile.attributes = NO, NO  # the service list itself says so (metadata false)
    else:
        found = with_attributes = faltered = 0
        candidates = [s for s in ours + others if s.get("metadata") is not False][:MAX_DEFINITIONS]
        for service in candidates:
            reply = _get(client, f"services/{service['service_code']}.json", profile)
            faltered += bool(reply.failure or reply.status >= 500)
            definition = _json(reply) if reply.status == 200 else None
            if isinstance(definition, dict) and isinstance(definition.get("attributes"), list):
                found += 1
                with_attributes += bool(definition["attributes"])
        # "No definitions" only from answers that say so (a 404, an empty body), never from a county that did
        # not answer: one that died mid-probe would otherwise be sent no attributes for good.
        if found:
            profile.definitions = YES
            profile.attributes = YES if with_attributes else (NO if not faltered else UNKNOWN)
        elif candidates and not faltered:
            profile.definitions, profile.attributes = NO, NO

    # Its error format: a service that cannot exist.
    missing = _get(client, f"services/kiosk-probe-{uuid.uuid4().hex[:12]}.json", profile)
    if not missing.failure:
        profile.error_status = missing.status
        profile.error_format = error_format(missing)
        profile.error_sample = missing.body[:200].decode("utf-8", "replace")

    # The kiosk_uuid look-up: a UUID no request can have.
    looked = _get(client, "requests.json", profile, keyed=True, kiosk_uuid=f"kiosk-probe-{uuid.uuid4()}")
    if looked.status in (401, 403):
        profile.key_refused = True
        profile.uuid_lookup_detail = f"HTTP {looked.status}"
    elif looked.failure:
        profile.uuid_lookup_detail = looked.failure
    else:
        answer = _json(looked) if looked.status == 200 else None
        if not isinstance(answer, list):
            profile.uuid_lookup = REFUSED
            profile.uuid_lookup_detail = f"HTTP {looked.status}"
        elif answer:
            profile.uuid_lookup = IGNORED
            profile.uuid_lookup_detail = f"{len(answer)} requests"
        else:  # [] — honoured, or it simply lists nothing: ask for everything it lists to tell the two apart
            start = (now - timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%SZ")
            listed = _json(_get(client, "requests.json", profile, keyed=True, start_date=start))
            if isinstance(listed, list) and listed:
                profile.uuid_lookup = HONOURED
            else:
                profile.uuid_lookup_detail = "the county lists no requests yet"

    # The update extension (FixMyStreet's): a list of updates for the last hour, or nothing there.
    updates = _get(client, "servicerequestupdates.json", profile, keyed=True,
                   start_date=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   end_date=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if not updates.failure and updates.status not in (401, 403):
        answer = _json(updates) if updates.status == 200 else None
        profile.updates = YES if isinstance(answer, list) or (
            isinstance(answer, dict) and isinstance(answer.get("service_request_updates"), list)) else NO
    return profile


# --- keeping it -------------------------------------------------------------------------------------


def save(instance_path: str | os.PathLike, profile: Profile) -> Path:
    """Write the profile whole (a new file, then renamed over the old: never half a profile)."""
    path = Path(instance_path) / PROFILE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(profile.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)
    return path


def load(instance_path: str | os.PathLike, endpoint: str, jurisdiction_id: str) -> Profile | None:
    """The kept profile of this county, or None (never probed, unreadable, or of another county)."""
    try:
        data = json.loads((Path(instance_path) / PROFILE_FILE).read_text(encoding="utf-8"))
        profile = Profile(**{k: v for k, v in data.items() if k in Profile.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None
    if profile.version != VERSION or profile.endpoint != endpoint.rstrip("/") or profile.jurisdiction_id != jurisdiction_id:
        return None
    return profile


def sending_policy(profile: Profile | None, attributes: str = "auto", uuid_lookup: bool = True) -> tuple[str, bool]:
    """What the sync engine sends to this county: ``(attributes, uuid_lookup)`` for :class:`sync.run.Settings`.

    ``attributes`` (``KIOSK_COUNTY_ATTRIBUTES``): ``all`` or ``none`` as set; ``auto`` is ``none`` for a
    county whose profile says it publishes no service definitions (such a county may refuse every
    ``attribute[…]``), else ``all``. The look-up by ``kiosk_uuid`` is used only when the setting allows
    it, the profile does not say the county ignores or refuses it, and attributes are sent (``kiosk_uuid``
    is one). "Could not be told" (a county that holds no requests yet) keeps the look-up: an answer is
    only ever taken as this request by its text and time (``sync.engine``), so a filter that turns out
    ignored costs a possible duplicate shown to a worker, never a request claimed but not held. With no
    profile kept (the county could not be asked), as before: every attribute, the look-up as set.
    """
    if attributes == "auto":
        attributes = "none" if profile is not None and profile.definitions == NO else "all"
    if profile is not None:
        uuid_lookup = uuid_lookup and profile.uuid_lookup in (HONOURED, UNKNOWN)
    return attributes, bool(uuid_lookup and attributes == "all")


def sending_settings(profile: Profile | None, config) -> dict:
    """What :class:`sync.run.Settings` takes from the profile and the settings ``KIOSK_COUNTY_ATTRIBUTES``
    and ``KIOSK_COUNTY_UUID_LOOKUP`` (:func:`sending_policy`), for the sync service and the tests alike."""
    attributes, uuid_lookup = sending_policy(profile, config.get("COUNTY_ATTRIBUTES", "auto"), config["COUNTY_UUID_LOOKUP"])
    return {"attributes": attributes, "uuid_lookup": uuid_lookup,
            "lookup_honoured": profile is not None and profile.uuid_lookup == HONOURED}


# --- in plain words ---------------------------------------------------------------------------------

OK, GAP, ACTION = "ok", "gap", "ACTION"  # fine / the kiosk copes / someone must do something first


@dataclass(frozen=True)
class Finding:
    verdict: str      # OK | GAP | ACTION
    topic: str
    says: str         # what the county does
    kiosk: str = ""   # what the kiosk will do about it (and, for ACTION, what to do)


def findings(profile: Profile, *, coordinates_set: bool, uuid_lookup_on: bool, attributes: str = "auto") -> list[Finding]:
    """The profile in plain words, one finding per thing probed, with what the kiosk will do
    (``attributes``: ``KIOSK_COUNTY_ATTRIBUTES``, :func:`sending_policy`)."""
    p = profile
    sends_attributes = sending_policy(profile, attributes, uuid_lookup_on)[0] == "all"
    if not p.reachable:
        return [Finding(ACTION, "Reachable", f"The county at {p.endpoint} did not answer.",
                        "Nothing else could be checked. Check KIOSK_COUNTY_URL and the network, then run this again.")]
    out = []
    if p.key_refused:
        out.append(Finding(ACTION, "Key", "The county refused this kiosk's api_key.",
                           "Nothing will be sent until it takes it: check KIOSK_COUNTY_API_KEY with the county."))
    missing = p.missing_services
    if not p.kiosk_services:
        out.append(Finding(ACTION, "Services", "The kiosk's own catalogue is empty, so nothing could be compared.",
                           "Load it first (flask catalogue load, as deploy/install.sh does), then run this again."))
    elif not p.services:
        out.append(Finding(ACTION, "Services", "The county lists no services (or its list could not be read).",
                           "Every request would be refused: ask the county which services it offers."))
    elif missing:
        out.append(Finding(GAP, "Services", f"The county lists {len(p.services)} services; of the kiosk's {len(p.kiosk_services)},"
                           f" it does not list: {', '.join(missing)}.",
                           "Requests for those will be refused and wait in the workers' list with the county's reason;"
                           " hide them in the catalogue, or ask the county to add them."))
    else:
        out.append(Finding(OK, "Services", f"The county lists all {len(p.kiosk_services)} of the kiosk's services"
                           f" ({len(p.services)} in all)."))
    if p.definitions == YES:
        out.append(Finding(OK, "Service definitions", "The county publishes service definitions (each service's questions)."))
    else:
        out.append(Finding(GAP, "Service definitions",
                           "The county publishes no service definitions." if p.definitions == NO else
                           "Whether the county publishes service definitions could not be told.",
                           "The kiosk keeps its own questions (a county's catalogue only adds to them) and writes every"
                           " answer into the request's description, which the county's staff read."))
    if not sends_attributes:
        out.append(Finding(GAP, "Attributes", "The county's services define no attributes it publishes"
                           " (it may refuse every attribute[…])." if p.attributes != YES else
                           "The county's services define attributes, but KIOSK_COUNTY_ATTRIBUTES=none.",
                           "No attribute[…] is sent at all (KIOSK_COUNTY_ATTRIBUTES=all sends them): the description carries"
                           " every answer in words, name and phone go as last_name and phone, and a resident's home"
                           " address is not sent anywhere: it stays on the kiosk for the worker who arranges a visit."
                           " Without kiosk_uuid the county cannot be asked after a lost reply: the kiosk sends again,"
                           " and a worker checks a possible duplicate."))
    elif p.attributes == YES:
        out.append(Finding(OK, "Attributes", "The county's services define attributes: answers also travel as attribute[…]."))
    else:
        out.append(Finding(GAP, "Attributes", "The county's services define no attributes it publishes.",
                           "Answers still go as attribute[…] as well, but a county may drop those: the description"
                           " carries them all, in the centre's language."))
    if p.uuid_lookup == HONOURED:
        out.append(Finding(OK, "Look-up by kiosk_uuid", "The county honours it (a request that cannot exist came back as none).",
                           "After a lost reply the kiosk asks before sending again: nothing is sent twice." if uuid_lookup_on else
                           "KIOSK_COUNTY_UUID_LOOKUP is off: the kiosk could turn it on and never send a request twice."))
    elif p.uuid_lookup == UNKNOWN and p.key_refused:
        out.append(Finding(GAP, "Look-up by kiosk_uuid", "Could not be asked: the county refused the key (above)."))
    elif p.uuid_lookup == UNKNOWN:
        out.append(Finding(GAP, "Look-up by kiosk_uuid", "Could not be told"
                           + (f" ({p.uuid_lookup_detail})." if p.uuid_lookup_detail else "."),
                           "Safe to go live: a request the county lists is only ever taken as this one by its words,"
                           " ticket and time; at worst a lost reply makes a copy, which a worker is shown. Run this"
                           " again after the first requests have gone, to find out."))
    else:
        why = (f"ignores the filter: asked for a request that cannot exist, it answered with {p.uuid_lookup_detail}"
               if p.uuid_lookup == IGNORED else f"refuses the filter ({p.uuid_lookup_detail})")
        out.append(Finding(GAP, "Look-up by kiosk_uuid", f"The county {why}.",
                           "The kiosk does not use it (the sync service reads this profile): after a lost reply it sends"
                           " again, and a worker checks the possible duplicate, shown with both county numbers, rather"
                           " than a request being lost. A request it lists is never taken as this one by chance."))
    if p.updates == YES:
        out.append(Finding(OK, "Notes on a request", "The county has the update extension (servicerequestupdates, as FixMyStreet's)."))
    elif p.note_service:
        out.append(Finding(OK, "Notes on a request", f"The county lists the kiosk's note service ({NOTE_SERVICE}).",
                           "Notes, answers and ratings go as note requests filed under the request they are about."))
    else:
        out.append(Finding(GAP, "Notes on a request", "The county has no update extension and no note service.",
                           "Notes, answers and ratings stay on the kiosk, in the workers' list: none is ever sent as a"
                           " made-up request the county would count as a resident's."))
    if p.location == "coordinates" and not coordinates_set:
        out.append(Finding(ACTION, "Location", "The county needs coordinates (KIOSK_COUNTY_LOCATION=coordinates),"
                           " and the centre's are not set.",
                           "Every request would be refused: set them (deploy/install.sh --centre-lat … --centre-long …,"
                           " or KIOSK_CENTRE_LAT and KIOSK_CENTRE_LONG)."))
    elif p.location == "coordinates":
        out.append(Finding(OK, "Location", "The county needs coordinates: every request carries the centre's."))
    elif p.location == "home":
        out.append(Finding(OK, "Location", "The county locates a home visit by the resident's address"
                           " (KIOSK_COUNTY_LOCATION=home).",
                           "A service that asks where the resident lives also asks her whether the county may show"
                           " that address on its public list of requests: with her yes it is the request's"
                           " address_string, with no coordinates; otherwise, and for every other service, the"
                           " centre's address" + (" and coordinates." if coordinates_set else ".")))
    elif coordinates_set:
        out.append(Finding(OK, "Location", "Every request carries the centre's address and coordinates, which any"
                           " GeoReport v2 county takes."))
    else:
        # GeoReport v2 lets a county take an address alone, but many want coordinates, and none says so in a
        # way that can be asked (the county of issue 21 answered 500 to every request without them).
        out.append(Finding(GAP, "Location", "Every request carries the centre's address, but not its coordinates:"
                           " KIOSK_CENTRE_LAT and KIOSK_CENTRE_LONG are not set. Whether this county needs them"
                           " cannot be asked: check its documentation.",
                           "If the county needs coordinates, every request would wait in the workers' list after"
                           " being refused: set them (deploy/install.sh --centre-lat … --centre-long …) and"
                           " KIOSK_COUNTY_LOCATION=coordinates, then run this again."))
    if p.error_format == OPEN311:
        out.append(Finding(OK, "Errors", "The county's errors are Open311 error lists: its reason reaches the worker as written."))
    else:
        shape = {OTHER_JSON: "JSON of its own", HTML: "HTML pages", TEXT: "plain text", EMPTY: "empty bodies"}.get(
            p.error_format, "a shape that could not be read")
        out.append(Finding(GAP, "Errors", f"The county's errors are {shape}, not Open311 error lists"
                           f" (asked for a service that does not exist, it answered with HTTP status {p.error_status}).",
                           "When the county refuses a request, the worker still reads the county's own words, taken"
                           " from whatever it sends; when it sends none, the worker reads \"the county gave no reason\"."))
    return out
