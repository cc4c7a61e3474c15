"""The Open311 client's reading of answers, through the transport seam (no network), and the
reference county's OpenAPI description."""
import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from county import create_app as create_county
from sync.engine import SyncEngine
from sync.open311 import ACCEPTED, AMBIGUOUS, KEY_REFUSED, REFUSED, UNREACHABLE, Open311Client, Reply, classify_post

from .sync_helpers import FakeClock, save_requests


@pytest.mark.parametrize(
    "reply, kind, detail",
    [
        (Reply(200, b'[{"service_request_id": "C1"}]'), ACCEPTED, "C1"),
        (Reply(201, b'[{"service_request_id": 17}]'), ACCEPTED, "17"),
        (Reply(200, b'[{"token": "t-9"}]'), ACCEPTED, ""),
        (Reply(400, b'[{"code": 400, "description": "service_code not found"}]'), REFUSED, "service_code not found"),
        (Reply(422, b"not json"), REFUSED, "HTTP 422"),
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


def test_openapi_describes_every_county_route(tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTY_INSTANCE_PATH", str(tmp_path))
    app = create_county({"TESTING": True})
    client = app.test_client()
    spec = client.get("/openapi.json").get_json()
    routes = {str(rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    assert documented == routes - {"/", "/openapi.json"}
    assert json.loads(client.get("/").data)["services"] == "/services.json"
