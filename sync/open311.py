"""An Open311 GeoReport v2 client, over a one-method transport seam.

Methods are named after the spec's calls. None of them raises for what a county or a network does:
each returns an :class:`Outcome` that says what happened: accepted (a request was taken), ok (a read
answered), found / not found (the look-up by kiosk UUID), refused (with the county's reason), key
refused, unreachable (nothing was sent), or ambiguous (it may have been stored: ask before sending
again). The engine turns outcomes into outbox states.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

from . import refusals

MAX_BODY = 1024 * 1024  # a county answer larger than this is refused as malformed


@dataclass(frozen=True)
class Reply:
    """What came back over the wire: an HTTP answer, or the network failure instead of one."""

    status: int = 0
    body: bytes = b""
    date: str = ""              # the county's Date header, to measure clock offset
    failure: str = ""           # "" | "unreachable" (not sent) | "timeout" | "dropped" | "too_large"


class Transport(Protocol):
    def request(self, method: str, url: str, *, params: dict | None = None, data: dict | None = None) -> Reply: ...


class HttpTransport:
    """HTTP over one keep-alive session (``requests``), with a short timeout and a size cap.

    ``requests`` (with urllib3, charset_normalizer, idna: about 5 MB of a process) is imported when a
    transport is made, not with this module: the web app reads the outcome names and the health
    figures (``sync.health``) without ever talking to the county.
    """

    def __init__(self, timeout: float = 10.0, connect_timeout: float = 3.0):
        import requests

        self.session = requests.Session()
        self.timeout = (connect_timeout, timeout)

    def request(self, method: str, url: str, *, params: dict | None = None, data: dict | None = None) -> Reply:
        import requests  # already loaded by __init__: a dictionary look-up

        try:
            with self.session.request(method, url, params=params, data=data, timeout=self.timeout, stream=True) as response:
                body = b""
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > MAX_BODY:
                        return Reply(response.status_code, b"", response.headers.get("Date", ""), "too_large")
                return Reply(response.status_code, body, response.headers.get("Date", ""))
        except requests.exceptions.ConnectTimeout:
            return Reply(failure="unreachable")
        except requests.exceptions.ReadTimeout:
            return Reply(failure="timeout")
        except requests.exceptions.ConnectionError as exc:
            # Refused or unresolvable before anything was sent: certainly not stored.
            text = repr(exc)
            if "NewConnectionError" in text or "Connection refused" in text or "NameResolution" in text:
                return Reply(failure="unreachable")
            return Reply(failure="dropped")
        except requests.exceptions.RequestException:
            return Reply(failure="dropped")

    def close(self) -> None:
        self.session.close()


# What an answer from the county means. These are protocol outcomes, not outbox states
# (:mod:`core.outbox`): the engine decides which state an outcome leads to.
ACCEPTED = "accepted"        # POST /requests.json: the county took the request (an id or a token came back)
OK = "ok"                    # a read (GET) answered with usable JSON, in ``data``
FOUND = "found"              # the look-up by kiosk UUID found the request: the county already holds it
NOT_FOUND = "not_found"      # ... and it did not (or the county cannot tell)
REFUSED = "refused"          # the county refused this request or read (4xx): sending it again will not help
KEY_REFUSED = "key_refused"  # 401/403: this kiosk's api_key is refused; nothing will get through
UNREACHABLE = "unreachable"  # no connection at all: nothing was sent
AMBIGUOUS = "ambiguous"      # timeout, dropped connection, 5xx or a garbled answer: it may have arrived


@dataclass(frozen=True)
class Outcome:
    kind: str
    service_request_id: str = ""
    token: str = ""
    reason: str = ""
    http_status: int = 0
    date: str = ""
    data: object = field(default=None, compare=False)


def _decode(reply: Reply) -> tuple[object, str]:
    """``(json, "")`` or ``(None, reason)``."""
    if reply.failure == "too_large":
        return None, "the county's answer was too large"
    try:
        return json.loads(reply.body.decode("utf-8")), ""
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "the county's answer was not valid JSON"


def _error_description(reply: Reply) -> str:
    """The county's words for a refusal, whatever its body (:func:`sync.refusals.read`, the one reader)."""
    return refusals.read(reply.status, reply.body).words


