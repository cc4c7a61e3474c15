"""Fuzzing with Hypothesis: every resident form handler, and the sync client's reading of county replies.

Never a 5xx or an exception; bad input gets a page that says what to do (a 4xx with an error summary,
or a redirect), and an answer already given is still there afterwards. Examples are bounded and
derandomised so the run is the same in CI every time (the county's own API is fuzzed from its
OpenAPI description in tests/test_county_fuzz.py).
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import drafts
from kiosk.db import get_db
from sync.open311 import AMBIGUOUS, FOUND, KEY_REFUSED, NOT_FOUND, OK, REFUSED, UNREACHABLE, ACCEPTED, Open311Client, Reply, classify_post

pytestmark = pytest.mark.fuzz
EXAMPLES = settings(max_examples=60, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
OUTCOMES = {ACCEPTED, OK, FOUND, NOT_FOUND, REFUSED, KEY_REFUSED, UNREACHABLE, AMBIGUOUS}

# Text as people (and machines) type it: every Unicode category, controls, huge and empty.
typed = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(["", " ", "\x00", "\r\n", "<script>alert(1)</script>", "'; DROP TABLE requests; --", "١٢٣",
                     "１３８００１３８０００", "🙂" * 100, "a" * 5000, "\u202e\u2066", "%00", "../../etc/passwd"]),
)
form_values = st.lists(typed, max_size=4)


def polite(response) -> bool:
    """A redirect, or a page (any 2xx/4xx) — never a server error, never an empty body."""
    if response.status_code >= 500:
        return False
    if response.status_code in (301, 302, 303):
        return True
    return bool(response.get_data()) and response.status_code in (200, 404, 413, 422, 429, 400)


@pytest.fixture
def started(app, client):
    """A home-care draft with its first answer given, to check nothing is lost."""
    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "bathing"})
    return client


def first_answer_kept(app, client) -> bool:
    with app.app_context():
        draft = drafts.load(get_db(), client.get_cookie("kiosk_draft").value)
    return draft is not None and draft.answers.get("help") == "bathing"


# Each form page with the fields it reads (and one it does not), every value fuzzed.
FORMS = [
    ("/request/questions/often", ("answer",)),      # a list question
    ("/request/about-you", ("name", "address")),    # free text
    ("/request/contact", ("contact", "phone")),     # a choice and a phone number
    ("/request/questions/help", ("return", "x")),   # fields a page does not expect
]


@pytest.mark.parametrize("path, fields", FORMS, ids=[f[0] for f in FORMS])
def test_form_pages_answer_anything_politely_and_lose_nothing(app, started, path, fields):
    @EXAMPLES
    @given(values=st.fixed_dictionaries({f: form_values for f in fields}))
    def post(values):
        response = started.post(path, data=values)
        assert polite(response), (path, values, response.status_code)
        assert first_answer_kept(app, started)

    post()


@EXAMPLES
@given(text=typed)
def test_free_text_questions_answer_anything_politely(app, client, text):
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "lift"})
    for path in ("/request/questions/where",):
        assert polite(client.post(path, data={"answer": text}))


@EXAMPLES
@given(entered=typed, key=st.one_of(st.none(), typed))
def test_status_keypad_answers_anything_politely(client, entered, key):
    data = {"entered": entered} if key is None else {"entered": entered, "key": key}
    assert polite(client.post("/status", data=data))


@EXAMPLES
@given(ticket=typed, code=typed, token=typed)
def test_status_links_answer_anything_politely(client, ticket, code, token):
    from urllib.parse import quote

    for query in (f"c={quote(code)}", f"t={quote(token)}", ""):
        assert polite(client.get(f"/status/{quote(ticket, safe='')}?{query}"))


@EXAMPLES
@given(entered=typed, key=st.one_of(st.none(), typed))
def test_resume_keypad_answers_anything_politely(client, entered, key):
    data = {"entered": entered} if key is None else {"entered": entered, "key": key}
    assert polite(client.post("/visit/resume", data=data))


@EXAMPLES
@given(path=st.sampled_from(["/language", "/text-size", "/speech", "/visit/end", "/receipt/done", "/services/home-care"]),
       data=st.dictionaries(st.sampled_from(["locale", "size", "next", "speech", "speed", "always", "why"]), typed, max_size=4))
def test_preference_and_visit_forms_answer_anything_politely(app, started, path, data):
    response = started.post(path, data=data)
    assert polite(response), (path, data, response.status_code)
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//")  # never off the site


# --- the sync client's reading of county replies -----------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["service_request_id", "token", "code", "description", "status", "status_notes",
                         "service_code", "attributes", "x"]), children, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200))
replies = st.builds(
    Reply,
    status=st.sampled_from([200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503]),
    body=bodies,
    date=st.one_of(st.just(""), st.text(max_size=40), st.just("Tue, 24 Nov 2026 08:00:00 GMT")),
    failure=st.sampled_from(["", "", "", "timeout", "dropped", "unreachable", "too_large"]),
)


class Scripted:
    def __init__(self, reply):
        self.reply = reply

    def request(self, method, url, *, params=None, data=None):
        return self.reply


@settings(max_examples=300, derandomize=True, deadline=None)
@given(reply=replies)
def test_every_county_reply_becomes_a_known_outcome(reply):
    assert classify_post(reply).kind in OUTCOMES
    client = Open311Client("http://county", "key", "j", Scripted(reply))
    for call in (client.probe, client.get_service_list, lambda: client.get_service_definition("x"),
                 lambda: client.get_service_requests(["1", "2"]), lambda: client.find_by_client_uuid("u", "kiosk_note"),
                 lambda: client.get_request_id_from_token("t"), lambda: client.send_service_request({"service_code": "x"})):
        outcome = call()
        assert outcome.kind in OUTCOMES
        assert len(outcome.service_request_id) <= 100 and len(outcome.token) <= 100
