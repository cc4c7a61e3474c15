"""The Open311 client's reading of answers, through the transport seam (no network), and the
reference county's OpenAPI description."""
import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from county import create_app as create_county
from sync.engine import SyncEngine
from sync.open311 import (ACCEPTED, AMBIGUOUS, FOUND, KEY_REFUSED, NOT_FOUND, OK, REFUSED, UNREACHABLE, Open311Client,
                          Reply, classify_post)

from .sync_helpers import FakeClock, save_requests


@pytest.mark.parametrize(
    "reply, kind, detail",
    [
        (Reply(200, b'[{"service_request_id": "C1"}]'), ACCEPTED, "C1"),
        (Reply(201, b'[{"service_request_id": 17}]'), ACCEPTED, "17"),
        (Reply(200, b'[{"token": "t-9"}]'), ACCEPTED, ""),
        (Reply(400, b'[{"code": 400, "description": "service_code not found"}]'), REFUSED, "service_code not found"),
        (Reply(422, b"not json"), REFUSED, "not json"),  # the county's words, whatever its body
        (Reply(400, b""), REFUSED, "the county gave no reason (HTTP 400)"),
        (Reply(413, b'[{"code": 413, "description": "request too large"}]'), REFUSED, "too large"),  # smaller it will not get
        (Reply(403, b'[{"code": 403, "description": "bad key"}]'), KEY_REFUSED, "bad key"),
        (Reply(503, b""), AMBIGUOUS, "HTTP 503"),
        (Reply(200, b'[{"service_request_id": "C0'), AMBIGUOUS, "not valid JSON"),
        (Reply(200, b'{"service_request_id": "C1"}'), AMBIGUOUS, "no request id"),
        (Reply(200, b'[{"service_request_id": true}]'), AMBIGUOUS, "no request id"),
        (Reply(200, b'[{"service_request_id": [1, 2]}]'), AMBIGUOUS, "no request id"),
        (Reply(200, b"\xff\xfe"), AMBIGUOUS, "not valid JSON"),
        (Reply(200, b"", failure="too_large"), AMBIGUOUS, "too large"),
        (Reply(failure="timeout"), AMBIGUOUS, "timeout"),
        (Reply(failure="dropped"), AMBIGUOUS, "dropped"),
        (Reply(failure="unreachable"), UNREACHABLE, "reached"),
    ],
)
def test_post_answers_are_classified(reply, kind, detail):
    outcome = classify_post(reply)
    assert outcome.kind == kind
    assert detail in (outcome.service_request_id or outcome.reason or "") or (detail == "" and outcome.token == "t-9")


class ScriptedTransport:
    """A transport that answers from a list and remembers what was asked."""

    def __init__(self, *replies: Reply):
        self.replies, self.calls = list(replies), []

    def request(self, method, url, *, params=None, data=None):
        self.calls.append((method, url, params, data))
        return self.replies.pop(0) if self.replies else Reply(200, b"[]")


@pytest.mark.parametrize("reply, kind, found_id", [
    (Reply(200, b'[{"service_request_id": "C7", "service_code": "kiosk_note"}]'), FOUND, "C7"),
    # one request of another service (a county that ignores the filter and holds one request): not this note
    (Reply(200, b'[{"service_request_id": "C8", "service_code": "repairs"}]'), NOT_FOUND, ""),
    (Reply(200, b"[]"), NOT_FOUND, ""),
    # a county that ignores the kiosk_uuid filter lists other requests: not taken as a match
    (Reply(200, b'[{"service_request_id": "C1"}, {"service_request_id": "C2"}]'), NOT_FOUND, ""),
    (Reply(401, b"[]"), KEY_REFUSED, ""),
    (Reply(failure="timeout"), AMBIGUOUS, ""),
])
def test_uuid_lookup_says_found_or_not_found_never_accepted(reply, kind, found_id):
    outcome = Open311Client("http://county", "k", "", ScriptedTransport(reply)).find_by_client_uuid("u-1", "kiosk_note")
    assert (outcome.kind, outcome.service_request_id) == (kind, found_id)


def test_reads_that_work_say_ok_not_accepted():
    client = Open311Client("http://county", "k", "", ScriptedTransport(Reply(200, b"{}"), Reply(200, b'[{"service_code": "x"}]'),
                                                                       Reply(200, b'[{"service_request_id": "C3"}]')))
    assert client.probe().kind == OK
    listing = client.get_service_list()
    assert listing.kind == OK and listing.data == [{"service_code": "x"}]
    token = client.get_request_id_from_token("t")
    assert (token.kind, token.service_request_id) == (OK, "C3")


def test_reads_of_requests_and_tokens_carry_the_key_and_the_service_list_does_not():
    """A county keeps its requests for callers it knows; its catalogue is public, so the key stays home."""
    transport = ScriptedTransport()
    client = Open311Client("http://county", "k-1", "j", transport)
    client.get_service_requests(["C1", "C2"])
    client.find_by_client_uuid("u-1", "kiosk_note")
    client.get_request_id_from_token("t-1")
    client.get_service_list()
    client.get_service_definition("repairs")
    keys = [(url.rsplit("/", 1)[1], (params or {}).get("api_key")) for _, url, params, _ in transport.calls]
    assert keys == [("requests.json", "k-1"), ("requests.json", "k-1"), ("t-1.json", "k-1"), ("services.json", None),
                    ("repairs.json", None)]


def test_a_county_refusing_the_key_on_reads_turns_health_red(app, runner):
    save_requests(app, 1)
    transport = ScriptedTransport(Reply(200, b'[{"service_request_id": "C1"}]'), Reply(403, b'[{"code": 403, "description": "api_key not accepted"}]'))
    with app.app_context():
        from kiosk.db import get_db

        report = SyncEngine(get_db(), Open311Client("http://county", "k", "j", transport)).run("queue")
    assert report.accepted == 1 and report.key_refused
    assert "HEALTH: RED" in runner.invoke(args=["sync", "status"]).output


def test_clock_offset_is_measured_and_skew_over_two_minutes_flagged(app, runner):
    save_requests(app, 1)
    clock = FakeClock(datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc))
    county_time = format_datetime(clock() + timedelta(minutes=5), usegmt=True)
    transport = ScriptedTransport(Reply(200, b'[{"service_request_id": "C1"}]', date=county_time))
    with app.app_context():
        from kiosk.db import get_db

        report = SyncEngine(get_db(), Open311Client("http://county", "k", "j", transport), now=clock).run("queue")
    assert report.clock_offset_seconds == pytest.approx(300) and report.clock_skewed
    method, url, _, data = transport.calls[0]
    assert (method, url) == ("POST", "http://county/requests.json")
    assert data["attribute[kiosk_requested_at]"] != clock().isoformat()  # the save time, not the send time
    assert data["api_key"] == "k" and data["jurisdiction_id"] == "j" and data["attribute[what]"] == "light"
    status = runner.invoke(args=["sync", "status"])
    assert "+300 s (more than 2 minutes: check the clock)" in status.output


def test_openapi_describes_every_county_route_and_method(tmp_path, monkeypatch):
    """The Open311 API and the clerk's pages alike (the fuzz test in test_county_fuzz.py reaches what is described)."""
    monkeypatch.setenv("COUNTY_INSTANCE_PATH", str(tmp_path))
    app = create_county({"TESTING": True})
    client = app.test_client()
    spec = client.get("/openapi.json").get_json()
    routes = {(str(rule), method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path.replace("{", "<").replace("}", ">"), method.upper()) for path, operations in spec["paths"].items()
                  for method in operations}
    assert documented == routes
    assert json.loads(client.get("/").data)["services"] == "/services.json"