def classify_post(reply: Reply) -> Outcome:
    """Turn the answer to ``POST /requests.json`` into what the outbox should record."""
    if reply.failure == "unreachable":
        return Outcome(UNREACHABLE, reason="the county could not be reached")
    if reply.failure in ("timeout", "dropped"):
        return Outcome(AMBIGUOUS, reason=f"no answer from the county ({reply.failure})")
    if reply.status in (401, 403):
        return Outcome(KEY_REFUSED, reason=_error_description(reply), http_status=reply.status, date=reply.date)
    if reply.status in (400, 404, 409, 413, 422):  # 413: too large; sending it again will not shrink it
        return Outcome(REFUSED, reason=_error_description(reply), http_status=reply.status, date=reply.date,
                       data=reply.body)  # the county's body, read by sync.refusals
    if 500 <= reply.status < 600:  # maybe stored, maybe a refusal dressed as a fault: the engine counts them
        return Outcome(AMBIGUOUS, reason=f"the county answered HTTP {reply.status}: {_error_description(reply)}",
                       http_status=reply.status, date=reply.date, data=reply.body)
    if not 200 <= reply.status < 300:
        return Outcome(AMBIGUOUS, reason=f"the county answered HTTP {reply.status}", http_status=reply.status, date=reply.date)
    data, problem = _decode(reply)
    if problem:
        return Outcome(AMBIGUOUS, reason=problem, http_status=reply.status, date=reply.date)
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
    ident = first.get("service_request_id") if first else None
    token = first.get("token") if first else None
    if isinstance(ident, (str, int)) and not isinstance(ident, bool) and str(ident):
        return Outcome(ACCEPTED, service_request_id=str(ident)[:100], http_status=reply.status, date=reply.date)
    if isinstance(token, (str, int)) and not isinstance(token, bool) and str(token):
        return Outcome(ACCEPTED, token=str(token)[:100], http_status=reply.status, date=reply.date)
    return Outcome(AMBIGUOUS, reason="the county's answer had no request id or token", http_status=reply.status, date=reply.date)


def classify_update_post(reply: Reply) -> Outcome:
    """Turn the answer to ``POST servicerequestupdates.json`` (FixMyStreet's update extension) into an
    outcome: accepted when ``[{"update_id": …}]`` came back (its id in ``service_request_id``), else as
    for requests (a 404 is a refusal: no such extension, or no such request)."""
    if reply.failure or not 200 <= reply.status < 300:
        return classify_post(reply)
    data, problem = _decode(reply)
    if problem:
        return Outcome(AMBIGUOUS, reason=problem, http_status=reply.status, date=reply.date)
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
    if first is None and isinstance(data, dict):  # {"service_request_updates": {"update_id": …}}, as FixMyStreet answers
        inner = data.get("service_request_updates")
        first = inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], dict) else \
            inner if isinstance(inner, dict) else None
    ident = first.get("update_id") if first else None
    if isinstance(ident, (str, int)) and not isinstance(ident, bool) and str(ident):
        return Outcome(ACCEPTED, service_request_id=str(ident)[:100], http_status=reply.status, date=reply.date)
    return Outcome(AMBIGUOUS, reason="the county's answer had no update_id", http_status=reply.status, date=reply.date)


class Open311Client:
    """One county endpoint, with this kiosk's api_key and jurisdiction."""

    def __init__(self, endpoint: str, api_key: str, jurisdiction_id: str = "", transport: Transport | None = None):
        self.endpoint = endpoint.rstrip("/")
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id
        self.transport = transport or HttpTransport()

    def _url(self, path: str) -> str:
        return f"{self.endpoint}/{path}"

    def _params(self, **extra) -> dict:
        params = {"jurisdiction_id": self.jurisdiction_id} if self.jurisdiction_id else {}
        return {**params, **{k: v for k, v in extra.items() if v is not None}}

    def _get_json(self, path: str, keyed: bool = False, **params) -> Outcome:
        """A read; ``keyed`` sends this kiosk's api_key (reads of requests and tokens: a county keeps
        those for the callers it knows; its service list is public and gets no key)."""
        if keyed:
            params["api_key"] = self.api_key
        reply = self.transport.request("GET", self._url(path), params=self._params(**params))
        if reply.failure:
            return Outcome(UNREACHABLE if reply.failure == "unreachable" else AMBIGUOUS, reason=reply.failure)
        if reply.status in (401, 403):
            return Outcome(KEY_REFUSED, reason=_error_description(reply), http_status=reply.status, date=reply.date)
        if reply.status != 200:
            return Outcome(REFUSED, reason=_error_description(reply), http_status=reply.status, date=reply.date)
        data, problem = _decode(reply)
        if problem:
            return Outcome(AMBIGUOUS, reason=problem, http_status=reply.status, date=reply.date)
        return Outcome(OK, http_status=reply.status, date=reply.date, data=data)

    def probe(self) -> Outcome:
        """A short request to the county's own address: is *the county* reachable (not "the internet")?"""
        reply = self.transport.request("GET", self._url(""))
        if reply.failure:
            return Outcome(UNREACHABLE, reason=reply.failure)
        return Outcome(OK, http_status=reply.status, date=reply.date)

    def get_service_list(self) -> Outcome:
        return self._get_json("services.json")

    def get_service_definition(self, service_code: str) -> Outcome:
        return self._get_json(f"services/{service_code}.json")

    def send_service_request(self, fields: dict) -> Outcome:
        data = {**fields, "api_key": self.api_key, **({"jurisdiction_id": self.jurisdiction_id} if self.jurisdiction_id else {})}
        return classify_post(self.transport.request("POST", self._url("requests.json"), data=data))

    def get_service_requests(self, service_request_ids: list[str]) -> Outcome:
        return self._get_json("requests.json", keyed=True, service_request_id=",".join(service_request_ids))

    def find_by_client_uuid(self, client_uuid: str, service_code: str) -> Outcome:
        """Ask whether the county already holds the note request with this kiosk UUID (extension filter;
        :mod:`sync.notes`; a resident's request is looked up by its words and time, ``sync.engine``).

        ``FOUND`` with the id only when the county lists exactly one request and it is of ``service_code``;
        ``NOT_FOUND`` otherwise (a county that ignores the filter lists other requests, never taken as a
        match: the note is then sent again, and a second note is harmless).
        """
        outcome = self._get_json("requests.json", keyed=True, kiosk_uuid=client_uuid)
        if outcome.kind != OK:
            return outcome
        matches = [r for r in outcome.data if isinstance(r, dict) and r.get("service_request_id")] if isinstance(outcome.data, list) else []
        if len(matches) == 1 and len(outcome.data) == 1 and matches[0].get("service_code") == service_code:
            return Outcome(FOUND, service_request_id=str(matches[0]["service_request_id"]), date=outcome.date)
        return Outcome(NOT_FOUND, reason="not found at the county", date=outcome.date)

    def post_service_request_update(self, fields: dict) -> Outcome:
        """FixMyStreet's update extension: add an update (a note) to a request the county holds."""
        data = {**fields, "api_key": self.api_key, **({"jurisdiction_id": self.jurisdiction_id} if self.jurisdiction_id else {})}
        return classify_update_post(self.transport.request("POST", self._url("servicerequestupdates.json"), data=data))

    def get_service_request_updates(self, start_date: str, end_date: str, service_request_id: str | None = None) -> Outcome:
        """The county's updates of a time window (W3C date-times), as a list in ``data`` when ``OK``
        (``{"service_request_updates": [...]}`` is read as its list)."""
        outcome = self._get_json("servicerequestupdates.json", keyed=True, start_date=start_date, end_date=end_date,
                                 service_request_id=service_request_id)
        if outcome.kind == OK and isinstance(outcome.data, dict) and isinstance(outcome.data.get("service_request_updates"), list):
            return Outcome(OK, http_status=outcome.http_status, date=outcome.date, data=outcome.data["service_request_updates"])
        return outcome

    def list_for_client_uuid(self, client_uuid: str | None, service_code: str | None = None,
                             start_date: str | None = None) -> Outcome:
        """The county's list for a look-up by kiosk UUID (extension filter), as it answers: ``OK`` with
        the list in ``data``. A county that knows the filter lists only that request (or none); one that
        ignores unknown filters lists others too (narrowed by the standard ``service_code`` and
        ``start_date`` where it honours those): the caller decides which item, if any, is the request
        (``sync.engine``), never "the list had one item". Without ``client_uuid``: the standard filters only."""
        outcome = self._get_json("requests.json", keyed=True, kiosk_uuid=client_uuid, service_code=service_code,
                                 start_date=start_date)
        if outcome.kind == OK and not isinstance(outcome.data, list):
            return Outcome(AMBIGUOUS, reason="the county's list was not a list", date=outcome.date)
        return outcome

    def get_request_id_from_token(self, token: str) -> Outcome:
        outcome = self._get_json(f"tokens/{token}.json", keyed=True)
        if outcome.kind != OK:
            return outcome
        first = outcome.data[0] if isinstance(outcome.data, list) and outcome.data and isinstance(outcome.data[0], dict) else {}
        ident = first.get("service_request_id")
        return Outcome(OK, service_request_id=str(ident) if ident else "", date=outcome.date)
